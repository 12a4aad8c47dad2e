import { systemClock } from '../../core/clock.js';
import type { Clock } from '../../core/clock.js';
import type { QueryConfig } from 'pg';
import type { Stores } from '../types.js';
import { createPgSettings } from './pg-config.js';
import { createPgDatabase } from './pg-database.js';
import { createPgRateLimitStore } from './pg-rate-limit-store.js';
import { createPgRevocationBus } from './pg-revocation-bus.js';
import type { PostgresRevocationBus } from './pg-revocation-bus.js';
import { createPgRevocationStore } from './pg-revocation-store.js';
import { createPgSessionStore } from './pg-session-store.js';
import { createPgSigningKeyStore } from './pg-signing-key-store.js';
import { createPgUserStore } from './pg-user-store.js';

/** Options for `openPostgresStores`. */
export interface PostgresStoresOptions {
  /**
   * `postgres://user:password@host:5432/database` (libpq parameters such as `sslmode` work;
   * parameters in the URL override the options below). Never logged; messages redact it.
   */
  readonly url: string;
  /** The schema holding Tessera's tables, created when missing (default `tessera`). */
  readonly schema?: string;
  /** Pooled connections per store instance (default 10). */
  readonly poolSize?: number;
  /** Stamps `schema_migrations.applied_at`; every store operation takes its own `now`. */
  readonly clock?: Clock;
  /** `application_name` of every connection, to find them in `pg_stat_activity` (default `tessera`). */
  readonly applicationName?: string;
  /** How long connecting may take before the operation fails (default 2000 ms). */
  readonly connectTimeoutMs?: number;
  /** The server-side statement timeout (default 5000 ms). */
  readonly statementTimeoutMs?: number;
  /** How often the revocation bus probes its idle LISTEN connection (default 10000 ms). */
  readonly busHeartbeatMs?: number;
}

/** The PostgreSQL stores: every `Stores` member, the bus always present, and `ready`. */
export interface PostgresStores extends Stores {
  /** LISTEN/NOTIFY on `<schema>_revocations`; `onStatus` and `connected` are always available. */
  readonly bus: PostgresRevocationBus;
  /**
   * Connects and applies pending migrations; resolves when the store is usable. Optional —
   * every operation does this on first use — but awaiting it at start-up surfaces a bad URL or
   * an unreachable server before the first request does.
   */
  ready(): Promise<void>;
}

/** Statement with a client-side read timeout of its own (pg reads `query_timeout` per query). */
interface TimedQuery extends QueryConfig {
  readonly query_timeout: number;
}

/**
 * Opens the PostgreSQL stores (users, sessions, revocations, rate limits, signing keys and the
 * revocation bus) on one pool. Synchronous and offline: connecting and migrating happen on
 * first use (or `ready()`), so a node starting while the database is down comes up and serves
 * once it is back. Throws `ConfigurationError` for a malformed URL, schema name or option;
 * operations reject with `StoreUnavailableError` while the server cannot be reached.
 */
export function openPostgresStores(options: PostgresStoresOptions): PostgresStores {
  const settings = createPgSettings({
    url: options.url,
    schema: options.schema ?? 'tessera',
    poolSize: options.poolSize ?? 10,
    applicationName: options.applicationName ?? 'tessera',
    connectTimeoutMs: options.connectTimeoutMs ?? 2000,
    statementTimeoutMs: options.statementTimeoutMs ?? 5000,
  });
  const clock = options.clock ?? systemClock;
  const db = createPgDatabase(settings, () => clock.now());
  const bus = createPgRevocationBus({
    settings,
    heartbeatMs: options.busHeartbeatMs,
    notify: async (payload) => {
      await db.query({ name: 'tessera_notify', text: 'SELECT pg_notify($1, $2)', values: [settings.channel, payload] });
    },
  });
  const ping: TimedQuery = { text: 'SELECT 1', query_timeout: settings.client.connectionTimeoutMillis ?? 2000 };
  let closing: Promise<void> | undefined;

  return {
    users: createPgUserStore(db),
    sessions: createPgSessionStore(db),
    revocations: createPgRevocationStore(db),
    rateLimits: createPgRateLimitStore(db),
    keys: createPgSigningKeyStore(db),
    bus,
    ready: () => db.ready(),
    async ping(): Promise<void> {
      await db.query(ping);
    },
    close(): Promise<void> {
      closing ??= bus.close().then(() => db.close());
      return closing;
    },
  };
}
