import type BetterSqlite3 from 'better-sqlite3';
import { ConfigurationError } from '../../core/errors.js';

/** One numbered schema change. Versions are never reused or edited once released. */
export interface Migration {
  readonly version: number;
  readonly name: string;
  readonly sql: string;
}

/**
 * The schema, as an append-only list. Tables are STRICT so a wrong type is an error rather than
 * silently stored text. Timestamps are integer milliseconds since the epoch.
 *
 * `sessions.user_id` deliberately has no foreign key to `users`: users may live in another store
 * (PostgreSQL) while sessions live here, and the core — not the schema — decides what a session
 * of a missing user means.
 */
export const MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    name: 'initial schema',
    sql: `
      CREATE TABLE users (
        id TEXT PRIMARY KEY,
        email TEXT NOT NULL UNIQUE,
        password_hash TEXT NOT NULL,
        disabled INTEGER NOT NULL DEFAULT 0 CHECK (disabled IN (0, 1)),
        created_at INTEGER NOT NULL,
        updated_at INTEGER NOT NULL,
        sessions_valid_after INTEGER NOT NULL DEFAULT 0
      ) STRICT;
      CREATE INDEX users_created_at ON users (created_at);

      CREATE TABLE sessions (
        id TEXT PRIMARY KEY,
        user_id TEXT NOT NULL,
        carrier TEXT NOT NULL CHECK (carrier IN ('cookie', 'bearer', 'hybrid')),
        secret_hash TEXT NOT NULL,
        created_at INTEGER NOT NULL,
        last_seen_at INTEGER NOT NULL,
        authenticated_at INTEGER NOT NULL,
        expires_at INTEGER NOT NULL,
        ip TEXT,
        user_agent TEXT,
        refresh_generation INTEGER NOT NULL DEFAULT 0,
        refresh_rotated_at INTEGER NOT NULL
      ) STRICT;
      CREATE INDEX sessions_user_id ON sessions (user_id);
      CREATE INDEX sessions_expires_at ON sessions (expires_at);

      CREATE TABLE revocations (
        kind TEXT NOT NULL CHECK (kind IN ('sid', 'jti', 'sub')),
        value TEXT NOT NULL,
        not_before INTEGER CHECK ((kind = 'sub') = (not_before IS NOT NULL)),
        expires_at INTEGER NOT NULL,
        PRIMARY KEY (kind, value)
      ) STRICT, WITHOUT ROWID;
      CREATE INDEX revocations_expires_at ON revocations (expires_at);

      CREATE TABLE rate_limits (
        key TEXT PRIMARY KEY,
        count INTEGER NOT NULL,
        reset_at INTEGER NOT NULL
      ) STRICT, WITHOUT ROWID;
      CREATE INDEX rate_limits_reset_at ON rate_limits (reset_at);
    `,
  },
  {
    // Idle timeouts differ per carrier (cookie minutes, token carriers days), so each session
    // carries its own. Existing rows get the cookie default of 30 minutes. The expression index
    // matches the sweep's `last_seen_at + idle_timeout_ms <= ?` term exactly, so together with
    // sessions_expires_at the sweep is a MULTI-INDEX OR of two range scans, not a table scan;
    // the price is one index update per touch, which happens once per touch interval at most.
    version: 2,
    name: 'per-session idle timeout',
    sql: `
      ALTER TABLE sessions ADD COLUMN idle_timeout_ms INTEGER NOT NULL DEFAULT 1800000;
      CREATE INDEX sessions_idle_expires_at ON sessions (last_seen_at + idle_timeout_ms);
    `,
  },
  {
    // The UNIQUE activates_at is what keeps two nodes from both creating a key for one rotation
    // instant: the second INSERT ... ON CONFLICT DO NOTHING writes nothing and reports false.
    version: 3,
    name: 'signing keys',
    sql: `
      CREATE TABLE signing_keys (
        kid TEXT PRIMARY KEY,
        alg TEXT NOT NULL,
        public_jwk TEXT NOT NULL,
        private_jwk TEXT NOT NULL,
        created_at INTEGER NOT NULL,
        activates_at INTEGER NOT NULL UNIQUE
      ) STRICT;
    `,
  },
];

const CREATE_MIGRATIONS_TABLE = `
  CREATE TABLE IF NOT EXISTS schema_migrations (
    version INTEGER PRIMARY KEY,
    name TEXT NOT NULL,
    applied_at INTEGER NOT NULL
  ) STRICT`;

/**
 * Applies every migration not yet recorded in `schema_migrations`, each in its own IMMEDIATE
 * transaction (so two processes opening a fresh file at once cannot both apply it: the loser
 * waits for the lock, then sees the row and skips). Returns the versions applied now.
 * Throws `ConfigurationError` when the file was migrated by a newer Tessera.
 */
export function applyMigrations(
  db: BetterSqlite3.Database,
  now: number,
  migrations: readonly Migration[] = MIGRATIONS,
): number[] {
  assertOrdered(migrations);
  db.exec(CREATE_MIGRATIONS_TABLE);
  const isApplied = db
    .prepare<[number], number>('SELECT 1 FROM schema_migrations WHERE version = ?')
    .pluck();
  const record = db.prepare<[number, string, number]>(
    'INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)',
  );
  const newest = db
    .prepare<[], number | null>('SELECT max(version) FROM schema_migrations')
    .pluck()
    .get();
  const latestKnown = migrations.at(-1)?.version ?? 0;
  if (newest != null && newest > latestKnown) {
    throw new ConfigurationError(
      `The database schema (version ${newest}) is newer than this Tessera understands ` +
        `(version ${latestKnown}). Upgrade Tessera, or point it at another data directory.`,
    );
  }

  const applied: number[] = [];
  const applyOne = db.transaction((migration: Migration): void => {
    if (isApplied.get(migration.version) !== undefined) return;
    db.exec(migration.sql);
    record.run(migration.version, migration.name, now);
    applied.push(migration.version);
  });
  for (const migration of migrations) applyOne.immediate(migration);
  return applied;
}

/** A mis-ordered list would apply changes out of order on some machines: refuse it. */
function assertOrdered(migrations: readonly Migration[]): void {
  migrations.forEach((migration, index) => {
    const previous = index === 0 ? 0 : (migrations[index - 1]?.version ?? 0);
    if (!Number.isInteger(migration.version) || migration.version <= previous) {
      throw new Error('SQLite migrations must have strictly increasing integer versions.');
    }
  });
}
