import { afterAll, afterEach, beforeEach, describe, it } from 'vitest';
import { defineStoreConformanceSuite } from '../../src/stores/conformance.js';
import { openPostgresStores } from '../../src/stores/postgres/index.js';
import { POSTGRES_URL, closeAdminPool, dropSchema, uniqueSchemaName } from '../support/postgres.js';

// One schema per test, against the real server. This file-level hook runs after the suite's
// own afterEach has closed the stores, so nothing is connected to the schema when it is dropped.
const schemas: string[] = [];

afterEach(async () => {
  await Promise.all(schemas.splice(0).map(dropSchema));
});

afterAll(closeAdminPool);

defineStoreConformanceSuite(
  'postgres',
  async () => {
    const schema = uniqueSchemaName();
    schemas.push(schema);
    const stores = openPostgresStores({ url: POSTGRES_URL, schema });
    await stores.ready();
    return stores;
  },
  { describe, it, beforeEach, afterEach },
);
