import { afterAll, afterEach, beforeAll, beforeEach, describe, it } from 'vitest';
import { createManualClock } from '../../src/core/clock.js';
import { defineStoreConformanceSuite } from '../../src/stores/conformance.js';
import { BASE } from '../../src/stores/conformance/context.js';
import { openRedisStores } from '../../src/stores/redis/index.js';
import { startRedisCluster } from '../support/redis-cluster.js';
import type { PrivateRedisCluster } from '../support/redis-cluster.js';
import { deleteKeysWithPrefix, uniqueRedisPrefix, withMemoryUsers } from '../support/redis-server.js';

// A private three-master cluster for this file. No redis-server or redis-cli on the machine
// makes beforeAll throw: the suite fails, it never skips.
let cluster: PrivateRedisCluster | undefined;
const prefixes: string[] = [];

beforeAll(async () => {
  cluster = await startRedisCluster();
}, 60_000);

afterAll(async () => {
  await cluster?.cleanup();
});

afterEach(async () => {
  const nodes = (cluster?.ports ?? []).map((port) => ({ host: '127.0.0.1', port }));
  await Promise.all(prefixes.splice(0).map((prefix) => deleteKeysWithPrefix(nodes, prefix)));
});

defineStoreConformanceSuite(
  'redis cluster',
  async () => {
    if (cluster === undefined) throw new Error('The private Redis Cluster did not start.');
    const keyPrefix = uniqueRedisPrefix();
    prefixes.push(keyPrefix);
    const stores = openRedisStores({ url: cluster.url, keyPrefix, clock: createManualClock(BASE) });
    await stores.ready();
    return withMemoryUsers(stores);
  },
  { describe, it, beforeEach, afterEach },
);
