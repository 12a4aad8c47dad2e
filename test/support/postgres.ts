import { randomBytes } from 'node:crypto';
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
