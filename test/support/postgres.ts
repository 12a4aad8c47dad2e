import { randomBytes } from 'node:crypto';
import { connect, createServer } from 'node:net';
import type { Socket } from 'node:net';
import { Pool } from 'pg';

/**
 * Helpers for tests against the real PostgreSQL server on this machine. Every test gets a
 * schema (and an application name) of its own, so runs in parallel never see each other's rows
 * and a test only ever terminates its own connections.
 */

/** The test server; override with TESSERA_TEST_POSTGRES_URL. Trust auth, so no password. */
export const POSTGRES_URL = process.env.TESSERA_TEST_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432/test';

let admin: Pool | undefined;

/** A pool for the tests' own bookkeeping (dropping schemas, terminating connections). */
export function adminPool(): Pool {
  if (admin === undefined) {
    admin = new Pool({ connectionString: POSTGRES_URL, max: 2, application_name: 'tessera-test-admin' });
    admin.on('error', () => {});
  }
  return admin;
}

/** Ends the admin pool (call in afterAll). */
export async function closeAdminPool(): Promise<void> {
  const pool = admin;
  admin = undefined;
  await pool?.end();
}

/** A schema name no other test run uses: `tessera_t_<pid>_<random>`. */
export function uniqueSchemaName(prefix = 'tessera_t'): string {
  return `${prefix}_${process.pid}_${randomBytes(6).toString('hex')}`;
}

/** An application name no other test uses, for `pg_stat_activity` and `pg_terminate_backend`. */
export function uniqueApplicationName(): string {
  return `tessera-test-${process.pid}-${randomBytes(4).toString('hex')}`;
}

/** Drops a test schema and everything in it; no error when it was never created. */
export async function dropSchema(schema: string): Promise<void> {
  if (!/^[a-z_][a-z0-9_]{0,62}$/.test(schema)) throw new Error(`Refusing to drop schema ${schema}.`);
  await adminPool().query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
}

/** Terminates every backend connection with this application name; returns how many. */
export async function terminateBackends(applicationName: string): Promise<number> {
  const { rows } = await adminPool().query<{ terminated: boolean }>(
    `SELECT pg_terminate_backend(pid) AS terminated FROM pg_stat_activity
     WHERE datname = current_database() AND application_name = $1`,
    [applicationName],
  );
  return rows.filter((row) => row.terminated).length;
}

/** How many backend connections currently carry this application name. */
export async function countBackends(applicationName: string): Promise<number> {
  const { rows } = await adminPool().query<{ n: number }>(
    `SELECT count(*)::int AS n FROM pg_stat_activity
     WHERE datname = current_database() AND application_name = $1`,
    [applicationName],
  );
  return rows[0]?.n ?? 0;
}

/**
 * Calls `check` every `intervalMs` until it returns true (errors count as false), failing after
 * `timeoutMs`: bounded polling instead of fixed sleeps.
 */
export async function waitFor(check: () => Promise<boolean> | boolean, timeoutMs = 5_000, intervalMs = 25): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  for (;;) {
    try {
      if (await check()) return;
    } catch (error) {
      lastError = error;
    }
    if (Date.now() > deadline) {
      throw new Error(`Condition not met within ${timeoutMs} ms.`, { cause: lastError });
    }
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }
}

/** A TCP proxy to the test server that can stop forwarding, like a server that hangs. */
export interface FreezableProxy {
  /** `POSTGRES_URL` pointed at the proxy. */
  readonly url: string;
  /** Stops forwarding in both directions (bytes wait in the socket buffers). */
  freeze(): void;
  /** Forwards again, including what waited. */
  thaw(): void;
  /** Destroys every proxied connection and stops listening. */
  close(): Promise<void>;
}

/** Starts a `FreezableProxy` on a free local port. */
export async function startFreezableProxy(): Promise<FreezableProxy> {
  const target = new URL(POSTGRES_URL);
  const sockets = new Set<Socket>();
  let frozen = false;
  const track = (socket: Socket): void => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => socket.destroy());
    if (frozen) socket.pause();
  };
  const server = createServer((client) => {
    const upstream = connect(Number(target.port || 5432), target.hostname);
    // pipe() resumes its source, so pause (when frozen) only after piping.
    client.pipe(upstream);
    upstream.pipe(client);
    track(client);
    track(upstream);
    client.on('close', () => upstream.destroy());
    upstream.on('close', () => client.destroy());
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  const url = new URL(POSTGRES_URL);
  url.hostname = '127.0.0.1';
  url.port = String(typeof address === 'object' && address !== null ? address.port : 0);
  return {
    url: url.toString(),
    freeze(): void {
      frozen = true;
      for (const socket of sockets) socket.pause();
    },
    thaw(): void {
      frozen = false;
      for (const socket of sockets) socket.resume();
    },
    async close(): Promise<void> {
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
