import type { Redis } from 'ioredis';
import { Cluster } from 'ioredis';
import { systemClock } from '../../core/clock.js';
import type { Clock } from '../../core/clock.js';
import { ConfigurationError } from '../../core/errors.js';
import type { SessionSideStores } from '../types.js';
import { createRedisRevocationBus } from './redis-bus.js';
import type { RedisRevocationBus } from './redis-bus.js';
import { createClient, createRedisConnection } from './redis-connection.js';
import type { RedisClient } from './redis-connection.js';
import { createKeyLayout } from './redis-keys.js';
import { createRedisRateLimitStore } from './redis-rate-limit-store.js';
import { createRedisRevocationStore } from './redis-revocation-store.js';
import { createRedisSessionStore } from './redis-session-store.js';
import { createRedisSigningKeyStore } from './redis-signing-key-store.js';
import { parseRedisUrl } from './redis-url.js';

/** Options for `openRedisStores`. */
export interface RedisStoresOptions {
  /**
   * `redis://[user:pass@]host:port[/db]`, `rediss://…` (TLS), `redis-cluster://[user:pass@]h:p,h:p,…`
   * or `rediss-cluster://…`. Never logged; every message about it is redacted.
   */
  readonly url: string;
  /** Prefix of every key and of the bus channel (default `tessera:`); no `{` or `}`. */
  readonly keyPrefix?: string;
  /**
   * How many characters of the 4-character routing tag that starts every session id go into the
   * hash tag of session and index keys (default 2: 4096 session indexes, each shared by the users
   * whose tags start alike; listing filters by the rest of the tag and by user id). 2 keeps memory
   * per session lowest up to about 2 million sessions, 3 suits tens of millions; see
   * redis-keys.ts. Part of the key layout: the same on every node, never changed on live data.
   */
  readonly indexTagChars?: number;
  /** Treat a `redis://` URL as the startup node of a Redis Cluster. */
  readonly cluster?: boolean;
  /** Turns session ends and window ends into TTLs; every operation takes its own `now`. */
  readonly clock?: Clock;
  /** Per command, and the longest an operation waits for a (re)connection (default 1000 ms). */
  readonly commandTimeoutMs?: number;
  /** TCP connect timeout (default 2000 ms). */
  readonly connectTimeoutMs?: number;
  /**
   * How long Redis keeps a session past its end before dropping it (default 60 000 ms). The core
   * judges expiry exactly; the TTL only collects garbage, and the grace absorbs clock
   * differences between nodes and Redis and keeps just-ended sessions listable until swept.
   */
  readonly expiryGraceMs?: number;
  /** CLIENT SETNAME of the connections (default `tessera`; the bus adds `-bus`). */
  readonly connectionName?: string;
}

/** The Redis stores: the session side (no users), the bus always present, and `ready`. */
export interface RedisStores extends SessionSideStores {
  readonly bus: RedisRevocationBus;
  /**
   * Resolves once Redis answers (retrying for up to connect + command timeout), else rejects
   * with `StoreUnavailableError`. Optional — operations wait for the connection themselves —
   * but awaiting it at start-up surfaces a wrong URL or password before the first request.
   */
  ready(): Promise<void>;
}

function positiveInteger(value: number | undefined, fallback: number, name: string): number {
  const result = value ?? fallback;
  if (!Number.isSafeInteger(result) || result <= 0) throw new ConfigurationError(`${name} must be a positive integer.`);
  return result;
}

/**
 * Opens the Redis stores (sessions, revocations, rate limits, signing keys, revocation bus) on
 * one connection — a standalone server or a Redis Cluster — plus a subscriber connection for the
 * bus once someone listens. Synchronous: connecting happens in the background, so a node starting
 * while Redis is down comes up and serves once Redis is back. Throws `ConfigurationError` for a
 * malformed URL or option; operations reject with `StoreUnavailableError` while Redis cannot be
 * reached (within about a second: commands never queue while disconnected).
 */
export function openRedisStores(options: RedisStoresOptions): RedisStores {
  const target = parseRedisUrl(options.url, options.cluster === true);
  const keys = createKeyLayout(options.keyPrefix ?? 'tessera:', options.indexTagChars);
  const clock = options.clock ?? systemClock;
  const timeouts = {
    commandTimeoutMs: positiveInteger(options.commandTimeoutMs, 1_000, 'commandTimeoutMs'),
    connectTimeoutMs: positiveInteger(options.connectTimeoutMs, 2_000, 'connectTimeoutMs'),
  };
  const expiryGraceMs = positiveInteger(options.expiryGraceMs, 60_000, 'expiryGraceMs');
  const name = options.connectionName ?? 'tessera';
  const secrets = [options.url, target.password ?? ''];
  const connection = createRedisConnection(createClient(target, timeouts, name), timeouts, secrets);

  const createSubscriber = (): RedisClient => {
    const client = connection.client;
    return client instanceof Cluster
      ? client.duplicate()
      : (client as Redis).duplicate({ connectionName: `${name}-bus` });
  };
  const bus = createRedisRevocationBus(connection, keys.channel, createSubscriber);
  let closing: Promise<void> | undefined;

  const ping = async (): Promise<void> => {
    await connection.run((c) => c.ping());
  };

  return {
    sessions: createRedisSessionStore(connection, { keys, clock, expiryGraceMs }),
    revocations: createRedisRevocationStore(connection, keys),
    rateLimits: createRedisRateLimitStore(connection, keys, clock),
    keys: createRedisSigningKeyStore(connection, keys),
    bus,
    ping,
    async ready(): Promise<void> {
      const deadline = Date.now() + timeouts.connectTimeoutMs + timeouts.commandTimeoutMs;
      for (;;) {
        try {
          return await ping();
        } catch (error) {
          if (connection.closed || Date.now() >= deadline) throw error;
          await new Promise((resolve) => setTimeout(resolve, 50));
        }
      }
    },
    close(): Promise<void> {
      closing ??= Promise.all([bus.close(), connection.close()]).then(() => undefined);
      return closing;
    },
  };
}
