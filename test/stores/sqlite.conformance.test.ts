import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, it } from 'vitest';
import { defineStoreConformanceSuite } from '../../src/stores/conformance.js';
import { openSqliteStores } from '../../src/stores/sqlite/sqlite-stores.js';

// One temp directory per test; this file-level hook runs after the suite's own afterEach
// has closed the stores, so the directory is no longer in use when it is removed.
const directories: string[] = [];

afterEach(async () => {
  await Promise.all(directories.splice(0).map((dir) => rm(dir, { recursive: true, force: true })));
});

defineStoreConformanceSuite(
  'sqlite',
  async () => {
    const dir = await mkdtemp(join(tmpdir(), 'tessera-sqlite-'));
    directories.push(dir);
    return openSqliteStores({ path: join(dir, 'data', 'tessera.db') });
  },
  { describe, it, beforeEach, afterEach },
);
