import { Cluster } from 'ioredis';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createManualClock, secureRandom } from '../../src/core/clock.js';
import { StoreUnavailableError } from '../../src/core/errors.js';
import type { Revocation } from '../../src/core/model.js';
import { generateSessionToken } from '../../src/core/session-token.js';
import { openRedisStores } from '../../src/stores/redis/index.js';
import type { RedisStores } from '../../src/stores/redis/index.js';
import { createKeyLayout } from '../../src/stores/redis/redis-keys.js';
import type { NewSession } from '../../src/stores/types.js';
import { startRedisCluster } from '../support/redis-cluster.js';
import type { PrivateRedisCluster } from '../support/redis-cluster.js';
import { deleteKeysWithPrefix, pollUntil, uniqueRedisPrefix } from '../support/redis-server.js';

const BASE = Date.UTC(2026, 0, 1);
const HOUR = 3_600_000;

let cluster: PrivateRedisCluster;
let admin: Cluster;
const opened: RedisStores[] = [];
const prefixes: string[] = [];

function open(keyPrefix = uniqueRedisPrefix()): { stores: RedisStores; prefix: string } {
  prefixes.push(keyPrefix);
  const stores = openRedisStores({ url: cluster.url, keyPrefix, clock: createManualClock(BASE) });
  opened.push(stores);
  return { stores, prefix: keyPrefix };
}

function session(userId: string, createdAt = BASE): NewSession {
  return {
    id: generateSessionToken(secureRandom, userId).sessionId,
    userId,
    carrier: 'bearer',
    secretHash: 'n4bQgYhMfWWaL-qgxVrQFaO_TxsrC4Is0V1sFbDwCgg',
    createdAt,
    expiresAt: createdAt + 24 * HOUR,
    idleTimeoutMs: HOUR,
    ip: '198.51.100.4',
    userAgent: 'curl/8.5.0',
  };
}

/** The port of the master serving `slot`. */
async function masterPortOf(slot: number): Promise<number | undefined> {
  const ranges = await admin.cluster('SLOTS');
  const range = ranges.find(([from, to]) => slot >= from && slot <= to);
  return range?.[2]?.[1];
}

beforeAll(async () => {
  cluster = await startRedisCluster();
  admin = new Cluster(cluster.ports.map((port) => ({ host: '127.0.0.1', port })));
}, 60_000);

afterAll(async () => {
  admin?.disconnect();
  await cluster?.cleanup();
});

afterEach(async () => {
  await Promise.all(opened.splice(0).map((stores) => stores.close()));
  const nodes = cluster.ports.map((port) => ({ host: '127.0.0.1', port }));
  await Promise.all(prefixes.splice(0).map((prefix) => deleteKeysWithPrefix(nodes, prefix)));
});

describe('redis cluster layout', () => {
  it('puts each session in the slot of its index; users spread over the masters', async () => {
    const { stores, prefix } = open();
    const keys = createKeyLayout(prefix);
    const slots = new Set<number>();
    for (let u = 0; u < 30; u++) {
      const s = session(`user-${u}`);
      await stores.sessions.createSession(s);
      const place = keys.session(s.id);
      const [routedIndex] = keys.userIndexes(s.userId);
      expect(routedIndex?.key).toBe(place.indexKey);
      const slot = Number(await admin.cluster('KEYSLOT', place.key));
      expect(Number(await admin.cluster('KEYSLOT', place.indexKey))).toBe(slot);
      expect(await admin.exists(place.key, place.indexKey)).toBe(2);
      slots.add(slot);
    }
    // 30 users: their sessions land in (almost surely) many slots, hence on every master.
    const masters = new Set<number | undefined>();
    for (const slot of slots) masters.add(await masterPortOf(slot));
    expect(masters.size).toBe(3);
  });

  it('runs every session operation on routed ids across the masters', async () => {
    const { stores } = open();
    const users = ['ana', 'bo', 'cy', 'di', 'ed', 'flo'];
    const all = new Map<string, NewSession[]>();
    for (const user of users) {
      const mine = [session(user, BASE), session(user, BASE + 1), session(user, BASE + 2)];
      for (const s of mine) await stores.sessions.createSession(s);
      all.set(user, mine);
    }
    for (const [user, mine] of all) {
      const [first, second, third] = mine as [NewSession, NewSession, NewSession];
      expect((await stores.sessions.listUserSessions(user)).map((s) => s.id)).toEqual(mine.map((s) => s.id));
      expect(await stores.sessions.touchSession(first.id, BASE + HOUR / 2)).toBe(true);
      expect(await stores.sessions.rotateRefresh(second.id, 0, BASE + 5)).toBe(true);
      expect(await stores.sessions.deleteUserSession('someone-else', third.id)).toBe(false);
      expect(await stores.sessions.deleteUserSessions(user, first.id)).toEqual(expect.arrayContaining([second.id, third.id]));
      expect((await stores.sessions.listUserSessions(user)).map((s) => s.id)).toEqual([first.id]);
    }
    // Only the touched sessions are alive an hour later; the sweep walks every master.
    expect(await stores.sessions.deleteExpiredSessions(BASE + HOUR)).toBe(0);
    expect(await stores.sessions.deleteExpiredSessions(BASE + HOUR + HOUR / 2)).toBe(users.length);
    for (const user of users) expect(await stores.sessions.listUserSessions(user)).toEqual([]);
  });

  it('delivers a revocation published on one node to a subscriber on another instance', async () => {
    const prefix = uniqueRedisPrefix();
    const a = open(prefix).stores;
    const b = open(prefix).stores;
    const received: Revocation[] = [];
    b.bus.subscribe((entry) => received.push(entry));
    await pollUntil(async () => b.bus.connected, 5_000, 'the cluster subscriber');
    const entry: Revocation = { kind: 'sid', value: 'session-1', expiresAt: BASE + HOUR };
    await a.revocations.addRevocation(entry);
    await a.bus.publish(entry);
    await pollUntil(async () => received.length > 0, 5_000, 'the revocation to arrive');
    expect(received).toEqual([entry]);
    expect(await b.revocations.listRevocations(BASE)).toEqual([entry]);
  });

  it('fails closed quickly for the slots of a stopped master', async () => {
    const { stores } = open();
    await stores.ready();
    const node = cluster.nodes[0];
    if (node === undefined) throw new Error('no node');
    // A user whose routing tag lives on the node we stop.
    let victim = '';
    for (let u = 0; victim === '' && u < 1000; u++) {
      const s = session(`victim-${u}`);
      const slot = Number(await admin.cluster('KEYSLOT', createKeyLayout('x').session(s.id).key));
      if ((await masterPortOf(slot)) === node.port) victim = s.id;
    }
    await node.stop();
    try {
      const started = Date.now();
      const error = await stores.sessions.findSession(victim).then(() => null, (e: unknown) => e);
      expect(error).toBeInstanceOf(StoreUnavailableError);
      expect(Date.now() - started).toBeLessThan(2_500);
    } finally {
      await node.start();
    }
    await pollUntil(() => stores.sessions.findSession(victim).then(() => true, () => false), 10_000, 'the master to return');
  }, 30_000);
});
