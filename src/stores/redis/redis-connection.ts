import { Cluster, Redis } from 'ioredis';
import type { ClusterOptions, RedisOptions } from 'ioredis';
import { StoreUnavailableError } from '../../core/errors.js';
import { SCRIPTS } from './redis-lua.js';
import type { ScriptName } from './redis-lua.js';
import type { RedisTarget } from './redis-url.js';

/** A standalone client or a cluster client: the commands we use exist on both. */
export type RedisClient = Redis | Cluster;

/** Calls one defined script; resolves with Redis's raw reply. */
export type ScriptCall = (...args: (string | number | Buffer)[]) => Promise<unknown>;

/** Timeouts of one connection. */
export interface RedisTimeouts {
  /** Per command (ioredis `commandTimeout`), and how long an operation waits for a (re)connect. */
  readonly commandTimeoutMs: number;
  /** Initial TCP connect timeout. */
  readonly connectTimeoutMs: number;
}

/** One client plus the fail-closed plumbing every store method runs through. */
export interface RedisConnection {
  readonly client: RedisClient;
  /**
   * Runs `operation` once the client is ready. Anything that goes wrong — not connected within
   * the command timeout, a refused or reset connection, a timed-out command, an error reply, or
   * the store being closed — rejects with `StoreUnavailableError`: callers fail closed.
   */
  run<T>(operation: (client: RedisClient) => Promise<T>): Promise<T>;
  /** The defined script `name` (buffers variant when `buffers`), called through `run`. */
  script(name: ScriptName, buffers?: boolean): ScriptCall;
  /** Calls `onBatch` with the keys matching `pattern` on every master (SCAN, never KEYS). */
  scan(pattern: string, onBatch: (keys: string[]) => Promise<void>): Promise<void>;
  /** Wraps any failure as `StoreUnavailableError` with a sanitised cause. */
  unavailable(cause: unknown): StoreUnavailableError;
  readonly closed: boolean;
  /** Quits the client (idempotent); later operations reject with `StoreUnavailableError`. */
  close(): Promise<void>;
}

const UNAVAILABLE_MESSAGE = 'The Redis store is unavailable.';
const RECONNECT_BASE_MS = 50;
const RECONNECT_MAX_MS = 1_000;

/** Capped exponential back-off with jitter, so recovery takes at most about a second. */
export function reconnectDelay(attempt: number): number {
  const ceiling = Math.min(RECONNECT_MAX_MS, RECONNECT_BASE_MS * 2 ** Math.min(attempt, 10));
  return Math.round(ceiling / 2 + Math.random() * (ceiling / 2));
}

/**
 * Options that make the client fail fast instead of queueing: no offline queue (a command
 * issued while disconnected fails at once — we wait for `ready` ourselves, bounded), a command
 * timeout, one retry per request, and no resending of commands that were in flight when a
 * connection broke (a resent rotateRefresh or rate-limit hit would run twice). Auto-pipelining
 * batches the commands of one tick into one write.
 */
export function clientOptions(target: RedisTarget, timeouts: RedisTimeouts, connectionName: string): RedisOptions {
  return {
    username: target.username,
    password: target.password,
    db: target.db,
    ...(target.tls ? { tls: {} } : {}),
    connectionName,
    enableOfflineQueue: false,
    commandTimeout: timeouts.commandTimeoutMs,
    connectTimeout: timeouts.connectTimeoutMs,
    maxRetriesPerRequest: 1,
    autoResendUnfulfilledCommands: false,
    retryStrategy: reconnectDelay,
    // Commands issued in the same tick (concurrent requests read their sessions together) go
    // out in one write and one round trip instead of one syscall each. Order is unchanged.
    enableAutoPipelining: true,
  };
}

/** Creates the standalone or cluster client for `target` (connecting in the background). */
export function createClient(target: RedisTarget, timeouts: RedisTimeouts, connectionName: string): RedisClient {
  const options = clientOptions(target, timeouts, connectionName);
  if (!target.cluster) {
    const [node] = target.nodes;
    return new Redis({ ...options, host: node?.host, port: node?.port });
  }
  // Per-node options: the cluster client owns reconnecting and queueing; a cluster has no db.
  const clusterOptions: ClusterOptions = {
    enableOfflineQueue: false,
    enableAutoPipelining: true,
    clusterRetryStrategy: reconnectDelay,
    slotsRefreshTimeout: timeouts.connectTimeoutMs,
    redisOptions: {
      username: options.username,
      password: options.password,
      ...(target.tls ? { tls: {} } : {}),
      connectionName,
      commandTimeout: options.commandTimeout,
      connectTimeout: options.connectTimeout,
      maxRetriesPerRequest: options.maxRetriesPerRequest,
      autoResendUnfulfilledCommands: false,
    },
  };
  return new Cluster(target.nodes.map((node) => ({ host: node.host, port: node.port })), clusterOptions);
}

/**
 * Replaces an error by a plain one carrying only name, message and code, with every secret
 * scrubbed from the message. ioredis attaches the failed command's arguments to reply errors
 * (for AUTH: the password; for our scripts: session records), and loggers serialise causes.
 */
export function sanitizeError(error: unknown, secrets: readonly string[]): Error {
  const source = error instanceof Error ? error : new Error(String(error));
  let message = source.message;
  for (const secret of secrets) if (secret !== '') message = message.split(secret).join('***');
  const clean = new Error(message);
  clean.name = source.name;
  const code = (source as Error & { code?: unknown }).code;
  if (typeof code === 'string') Object.assign(clean, { code });
  return clean;
}

/** Wraps `client`: readiness waits, timeouts, error mapping, scripts, SCAN and closing. */
export function createRedisConnection(client: RedisClient, timeouts: RedisTimeouts, secrets: readonly string[]): RedisConnection {
  let closed = false;
  let closing: Promise<void> | undefined;
  const waiters = new Set<(error: Error | null) => void>();
  const settleWaiters = (error: Error | null): void => {
    for (const waiter of [...waiters]) waiter(error);
  };
  // The latest connection error, reported as the cause when an operation gives up waiting.
  let lastError: Error | undefined;
  // 'error' must always have a listener (ioredis would print it); failures surface through run().
  client.on('error', (error: Error) => {
    lastError = error;
  });
  client.on('ready', () => {
    lastError = undefined;
    settleWaiters(null);
  });
  client.on('end', () => settleWaiters(new Error('The Redis connection ended.')));

  for (const [name, definition] of Object.entries(SCRIPTS)) client.defineCommand(name, definition);

  const unavailable = (cause: unknown): StoreUnavailableError =>
    new StoreUnavailableError(closed ? 'The Redis store is closed.' : UNAVAILABLE_MESSAGE, {
      cause: sanitizeError(cause, secrets),
    });

  const notReady = (): Error => {
    const error = new Error(
      `Redis not ready within ${timeouts.commandTimeoutMs} ms${lastError === undefined ? '' : ` (${lastError.message})`}.`,
    );
    const code = (lastError as (Error & { code?: unknown }) | undefined)?.code;
    if (typeof code === 'string') Object.assign(error, { code });
    return error;
  };

  /** Resolves once the client is ready; rejects after the command timeout. */
  const whenReady = (): Promise<void> => {
    if (client.status === 'ready') return Promise.resolve();
    if (client.status === 'end') return Promise.reject(new Error('The Redis connection ended.'));
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => finish(notReady()), timeouts.commandTimeoutMs);
      const finish = (error: Error | null): void => {
        clearTimeout(timer);
        waiters.delete(finish);
        if (error === null) resolve();
        else reject(error);
      };
      waiters.add(finish);
    });
  };

  // A last line of defence: no operation outlives twice the command timeout (ioredis enforces
  // the timeout per command; this catches anything that slips past it, e.g. a wait on a
  // reconnect). One shared sweeper rather than a timer per operation: every session read goes
  // through here, and a timer plus a Promise.race per read cost more than the read's own work.
  const deadlineMs = 2 * timeouts.commandTimeoutMs;
  const sweepEveryMs = Math.max(Math.floor(timeouts.commandTimeoutMs / 2), 5);
  const inFlight = new Set<{ readonly giveUpAt: number; readonly fail: () => void }>();
  let sweeper: NodeJS.Timeout | undefined;
  const sweep = (): void => {
    const now = performance.now();
    for (const operation of inFlight) {
      if (now >= operation.giveUpAt) {
        inFlight.delete(operation);
        operation.fail();
      }
    }
    if (inFlight.size === 0 && sweeper !== undefined) {
      clearInterval(sweeper);
      sweeper = undefined;
    }
  };
  const withDeadline = <T>(promise: Promise<T>): Promise<T> =>
    new Promise<T>((resolve, reject) => {
      // Given up at most one sweep after the deadline minus one sweep: within 2× the timeout.
      const operation = { giveUpAt: performance.now() + deadlineMs - sweepEveryMs, fail: () => reject(unavailable(new Error('Redis operation timed out.'))) };
      inFlight.add(operation);
      if (sweeper === undefined) {
        sweeper = setInterval(sweep, sweepEveryMs);
        sweeper.unref();
      }
      promise.then(
        (value) => {
          inFlight.delete(operation);
          resolve(value);
        },
        (error: unknown) => {
          inFlight.delete(operation);
          reject(unavailable(error));
        },
      );
    });

  const run = <T>(operation: (c: RedisClient) => Promise<T>): Promise<T> => {
    if (closed) return Promise.reject(unavailable(new Error('The Redis store is closed.')));
    // The usual case, without an extra await: connected, so the command goes out now.
    if (client.status === 'ready') return start(operation);
    return whenReady().then(
      () => start(operation),
      (error: unknown) => Promise.reject(unavailable(error)),
    );
  };
  const start = <T>(operation: (c: RedisClient) => Promise<T>): Promise<T> => {
    let started: Promise<T>;
    try {
      started = operation(client);
    } catch (error) {
      return Promise.reject(unavailable(error));
    }
    return withDeadline(started);
  };

  const script = (name: ScriptName, buffers = false): ScriptCall => {
    const property = buffers ? `${name}Buffer` : name;
    return (...args) =>
      run((c) => {
        const fn = (c as unknown as Record<string, unknown>)[property];
        if (typeof fn !== 'function') throw new Error(`The Redis script ${property} is not defined.`);
        return (fn as ScriptCall).apply(c, args);
      });
  };

  const scanNode = async (node: Redis, pattern: string, onBatch: (keys: string[]) => Promise<void>): Promise<void> => {
    let cursor = '0';
    do {
      const [next, keys] = await run(() => node.scan(cursor, 'MATCH', pattern, 'COUNT', 1000));
      cursor = next;
      if (keys.length > 0) await onBatch(keys);
    } while (cursor !== '0');
  };

  return {
    client,
    run,
    script,
    async scan(pattern, onBatch): Promise<void> {
      if (client instanceof Cluster) {
        const masters = await run(async (c) => (c as Cluster).nodes('master'));
        for (const node of masters) await scanNode(node, pattern, onBatch);
      } else {
        await scanNode(client, pattern, onBatch);
      }
    },
    unavailable,
    get closed(): boolean {
      return closed;
    },
    close(): Promise<void> {
      closing ??= (async () => {
        closed = true;
        settleWaiters(new Error('The Redis store is closed.'));
        await quit(client);
      })();
      return closing;
    },
  };
}

/** Quits gracefully when connected (bounded), then disconnects so no reconnect timer survives. */
export async function quit(client: RedisClient): Promise<void> {
  if (client.status === 'ready') {
    let timer: NodeJS.Timeout | undefined;
    const grace = new Promise<void>((resolve) => {
      timer = setTimeout(resolve, 1_000);
    });
    await Promise.race([client.quit().catch(() => undefined), grace]);
    clearTimeout(timer);
  }
  client.disconnect();
}
