import { afterEach, beforeEach, describe, it } from 'vitest';
import { createManualClock } from '../../src/core/clock.js';
import { defineStoreConformanceSuite } from '../../src/stores/conformance.js';
import { BASE } from '../../src/stores/conformance/context.js';
import { openRedisStores, parseRedisUrl } from '../../src/stores/redis/index.js';
import { SHARED_REDIS_URL, deleteKeysWithPrefix, uniqueRedisPrefix, withMemoryUsers } from '../support/redis-server.js';

// The machine's Redis, one key prefix per test. The suite uses fixed instants around BASE, so
// the stores' clock (which turns session ends into TTLs) stands at BASE too. This file-level
// hook runs after the suite's own afterEach has closed the stores.
const prefixes: string[] = [];

afterEach(async () => {
  const nodes = parseRedisUrl(SHARED_REDIS_URL).nodes;
  await Promise.all(prefixes.splice(0).map((prefix) => deleteKeysWithPrefix(nodes, prefix)));
});

defineStoreConformanceSuite(
  'redis',
  async () => {
    const keyPrefix = uniqueRedisPrefix();
    prefixes.push(keyPrefix);
    const stores = openRedisStores({ url: SHARED_REDIS_URL, keyPrefix, clock: createManualClock(BASE) });
    await stores.ready();
    return withMemoryUsers(stores);
  },
  { describe, it, beforeEach, afterEach },
);
