/**
 * The PostgreSQL stores: users and the session side in one schema, with versioned migrations
 * and a LISTEN/NOTIFY revocation bus. Chosen by URL (`TESSERA_SESSION_STORE=postgres://…`,
 * `TESSERA_USER_STORE=postgres://…`).
 */
export { openPostgresStores } from './postgres-stores.js';
export type { PostgresStores, PostgresStoresOptions } from './postgres-stores.js';
export type { PostgresRevocationBus } from './pg-revocation-bus.js';
export { redactPostgresUrl } from './pg-errors.js';
export { MIGRATIONS as POSTGRES_MIGRATIONS, applyMigrations as applyPostgresMigrations } from './migrations.js';
export type { PgMigration } from './migrations.js';
