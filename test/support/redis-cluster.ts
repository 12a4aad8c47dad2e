import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { isPortFree, pollUntil, rawCommand, startRedisServer } from './redis-server.js';
import type { PrivateRedisServer } from './redis-server.js';

/**
 * A private three-master Redis Cluster (no replicas, no persistence) on free ports, for the
 * Redis Cluster conformance suite and cluster-specific tests. A missing `redis-server` or
 * `redis-cli` makes `startRedisCluster` reject: the tests fail, they never silently skip.
 */

const execFileAsync = promisify(execFile);

/** A running private cluster. */
export interface PrivateRedisCluster {
  /** The masters' ports. */
  readonly ports: readonly number[];
  /** `redis-cluster://127.0.0.1:p1,127.0.0.1:p2,127.0.0.1:p3` */
  readonly url: string;
  /** The masters, to stop or pause one of them. */
  readonly nodes: readonly PrivateRedisServer[];
  /** Stops every node and removes the directory; idempotent. */
  cleanup(): Promise<void>;
}

/** A port `p` such that both `p` and its cluster-bus port `p + 10000` are free. */
async function freeClusterPort(taken: ReadonlySet<number>): Promise<number> {
  for (let attempt = 0; attempt < 200; attempt++) {
    const port = 20_000 + Math.floor(Math.random() * 35_000);
    if (taken.has(port) || taken.has(port + 10_000) || taken.has(port - 10_000)) continue;
    if ((await isPortFree(port)) && (await isPortFree(port + 10_000))) return port;
  }
  throw new Error('No free port pair for a Redis Cluster node.');
}

/** Starts the cluster and resolves once every node reports `cluster_state:ok`. */
export async function startRedisCluster(masters = 3): Promise<PrivateRedisCluster> {
  const dir = await mkdtemp(join(tmpdir(), 'tessera-redis-cluster-'));
  const nodes: PrivateRedisServer[] = [];
  const cleanup = async (): Promise<void> => {
    await Promise.allSettled(nodes.map((node) => node.cleanup()));
    await rm(dir, { recursive: true, force: true });
  };
  try {
    const taken = new Set<number>();
    for (let i = 0; i < masters; i++) {
      const port = await freeClusterPort(taken);
      taken.add(port);
      const nodeDir = join(dir, String(port));
      await mkdir(nodeDir);
      nodes.push(
        await startRedisServer({
          port,
          dir: nodeDir,
          args: ['--cluster-enabled', 'yes', '--cluster-config-file', 'nodes.conf', '--cluster-node-timeout', '2000'],
        }),
      );
    }
    const ports = nodes.map((node) => node.port);
    await execFileAsync(
      'redis-cli',
      ['--cluster', 'create', ...ports.map((port) => `127.0.0.1:${port}`), '--cluster-replicas', '0', '--cluster-yes'],
      { timeout: 30_000 },
    );
    for (const port of ports) {
      await pollUntil(
        async () => (await rawCommand(port, 'CLUSTER INFO'))?.includes('cluster_state:ok') === true,
        20_000,
        `cluster_state:ok on port ${port}`,
      );
    }
    return {
      ports,
      url: `redis-cluster://${ports.map((port) => `127.0.0.1:${port}`).join(',')}`,
      nodes,
      cleanup,
    };
  } catch (error) {
    await cleanup();
    throw error;
  }
}
