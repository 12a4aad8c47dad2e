import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { TesseraConfig } from '../core/config.js';
import { createMemoryStores } from '../stores/memory/memory-stores.js';
import { openSqliteStores } from '../stores/sqlite/sqlite-stores.js';
import type { SessionSideStores, Stores, UserStore } from '../stores/types.js';

/**
 * Opens the stores the configuration names. Users always live in a SQL store (SQLite in the
 * data directory, or PostgreSQL); sessions, revocations, counters and keys live in SQLite,
 * PostgreSQL or Redis. The Redis and PostgreSQL drivers are loaded only when named.
 */
export async function openConfiguredStores(config: TesseraConfig): Promise<Stores> {
  if (config.sessionStore === 'memory') return createMemoryStores();
  const sqlitePath = join(config.dataDir, 'tessera.db');
  const sameSql = config.sessionStore === config.userStore || (config.sessionStore === 'sqlite' && config.userStore === 'sqlite');
  if (sameSql) return openSqlStores(config.userStore, config, sqlitePath);

  const userSide = await openSqlStores(config.userStore, config, sqlitePath);
  let sessionSide: SessionSideStores;
  try {
    sessionSide = config.sessionStore.startsWith('redis')
      ? await openRedis(config)
      : await openSqlStores(config.sessionStore, config, sqlitePath);
  } catch (error) {
    await userSide.close();
    throw error;
  }
  return composeStores(userSide.users, userSide, sessionSide);
}

async function openSqlStores(url: string, config: TesseraConfig, sqlitePath: string): Promise<Stores> {
  if (url === 'sqlite') {
    // The data directory holds password hashes and the master secret: owner-only from the start.
    mkdirSync(config.dataDir, { recursive: true, mode: 0o700 });
    return openSqliteStores({ path: sqlitePath });
  }
  const { openPostgresStores } = await import('../stores/postgres/index.js');
  const stores = openPostgresStores({ url, schema: config.postgresSchema });
  // Connect and migrate now, so a wrong URL fails at start-up rather than on the first request.
  try {
    await stores.ready();
  } catch (error) {
    await stores.close();
    throw error;
  }
  return stores;
}

async function openRedis(config: TesseraConfig): Promise<SessionSideStores> {
  const { openRedisStores } = await import('../stores/redis/index.js');
  return openRedisStores({ url: config.sessionStore, keyPrefix: config.redisKeyPrefix });
}

/** Users from one store, everything else from another; ping and close reach both. */
function composeStores(users: UserStore, userSide: { ping(): Promise<void>; close(): Promise<void> }, sessionSide: SessionSideStores): Stores {
  return {
    users,
    sessions: sessionSide.sessions,
    revocations: sessionSide.revocations,
    rateLimits: sessionSide.rateLimits,
    keys: sessionSide.keys,
    ...(sessionSide.bus ? { bus: sessionSide.bus } : {}),
    async ping() {
      await Promise.all([userSide.ping(), sessionSide.ping()]);
    },
    async close() {
      await Promise.allSettled([userSide.close(), sessionSide.close()]);
    },
  };
}
