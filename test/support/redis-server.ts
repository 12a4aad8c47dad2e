import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import type { ChildProcess } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { connect, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { createMemoryStores } from '../../src/stores/memory/memory-stores.js';
import type { SessionSideStores, Stores } from '../../src/stores/types.js';

/**
 * Private redis-server processes for tests that must stop, pause or restart "the" Redis — which
 * they must never do to the machine's shared server. Each server gets a free port, a temporary
 * directory and no persistence; `cleanup` (and, as a last resort, process exit) kills it.
 */

/** A private standalone Redis. */
export interface PrivateRedisServer {
  readonly port: number;
  /** `redis://[:password@]127.0.0.1:<port>` */
  readonly url: string;
  /** True while the process runs (between start and stop). */
  readonly running: boolean;
  /** Starts the process again on the same port (after `stop`); resolves once it answers PING. */
  start(): Promise<void>;
  /** Stops the process (SIGTERM, then SIGKILL after 3 s); the port stays reserved for `start`. */
  stop(): Promise<void>;
  /** `stop` then `start`. */
  restart(): Promise<void>;
  /** Freezes the process (SIGSTOP): connections stay open but nothing answers — a hung server. */
  pause(): void;
  /** Thaws a paused process (SIGCONT). */
  resume(): void;
  /** Stops the process and removes its directory; idempotent. */
  cleanup(): Promise<void>;
}

/** Options for `startRedisServer`. */
export interface RedisServerOptions {
  /** Sets `requirepass`, for authentication tests. */
  readonly password?: string;
  /** Extra `redis-server` arguments, e.g. `['--cluster-enabled', 'yes']`. */
  readonly args?: readonly string[];
  /** A port to use instead of a free one. */
  readonly port?: number;
  /** A directory to use (and not remove) instead of a fresh temporary one. */
  readonly dir?: string;
}

const live = new Set<ChildProcess>();
let exitHookInstalled = false;

/** Kills every server still running when the test process exits (a crashed test, a timeout). */
function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  process.once('exit', () => {
    for (const child of live) child.kill('SIGKILL');
  });
}

/** A TCP port that was free a moment ago (bound to port 0, then released). */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address !== null ? address.port : 0;
      server.close(() => (port > 0 ? resolve(port) : reject(new Error('No free port.'))));
    });
  });
}

/** True when `port` can be bound on 127.0.0.1 right now. */
export async function isPortFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once('error', () => resolve(false));
    server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)));
  });
}

/**
 * Sends one inline command over a fresh TCP connection and resolves with the raw reply text,
 * or null when nothing answers within `timeoutMs`. No client library: it must work while the
 * server is half-started, and must never queue or reconnect.
 */
export async function rawCommand(port: number, command: string, timeoutMs = 500): Promise<string | null> {
  return new Promise((resolve) => {
    const socket = connect({ host: '127.0.0.1', port });
    let reply = '';
    const done = (value: string | null): void => {
      clearTimeout(timer);
      socket.destroy();
      resolve(value);
    };
    const timer = setTimeout(() => done(reply === '' ? null : reply), timeoutMs);
    socket.once('error', () => done(null));
    socket.on('connect', () => socket.write(`${command}\r\n`));
    socket.on('data', (chunk) => {
      reply += chunk.toString('utf8');
      // Simple replies end at the first CRLF; bulk replies ($<n>) once all n bytes arrived.
      const bulk = /^\$(\d+)\r\n/.exec(reply);
      if (bulk === null ? reply.includes('\r\n') : reply.length >= bulk[0].length + Number(bulk[1]) + 2) done(reply);
    });
  });
}

/** Polls until `check` is true, failing after `timeoutMs` with `what` in the message. */
export async function pollUntil(check: () => Promise<boolean>, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`Timed out after ${timeoutMs} ms waiting for ${what}.`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

/** Starts a private redis-server and resolves once it answers (a missing binary rejects). */
export async function startRedisServer(options: RedisServerOptions = {}): Promise<PrivateRedisServer> {
  installExitHook();
  const port = options.port ?? (await freePort());
  const ownDir = options.dir === undefined;
  const dir = options.dir ?? (await mkdtemp(join(tmpdir(), 'tessera-redis-')));
  const args = [
    '--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no',
    '--dir', dir, '--daemonize', 'no', '--loglevel', 'warning',
    ...(options.password === undefined ? [] : ['--requirepass', options.password]),
    ...(options.args ?? []),
  ];
  let child: ChildProcess | undefined;
  let cleaned = false;

  const spawnServer = async (): Promise<void> => {
    const started = spawn('redis-server', args, { stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    started.stderr?.on('data', (chunk: Buffer) => {
      stderr = (stderr + chunk.toString('utf8')).slice(-2000);
    });
    const failed = new Promise<never>((_, reject) => {
      started.once('error', (error) => reject(new Error(`Cannot start redis-server: ${error.message}`)));
      started.once('exit', (code) => reject(new Error(`redis-server exited with ${code}: ${stderr}`)));
    });
    failed.catch(() => undefined);
    child = started;
    live.add(started);
    started.once('exit', () => live.delete(started));
    // Any reply means the server is up (NOAUTH included, when a password is set).
    const answering = pollUntil(async () => (await rawCommand(port, 'PING')) !== null, 10_000, `redis-server on port ${port}`);
    await Promise.race([answering, failed]);
  };

  const stopServer = async (): Promise<void> => {
    const running = child;
    child = undefined;
    if (running === undefined || running.exitCode !== null || running.signalCode !== null) return;
    const exited = new Promise<void>((resolve) => running.once('exit', () => resolve()));
    running.kill('SIGCONT');
    running.kill('SIGTERM');
    const timer = setTimeout(() => running.kill('SIGKILL'), 3_000);
    await exited;
    clearTimeout(timer);
  };

  await spawnServer();
  const auth = options.password === undefined ? '' : `:${encodeURIComponent(options.password)}@`;
  return {
    port,
    url: `redis://${auth}127.0.0.1:${port}`,
    get running(): boolean {
      return child !== undefined;
    },
    async start(): Promise<void> {
      if (cleaned) throw new Error('This redis-server was cleaned up.');
      if (child === undefined) await spawnServer();
    },
    stop: stopServer,
    async restart(): Promise<void> {
      await stopServer();
      await spawnServer();
    },
    pause(): void {
      child?.kill('SIGSTOP');
    },
    resume(): void {
      child?.kill('SIGCONT');
    },
    async cleanup(): Promise<void> {
      if (cleaned) return;
      cleaned = true;
      await stopServer();
      if (ownDir) await rm(dir, { recursive: true, force: true });
    },
  };
}

/** The machine's shared Redis for conformance tests; override with TESSERA_TEST_REDIS_URL. */
export const SHARED_REDIS_URL = process.env.TESSERA_TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';

/** A key prefix no other test run uses: `t:<pid>:<random>:`. */
export function uniqueRedisPrefix(): string {
  return `t:${process.pid}:${randomBytes(5).toString('hex')}:`;
}

/**
 * Deletes every key under `prefix` on each node (SCAN + UNLINK, one key per command so that
 * keys of different cluster slots never meet in one command); returns how many.
 */
export async function deleteKeysWithPrefix(nodes: readonly { host: string; port: number }[], prefix: string): Promise<number> {
  const pattern = `${prefix.replace(/[*?[\]\\]/g, (c) => `\\${c}`)}*`;
  let deleted = 0;
  for (const node of nodes) {
    const client = new Redis({ host: node.host, port: node.port, lazyConnect: true, maxRetriesPerRequest: 1, retryStrategy: () => null });
    client.on('error', () => undefined);
    try {
      await client.connect();
      let cursor = '0';
      do {
        const [next, keys] = await client.scan(cursor, 'MATCH', pattern, 'COUNT', 1000);
        cursor = next;
        if (keys.length > 0) {
          const pipeline = client.pipeline();
          for (const key of keys) pipeline.unlink(key);
          await pipeline.exec();
          deleted += keys.length;
        }
      } while (cursor !== '0');
    } finally {
      client.disconnect();
    }
  }
  return deleted;
}

/**
 * Gives Redis session-side stores a memory UserStore, so the shared conformance suite (which
 * covers users too) can run against them; ping and close reach both.
 */
export function withMemoryUsers(side: SessionSideStores): Stores {
  const memory = createMemoryStores();
  return {
    users: memory.users,
    sessions: side.sessions,
    revocations: side.revocations,
    rateLimits: side.rateLimits,
    keys: side.keys,
    ...(side.bus === undefined ? {} : { bus: side.bus }),
    async ping(): Promise<void> {
      await Promise.all([memory.ping(), side.ping()]);
    },
    async close(): Promise<void> {
      await Promise.all([memory.close(), side.close()]);
    },
  };
}
