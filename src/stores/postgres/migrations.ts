import type { Pool, PoolClient, QueryConfig, QueryResultRow } from 'pg';
import { ConfigurationError } from '../../core/errors.js';

/** One numbered schema change. Versions are never reused or edited once released. */
export interface PgMigration {
  readonly version: number;
  readonly name: string;
  /** The DDL, given the quoted schema name (`"tessera"`) to qualify every object with. */
  sql(schema: string): string;
}

/**
 * The schema, as an append-only list. Times are BIGINT milliseconds since the epoch.
 *
 * Users and the session side are separate migrations with no foreign keys between them: a
 * deployment may keep users here and sessions in Redis or SQLite, or the reverse, and the core —
 * not the schema — decides what a session of a missing user means.
 */
export const MIGRATIONS: readonly PgMigration[] = [
  {
    version: 1,
    name: 'users',
    // `seq` orders users created in the same millisecond by insertion, like SQLite's rowid.
    sql: (s) => `
      CREATE TABLE ${s}.users (
        id TEXT PRIMARY KEY,
        email TEXT NOT NULL UNIQUE,
        password_hash TEXT NOT NULL,
        disabled BOOLEAN NOT NULL DEFAULT false,
        created_at BIGINT NOT NULL,
        updated_at BIGINT NOT NULL,
        sessions_valid_after BIGINT NOT NULL DEFAULT 0,
        seq BIGINT GENERATED ALWAYS AS IDENTITY
      );
      CREATE INDEX users_created_at ON ${s}.users (created_at, seq);`,
  },
  {
    version: 2,
    name: 'sessions, revocations and rate limits',
    // The expression index matches the sweep's `last_seen_at + idle_timeout_ms <= $1` exactly,
    // so with sessions_expires_at the sweep is a BitmapOr of two index scans, not a table scan.
    sql: (s) => `
      CREATE TABLE ${s}.sessions (
        id TEXT PRIMARY KEY,
        user_id TEXT NOT NULL,
        carrier TEXT NOT NULL CHECK (carrier IN ('cookie', 'bearer', 'hybrid')),
        secret_hash TEXT NOT NULL,
        created_at BIGINT NOT NULL,
        last_seen_at BIGINT NOT NULL,
        authenticated_at BIGINT NOT NULL,
        expires_at BIGINT NOT NULL,
        idle_timeout_ms BIGINT NOT NULL CHECK (idle_timeout_ms > 0),
        ip TEXT,
        user_agent TEXT,
        refresh_generation BIGINT NOT NULL DEFAULT 0,
        refresh_rotated_at BIGINT NOT NULL
      );
      CREATE INDEX sessions_user_id ON ${s}.sessions (user_id);
      CREATE INDEX sessions_expires_at ON ${s}.sessions (expires_at);
      CREATE INDEX sessions_idle_expires_at ON ${s}.sessions ((last_seen_at + idle_timeout_ms));

      CREATE TABLE ${s}.revocations (
        kind TEXT NOT NULL CHECK (kind IN ('sid', 'jti', 'sub')),
        value TEXT NOT NULL,
        not_before BIGINT CHECK ((kind = 'sub') = (not_before IS NOT NULL)),
        expires_at BIGINT NOT NULL,
        PRIMARY KEY (kind, value)
      );
      CREATE INDEX revocations_expires_at ON ${s}.revocations (expires_at);

      CREATE TABLE ${s}.rate_limits (
        key TEXT PRIMARY KEY,
        count BIGINT NOT NULL,
        reset_at BIGINT NOT NULL
      );
      CREATE INDEX rate_limits_reset_at ON ${s}.rate_limits (reset_at);`,
  },
  {
    // The UNIQUE activates_at keeps two nodes from both creating a key for one rotation instant:
    // the loser's INSERT ... ON CONFLICT DO NOTHING writes nothing and reports false.
    version: 3,
    name: 'signing keys',
    sql: (s) => `
      CREATE TABLE ${s}.signing_keys (
        kid TEXT PRIMARY KEY,
        alg TEXT NOT NULL,
        public_jwk TEXT NOT NULL,
        private_jwk TEXT NOT NULL,
        created_at BIGINT NOT NULL,
        activates_at BIGINT NOT NULL UNIQUE
      );`,
  },
];

/**
 * The advisory-lock key: a fixed class id ('tess') plus hashtext(schema), so nodes migrating
 * one schema queue up while different schemas (test runs, tenants) rarely wait on each other.
 */
const LOCK_CLASS = 0x74657373;
/** DDL may take longer than the 5 s request statement timeout on a large table. */
const MIGRATION_TIMEOUT_MS = 60_000;

/** A statement with its own client-side read timeout (pg reads `query_timeout` per query). */
interface TimedQuery extends QueryConfig {
  readonly query_timeout: number;
}

/**
 * Applies every migration not yet recorded in `<schema>.schema_migrations`, each in its own
 * transaction holding `pg_advisory_xact_lock` for the schema, so two nodes starting together
 * never race: the second waits, then sees the record and skips. Creates the schema and the
 * bookkeeping table when missing. Returns the versions applied now. Throws
 * `ConfigurationError` when the schema was migrated by a newer Tessera.
 */
export async function applyMigrations(
  pool: Pool,
  schema: string,
  now: number,
  migrations: readonly PgMigration[] = MIGRATIONS,
): Promise<number[]> {
  assertOrdered(migrations);
  const client = await pool.connect();
  let failure: Error | undefined;
  try {
    const newest = await inTransaction(client, schema, () => bootstrap(client, schema));
    const latestKnown = migrations.at(-1)?.version ?? 0;
    if (newest !== null && newest > latestKnown) {
      throw new ConfigurationError(
        `The PostgreSQL schema "${schema}" (version ${newest}) is newer than this Tessera understands ` +
          `(version ${latestKnown}). Upgrade Tessera, or point it at another schema.`,
      );
    }
    const applied: number[] = [];
    for (const migration of migrations) {
      const done = await inTransaction(client, schema, async () => {
        const recorded = await run(client, `SELECT 1 FROM "${schema}".schema_migrations WHERE version = $1`, [
          migration.version,
        ]);
        if (recorded.length > 0) return false;
        await run(client, migration.sql(`"${schema}"`));
        await run(
          client,
          `INSERT INTO "${schema}".schema_migrations (version, name, applied_at) VALUES ($1, $2, $3)`,
          [migration.version, migration.name, now],
        );
        return true;
      });
      if (done) applied.push(migration.version);
    }
    return applied;
  } catch (error) {
    // A connection that failed mid-transaction is destroyed, never returned to the pool.
    if (!(error instanceof ConfigurationError)) failure = error instanceof Error ? error : new Error(String(error));
    throw error;
  } finally {
    client.release(failure);
  }
}

/**
 * Creates the schema and `schema_migrations` when missing and returns the newest recorded
 * version. Existence is checked first so a role without CREATE on the database can still run
 * against a schema an administrator prepared.
 */
async function bootstrap(client: PoolClient, schema: string): Promise<number | null> {
  const exists = await run(client, 'SELECT 1 FROM pg_namespace WHERE nspname = $1', [schema]);
  if (exists.length === 0) await run(client, `CREATE SCHEMA "${schema}"`);
  const table = await run<{ t: string | null }>(client, 'SELECT to_regclass($1)::text AS t', [
    `"${schema}".schema_migrations`,
  ]);
  if (table[0]?.t == null) {
    await run(
      client,
      `CREATE TABLE "${schema}".schema_migrations (
         version INTEGER PRIMARY KEY,
         name TEXT NOT NULL,
         applied_at BIGINT NOT NULL
       )`,
    );
  }
  const [row] = await run<{ v: number | null }>(client, `SELECT max(version) AS v FROM "${schema}".schema_migrations`);
  return row?.v ?? null;
}

/** Runs `work` in a transaction that first takes the schema's advisory lock. */
async function inTransaction<T>(client: PoolClient, schema: string, work: () => Promise<T>): Promise<T> {
  // No ROLLBACK on failure: the caller releases the connection with the error, which destroys
  // it, and the server aborts the transaction (and frees the lock) when the session ends. A
  // ROLLBACK sent here could queue behind a statement that timed out client-side but still runs.
  await run(client, 'BEGIN');
  await run(client, `SET LOCAL statement_timeout = ${MIGRATION_TIMEOUT_MS}`);
  await run(client, 'SELECT pg_advisory_xact_lock($1, hashtext($2))', [LOCK_CLASS, schema]);
  const result = await work();
  await run(client, 'COMMIT');
  return result;
}

async function run<R extends QueryResultRow>(client: PoolClient, text: string, values?: unknown[]): Promise<R[]> {
  const query: TimedQuery = { text, values, query_timeout: MIGRATION_TIMEOUT_MS + 1000 };
  return (await client.query<R>(query)).rows;
}

/** A mis-ordered list would apply changes out of order on some machines: refuse it. */
function assertOrdered(migrations: readonly PgMigration[]): void {
  migrations.forEach((migration, index) => {
    const previous = index === 0 ? 0 : (migrations[index - 1]?.version ?? 0);
    if (!Number.isInteger(migration.version) || migration.version <= previous) {
      throw new Error('PostgreSQL migrations must have strictly increasing integer versions.');
    }
  });
}
