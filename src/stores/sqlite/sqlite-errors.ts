import type BetterSqlite3 from 'better-sqlite3';
import { StoreUnavailableError } from '../../core/errors.js';

/**
 * SQLite result-code families that mean "the database cannot serve us right now": locked past
 * the busy timeout, I/O failure, cannot open, disk full, corrupt, not a database, read-only.
 * Extended codes (SQLITE_IOERR_WRITE, SQLITE_BUSY_SNAPSHOT, …) share the family prefix.
 */
const UNAVAILABLE_CODES: readonly string[] = [
  'SQLITE_BUSY',
  'SQLITE_LOCKED',
  'SQLITE_IOERR',
  'SQLITE_CANTOPEN',
  'SQLITE_FULL',
  'SQLITE_CORRUPT',
  'SQLITE_NOTADB',
  'SQLITE_READONLY',
  'SQLITE_PROTOCOL',
  'SQLITE_NOMEM',
];

/** The one message we use: it never names the file (paths can carry secrets) nor SQL values. */
const UNAVAILABLE_MESSAGE = 'The SQLite store is unavailable.';

/** True when `error` is a better-sqlite3 error whose code is in an "unusable" family. */
export function isUnavailableSqliteError(error: unknown): boolean {
  if (!(error instanceof Error)) return false;
  const code = (error as Error & { code?: unknown }).code;
  if (typeof code !== 'string') return false;
  return UNAVAILABLE_CODES.some((family) => code === family || code.startsWith(`${family}_`));
}

/** Wraps `cause` in a `StoreUnavailableError` with a generic message. */
export function storeUnavailable(cause: unknown): StoreUnavailableError {
  return new StoreUnavailableError(UNAVAILABLE_MESSAGE, { cause });
}

/**
 * Maps an error thrown by a statement: a closed connection or an unusable database becomes
 * `StoreUnavailableError` (so callers fail closed with 503); anything else — a constraint
 * violation, a bad binding — is a programming error and is rethrown untouched.
 */
export function mapSqliteError(error: unknown, db: BetterSqlite3.Database): unknown {
  if (!db.open || isUnavailableSqliteError(error)) return storeUnavailable(error);
  return error;
}

/** Runs `operation` against `db`, mapping failures with `mapSqliteError`. */
export type Guard = <T>(operation: () => T) => T;

/** Creates the guard every SQLite store method runs its statements through. */
export function createGuard(db: BetterSqlite3.Database): Guard {
  return <T>(operation: () => T): T => {
    try {
      return operation();
    } catch (error) {
      throw mapSqliteError(error, db);
    }
  };
}
