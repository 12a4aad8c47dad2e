import { Pool } from 'pg';
import type { QueryConfig, QueryResult, QueryResultRow } from 'pg';
import { StoreUnavailableError } from '../../core/errors.js';
import type { PgSettings } from './pg-config.js';
import { mapPgError } from './pg-errors.js';
import { applyMigrations } from './migrations.js';

/**
 * The one door every PostgreSQL store statement goes through: it refuses work after close,
 * makes sure the schema is migrated first, and maps driver failures (DESIGN §5: fail closed).
 */
export interface PgDatabase {
  readonly settings: PgSettings;
  /** Runs one statement (one implicit transaction) on a pooled connection. */
  query<R extends QueryResultRow>(config: QueryConfig): Promise<QueryResult<R>>;
  /** Resolves once the schema is migrated; retried on the next call after a failure. */
  ready(): Promise<void>;
  readonly closed: boolean;
  /** Ends the pool; idempotent, and later calls reject with `StoreUnavailableError`. */
  close(): Promise<void>;
}

/**
 * Creates the pool (connections are made lazily, so this never touches the network) and the
 * guarded query function. Migrations run on first use: `openPostgresStores` must stay
 * synchronous like the other store factories, and a node that starts while the database is
 * down should come up and serve once it returns instead of crashing at start-up.
 */
export function createPgDatabase(settings: PgSettings, now: () => number): PgDatabase {
  const pool = new Pool(settings.pool);
  // An idle pooled connection that dies (server restart, pg_terminate_backend, a network blip)
  // emits 'error' on the pool; unhandled, that would crash the process. The pool has already
  // dropped the client, and the next checkout opens a fresh connection, so there is nothing
  // to do here — and nothing is logged, since driver errors can quote SQL.
  pool.on('error', () => {});

  let closed = false;
  let closing: Promise<void> | undefined;
  let migrated = false;
  let migrating: Promise<void> | undefined;

  function ready(): Promise<void> {
    if (closed) return Promise.reject(closedError());
    if (migrated) return Promise.resolve();
    migrating ??= applyMigrations(pool, settings.schema, now()).then(
      () => {
        migrated = true;
      },
      (error: unknown) => {
        // Forget the failure so the next operation tries again (the server may be back).
        migrating = undefined;
        throw mapPgError(error, closed);
      },
    );
    return migrating;
  }

  return {
    settings,
    get closed(): boolean {
      return closed;
    },
    async query<R extends QueryResultRow>(config: QueryConfig): Promise<QueryResult<R>> {
      if (closed) throw closedError();
      // Checked synchronously so the hot path does not pay for an extra awaited promise.
      if (!migrated) await ready();
      try {
        return await pool.query<R>(config);
      } catch (error) {
        throw mapPgError(error, closed);
      }
    },
    ready,
    close(): Promise<void> {
      if (closing === undefined) {
        closed = true;
        // pool.end() waits for checked-out clients; a second end() would reject, hence the memo.
        closing = pool.end().catch(() => {});
      }
      return closing;
    },
  };
}

function closedError(): StoreUnavailableError {
  return new StoreUnavailableError('The PostgreSQL store is closed.');
}
