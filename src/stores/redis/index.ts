/**
 * The Redis stores (ioredis): sessions, revocations, rate-limit counters, signing keys and a
 * pub/sub revocation bus, on a standalone Redis or a Redis Cluster. Users are never in Redis:
 * they live in SQLite or PostgreSQL. Chosen by URL (`TESSERA_SESSION_STORE=redis://…`,
 * `rediss://…`, `redis-cluster://…`); loaded only when named, so ioredis is not imported
 * otherwise.
 */
export { openRedisStores } from './redis-stores.js';
export type { RedisStores, RedisStoresOptions } from './redis-stores.js';
export type { RedisRevocationBus } from './redis-bus.js';
export { parseRedisUrl, redactRedisUrl } from './redis-url.js';
export type { RedisNodeAddress, RedisTarget } from './redis-url.js';
