import { createClient } from 'redis';

/**
 * The harness's own Redis connection (node-redis): checks Redis is there before a suite
 * starts, finds the server's pid (for the CPU column) and deletes a run's keys afterwards.
 */

/** Connects, or throws an error that says how to fix it. */
export async function connectRedis(url) {
  const client = createClient({ url, socket: { reconnectStrategy: false, connectTimeout: 3_000 } });
  client.on('error', () => {}); // surfaced by the awaited calls below
  try {
    await client.connect();
    await client.ping();
  } catch (error) {
    throw new Error(`Redis is not reachable at ${url} (${error.message}). Start it or set BENCH_REDIS_URL.`, { cause: error });
  }
  return {
    client,
    /** The Redis server's pid when it runs on this machine, else null. */
    async serverPid() {
      const info = await client.info('server');
      const match = /process_id:(\d+)/.exec(info);
      return match ? Number(match[1]) : null;
    },
    /** Every key under `prefix` (SCAN, never KEYS). */
    async keys(prefix) {
      const found = [];
      for await (const batch of client.scanIterator({ MATCH: `${escapeGlob(prefix)}*`, COUNT: 500 })) {
        if (Array.isArray(batch)) found.push(...batch);
        else found.push(batch);
      }
      return found;
    },
    /** Deletes every key under `prefix`; returns how many. */
    async deleteKeys(prefix) {
      const keys = await this.keys(prefix);
      for (let i = 0; i < keys.length; i += 500) await client.del(keys.slice(i, i + 500));
      return keys.length;
    },
    close: () => client.quit(),
  };
}

function escapeGlob(text) {
  return text.replace(/[*?[\]\\]/g, (c) => `\\${c}`);
}
