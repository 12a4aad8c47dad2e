import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import Database from 'better-sqlite3';
import type BetterSqlite3 from 'better-sqlite3';
import { systemClock } from '../../core/clock.js';
import type { Clock } from '../../core/clock.js';
import type { Stores } from '../types.js';
import { applyMigrations } from './migrations.js';
import { createGuard, mapSqliteError, storeUnavailable } from './sqlite-errors.js';
import { createSqliteRateLimitStore } from './sqlite-rate-limit-store.js';
import { createSqliteRevocationStore } from './sqlite-revocation-store.js';
import { createSqliteSessionStore } from './sqlite-session-store.js';
import { createSqliteSigningKeyStore } from './sqlite-signing-key-store.js';
import { createSqliteUserStore } from './sqlite-user-store.js';

/** Options for `openSqliteStores`. */
export interface SqliteStoresOptions {
  /** The database file; its parent directory is created when missing. `:memory:` works too. */
  readonly path: string;
  /** Stamps `schema_migrations.applied_at`; every store operation takes its own `now`. */
  readonly clock?: Clock;
  /** How long a statement waits for another connection's lock before failing (default 5000). */
  readonly busyTimeoutMs?: number;
}

const DEFAULT_BUSY_TIMEOUT_MS = 5000;

/**
 * Opens (creating and migrating as needed) the embedded SQLite stores. Synchronous underneath:
 * the async interface exists for the networked stores, so results are simply resolved.
 * Throws `StoreUnavailableError` when the file cannot be opened or is not a database, and
 * `ConfigurationError` when it was migrated by a newer Tessera.
 */
export function openSqliteStores(options: SqliteStoresOptions): Stores {
  const clock = options.clock ?? systemClock;
  const busyTimeoutMs = options.busyTimeoutMs ?? DEFAULT_BUSY_TIMEOUT_MS;
  const db = openDatabase(options.path, busyTimeoutMs);
  try {
    // WAL lets readers (findSession) proceed while a writer commits; NORMAL is durable across
    // application crashes and only risks the last commits on power loss, the usual WAL trade.
    db.pragma('journal_mode = WAL');
    db.pragma('synchronous = NORMAL');
    db.pragma(`busy_timeout = ${Math.max(0, Math.trunc(busyTimeoutMs))}`);
    db.pragma('foreign_keys = ON');
    applyMigrations(db, clock.now());
    return assembleStores(db);
  } catch (error) {
    // Map while the connection is still open: after close() every error would look "unavailable".
    const mapped = mapSqliteError(error, db);
    db.close();
    throw mapped;
  }
}

function openDatabase(path: string, busyTimeoutMs: number): BetterSqlite3.Database {
  try {
    if (path !== ':memory:' && path !== '') mkdirSync(dirname(path), { recursive: true });
    return new Database(path, { timeout: busyTimeoutMs });
  } catch (error) {
    // The message stays generic: the path may carry a tenant name or a secret-bearing mount.
    throw storeUnavailable(error);
  }
}

function assembleStores(db: BetterSqlite3.Database): Stores {
  const guard = createGuard(db);
  const select1 = db.prepare<[], number>('SELECT 1').pluck();
  return {
    users: createSqliteUserStore(db, guard),
    sessions: createSqliteSessionStore(db, guard),
    revocations: createSqliteRevocationStore(db, guard),
    rateLimits: createSqliteRateLimitStore(db, guard),
    keys: createSqliteSigningKeyStore(db, guard),
    async ping(): Promise<void> {
      guard(() => select1.get());
    },
    async close(): Promise<void> {
      if (db.open) db.close();
    },
  };
}
