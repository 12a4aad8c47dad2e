import { join } from 'node:path';
import type { TesseraConfig } from '../core/config.js';
import { createMemoryStores } from '../stores/memory/memory-stores.js';
import { openSqliteStores } from '../stores/sqlite/sqlite-stores.js';
import type { Stores } from '../stores/types.js';

/** Opens the stores the configuration names: SQLite in the data directory by default. */
export function openConfiguredStores(config: TesseraConfig): Stores {
  if (config.sessionStore === 'memory') return createMemoryStores();
  return openSqliteStores({ path: join(config.dataDir, 'tessera.db') });
}
