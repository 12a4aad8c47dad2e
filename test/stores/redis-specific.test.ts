import { Redis } from 'ioredis';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createManualClock, secureRandom } from '../../src/core/clock.js';
import { ConfigurationError, StoreUnavailableError } from '../../src/core/errors.js';
import type { Revocation } from '../../src/core/model.js';
import { generateSessionToken, sessionRoutingTag } from '../../src/core/session-token.js';
import { openRedisStores, parseRedisUrl, redactRedisUrl } from '../../src/stores/redis/index.js';
import type { RedisStores, RedisStoresOptions } from '../../src/stores/redis/index.js';
import { createKeyLayout } from '../../src/stores/redis/redis-keys.js';
import type { NewSession } from '../../src/stores/types.js';
import {
  SHARED_REDIS_URL,
  deleteKeysWithPrefix,
  pollUntil,
  startRedisServer,
  uniqueRedisPrefix,
} from '../support/redis-server.js';
import type { PrivateRedisServer } from '../support/redis-server.js';

const BASE = Date.UTC(2026, 0, 1);
const MINUTE = 60_000;
const PASSWORD = 'pa55-w0rd-s3cret';
const UA = 'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0.0.0 Safari/537.36';

const opened: RedisStores[] = [];
const prefixes: string[] = [];
let server: PrivateRedisServer;
let raw: Redis;

function open(options: Partial<RedisStoresOptions> = {}): RedisStores {
  const keyPrefix = options.keyPrefix ?? uniqueRedisPrefix();
  prefixes.push(keyPrefix);
  const stores = openRedisStores({ url: SHARED_REDIS_URL, clock: createManualClock(BASE), ...options, keyPrefix });
  opened.push(stores);
  return stores;
}

function newSession(userId: string, overrides: Partial<NewSession> = {}): NewSession {
  return {
    id: generateSessionToken(secureRandom, userId).sessionId,
    userId,
    carrier: 'cookie',
    secretHash: 'n4bQgYhMfWWaL-qgxVrQFaO_TxsrC4Is0V1sFbDwCgg',
    createdAt: BASE,
    expiresAt: BASE + 12 * 60 * MINUTE,
    idleTimeoutMs: 30 * MINUTE,
    ip: '203.0.113.195',
    userAgent: UA,
    ...overrides,
  };
}

async function rejection(promise: Promise<unknown>): Promise<unknown> {
  return promise.then(() => new Error('expected a rejection'), (error: unknown) => error);
}

beforeAll(async () => {
  server = await startRedisServer({ password: PASSWORD });
  raw = new Redis(SHARED_REDIS_URL);
}, 30_000);

afterAll(async () => {
  raw.disconnect();
  await server.cleanup();
});

afterEach(async () => {
  await Promise.all(opened.splice(0).map((stores) => stores.close()));
  const nodes = parseRedisUrl(SHARED_REDIS_URL).nodes;
  await Promise.all(prefixes.splice(0).map((prefix) => deleteKeysWithPrefix(nodes, prefix)));
  if (!server.running) await server.start();
});

describe('redis URLs and credentials', () => {
  it('parses standalone and cluster URLs', () => {
    expect(parseRedisUrl('redis://u:p%40ss@example.com:6380/2')).toEqual({
      cluster: false, nodes: [{ host: 'example.com', port: 6380 }], tls: false, username: 'u', password: 'p@ss', db: 2,
    });
    expect(parseRedisUrl('rediss-cluster://:pw@[::1]:7000,10.0.0.2').nodes).toEqual([
      { host: '::1', port: 7000 }, { host: '10.0.0.2', port: 6379 },
    ]);
    expect(parseRedisUrl('redis://h:1', true).cluster).toBe(true);
  });

  it('redacts passwords, also in configuration errors', () => {
    expect(redactRedisUrl('redis://user:top-secret@h:1/0')).toBe('redis://user:***@h:1/0');
    expect(redactRedisUrl('redis://top-secret@h:1')).toBe('redis://***@h:1');
    expect(redactRedisUrl('redis://u:a@b/c@h:1')).toBe('redis://u:***@h:1');
    for (const url of ['redis://u:top-secret@h:99999', 'redis://u:top-secret@h:1/x', 'redis-cluster://u:top-secret@h:1/3', 'http://u:top-secret@h']) {
      let caught: unknown;
      try {
        openRedisStores({ url });
      } catch (error) {
        caught = error;
      }
      expect(caught).toBeInstanceOf(ConfigurationError);
      expect((caught as Error).message).not.toContain('top-secret');
    }
  });

  it('a wrong password fails closed with StoreUnavailableError and never shows the password', async () => {
    const wrong = 'wr0ng-s3cret-Passw0rd';
    const stores = open({ url: `redis://default:${wrong}@127.0.0.1:${server.port}` });
    for (const error of [await rejection(stores.ready()), await rejection(stores.sessions.findSession('x'))]) {
      expect(error).toBeInstanceOf(StoreUnavailableError);
      // The cause tells operators why (WRONGPASS), without the command's arguments.
      expect(String((error as Error).cause)).toMatch(/WRONGPASS|NOAUTH/);
      const text = `${(error as Error).message} ${String((error as Error).cause)} ${JSON.stringify((error as Error).cause)} ${JSON.stringify(error)}`;
      expect(text).not.toContain(wrong);
      expect(text).not.toContain(PASSWORD);
    }
  });

  it('the right password works', async () => {
    const stores = open({ url: `redis://:${encodeURIComponent(PASSWORD)}@127.0.0.1:${server.port}` });
    await stores.ready();
    expect(await stores.rateLimits.hit('k', MINUTE, BASE)).toEqual({ count: 1, resetAt: BASE + MINUTE });
  });
});

describe('redis failure behaviour', () => {
  const url = (): string => `redis://:${PASSWORD}@127.0.0.1:${server.port}`;

  it('rejects quickly while the server is down, and recovers once it is back', async () => {
    const stores = open({ url: url() });
    await stores.ready();
    const session = newSession('user-down');
    await stores.sessions.createSession(session);
    await server.stop();

    for (const operation of [
      () => stores.ping(),
      () => stores.sessions.findSession(session.id),
      () => stores.sessions.rotateRefresh(session.id, 0, BASE + 1),
      () => stores.revocations.listRevocations(BASE),
      () => stores.rateLimits.hit('k', MINUTE, BASE),
    ]) {
      const started = Date.now();
      expect(await rejection(operation())).toBeInstanceOf(StoreUnavailableError);
      expect(Date.now() - started).toBeLessThan(2_000);
    }

    await server.start();
    await pollUntil(() => stores.ping().then(() => true, () => false), 5_000, 'the store to recover');
    // The private server keeps nothing across restarts; what matters is that writes work again.
    const after = newSession('user-down');
    await stores.sessions.createSession(after);
    expect((await stores.sessions.findSession(after.id))?.userId).toBe('user-down');
  }, 20_000);

  it('rejects within the command timeout when the server hangs', async () => {
    const stores = open({ url: url() });
    await stores.ready();
    server.pause();
    try {
      const started = Date.now();
      expect(await rejection(stores.sessions.findSession('x'))).toBeInstanceOf(StoreUnavailableError);
      expect(await rejection(stores.ping())).toBeInstanceOf(StoreUnavailableError);
      expect(Date.now() - started).toBeLessThan(4_500);
    } finally {
      server.resume();
    }
    await pollUntil(() => stores.ping().then(() => true, () => false), 5_000, 'the store to recover');
  }, 20_000);

  it('an unreachable server at start-up: opening succeeds, operations fail closed', async () => {
    await server.stop();
    const stores = open({ url: url() });
    const started = Date.now();
    expect(await rejection(stores.sessions.findSession('x'))).toBeInstanceOf(StoreUnavailableError);
    expect(Date.now() - started).toBeLessThan(2_000);
    await server.start();
    await pollUntil(() => stores.ping().then(() => true, () => false), 5_000, 'the store to connect');
  }, 20_000);
});

describe('redis revocation bus', () => {
  it('delivers a published revocation to another instance, ignores malformed messages', async () => {
    const keyPrefix = uniqueRedisPrefix();
    const a = open({ keyPrefix });
    const b = open({ keyPrefix });
    const received: Revocation[] = [];
    b.bus.subscribe((entry) => received.push(entry));
    await pollUntil(async () => b.bus.connected, 5_000, 'the subscriber');
    for (const junk of ['not json', '{"kind":"sid","value":"x"}', '{"kind":"sub","value":"u","expiresAt":1}', '[]']) {
      await raw.publish(`${keyPrefix}revocations`, junk);
    }
    const entry: Revocation = { kind: 'sub', value: 'user-1', notBefore: BASE, expiresAt: BASE + MINUTE };
    await a.bus.publish(entry);
    await pollUntil(async () => received.length > 0, 5_000, 'the revocation to arrive');
    expect(received).toEqual([entry]);
  });

  it('reports the subscriber connection going down and coming back', async () => {
    const stores = open({ url: `redis://:${PASSWORD}@127.0.0.1:${server.port}` });
    const statuses: boolean[] = [];
    stores.bus.onStatus((connected) => statuses.push(connected));
    await pollUntil(async () => statuses.at(-1) === true, 5_000, 'connected');
    await server.restart();
    await pollUntil(async () => statuses.length >= 3 && statuses.at(-1) === true, 5_000, 'reconnected');
    expect(statuses.slice(0, 3)).toEqual([true, false, true]);
  }, 20_000);
});

describe('redis layout, TTLs and encoding', () => {
  it('stores a realistic session compactly, with a TTL at its idle end plus the grace', async () => {
    const stores = open({ expiryGraceMs: 60_000 });
    const keys = createKeyLayout(prefixes.at(-1) ?? '');
    const session = newSession('vq3TO7AZx2Nw1bTGn7VzfA');
    await stores.sessions.createSession(session);
    const place = keys.session(session.id);
    // One string of at most 108 bytes: jemalloc's 112-byte class with the sds header.
    expect(await raw.type(place.key)).toBe('string');
    expect(await raw.strlen(place.key)).toBeLessThanOrEqual(108);
    // Indexed in the compact shared index of the id's first two characters, by the rest of the id.
    expect(place.indexKey).toBe(`${prefixes.at(-1) ?? ''}{${session.id.slice(0, 2)}}u`);
    expect(await raw.hgetall(place.indexKey)).toEqual({ [session.id.slice(2)]: '' });
    expect(await raw.object('ENCODING', place.indexKey)).toBe('listpack');
    expect(await raw.pttl(place.indexKey)).toBe(-1);
    const ttl = await raw.pttl(place.key);
    expect(ttl).toBeGreaterThan(30 * MINUTE + 60_000 - 5_000);
    expect(ttl).toBeLessThanOrEqual(30 * MINUTE + 60_000);
    await stores.sessions.touchSession(session.id, BASE + 20 * MINUTE);
    expect(await raw.pttl(place.key)).toBeGreaterThan(50 * MINUTE);
  });

  it('round-trips separator characters, a null-marker string and a non-SHA-256 hash through every script', async () => {
    const stores = open();
    const awkward = newSession('user\u001d\u001e\u001f', {
      id: 'awkward\u001fid',
      ip: '\u001e',
      userAgent: 'a\u001fb\u001ec\u001dd\u001d?',
      secretHash: 'not\u001fbase64',
      createdAt: BASE - 5,
    });
    await stores.sessions.createSession(awkward);
    expect(await stores.sessions.touchSession(awkward.id, BASE + 10)).toBe(true);
    expect(await stores.sessions.setAuthenticatedAt(awkward.id, BASE - 100)).toBe(true);
    expect(await stores.sessions.rotateRefresh(awkward.id, 0, BASE + 20)).toBe(true);
    const expected = {
      ...awkward, lastSeenAt: BASE + 10, authenticatedAt: BASE - 100, refreshGeneration: 1, refreshRotatedAt: BASE + 20,
    };
    expect(await stores.sessions.findSession(awkward.id)).toEqual(expected);
    expect(await stores.sessions.listUserSessions(awkward.userId)).toEqual([expected]);
    expect(await stores.sessions.deleteUserSession('user', awkward.id)).toBe(false);
    expect(await stores.sessions.deleteUserSessions(awkward.userId)).toEqual([awkward.id]);
  });

  it('keeps users who share an index — even a whole routing tag — apart', async () => {
    // a and b share the index (first two tag characters); c and d share the whole 24-bit tag.
    const byIndex = new Map<string, string>();
    const byTag = new Map<string, string>();
    let pair: [string, string] | undefined;
    let twin: [string, string] | undefined;
    for (let i = 0; (pair === undefined || twin === undefined) && i < 200_000; i++) {
      const user = `user-${i}`;
      const tag = sessionRoutingTag(user);
      const sameTag = byTag.get(tag);
      if (sameTag !== undefined) twin ??= [sameTag, user];
      const sameIndex = byIndex.get(tag.slice(0, 2));
      if (sameIndex !== undefined && sessionRoutingTag(sameIndex) !== tag) pair ??= [sameIndex, user];
      byTag.set(tag, user);
      byIndex.set(tag.slice(0, 2), user);
    }
    if (pair === undefined || twin === undefined) throw new Error('no shared index or tag found');
    const [a, b] = pair;
    const [c, d] = twin;
    const stores = open();
    const keys = createKeyLayout(prefixes.at(-1) ?? '');
    const made = new Map<string, NewSession[]>();
    for (const [user, count] of [[a, 2], [b, 1], [c, 2], [d, 1]] as const) {
      const mine = Array.from({ length: count }, (_, i) => newSession(user, { createdAt: BASE + i }));
      for (const s of mine) await stores.sessions.createSession(s);
      made.set(user, mine);
    }
    const ids = (user: string): string[] => (made.get(user) ?? []).map((s) => s.id);
    const listed = async (user: string): Promise<string[]> => (await stores.sessions.listUserSessions(user)).map((s) => s.id);
    expect(keys.session(ids(a)[0] ?? '').indexKey).toBe(keys.session(ids(b)[0] ?? '').indexKey);
    expect(await raw.hlen(keys.session(ids(c)[0] ?? '').indexKey)).toBeGreaterThanOrEqual(3);
    for (const user of [a, b, c, d]) expect(await listed(user)).toEqual(ids(user));

    expect(await stores.sessions.deleteUserSession(c, ids(d)[0] ?? '')).toBe(false);
    expect(await stores.sessions.deleteUserSession(b, ids(a)[0] ?? '')).toBe(false);
    expect(await stores.sessions.deleteUserSessions(c, ids(c)[1])).toEqual([ids(c)[0]]);
    expect(await listed(c)).toEqual([ids(c)[1]]);
    expect(await listed(d)).toEqual(ids(d));
    // An exception in another user's index (or another user's session) protects nothing of mine.
    expect((await stores.sessions.deleteUserSessions(a, ids(b)[0])).sort()).toEqual([...ids(a)].sort());
    expect(await listed(b)).toEqual(ids(b));
    expect(await stores.sessions.deleteUserSessions(d)).toEqual(ids(d));
    expect(await listed(c)).toEqual([ids(c)[1]]);
    expect(await stores.sessions.deleteSession(ids(b)[0] ?? '')).toBe(true);
    expect(await stores.sessions.deleteSession(ids(c)[1] ?? '')).toBe(true);
    expect(await raw.exists(keys.session(ids(a)[0] ?? '').indexKey, keys.session(ids(c)[0] ?? '').indexKey)).toBe(0);
  });

  it('works with every indexTagChars from 1 to 4 and refuses anything else', async () => {
    for (const indexTagChars of [1, 3, 4]) {
      const stores = open({ indexTagChars });
      const keys = createKeyLayout(prefixes.at(-1) ?? '', indexTagChars);
      const mine = [newSession('user-k'), newSession('user-k', { createdAt: BASE + 1 })];
      for (const s of mine) await stores.sessions.createSession(s);
      const place = keys.session(mine[0]?.id ?? '');
      expect(place.indexKey).toBe(`${keys.prefix}{${(mine[0]?.id ?? '').slice(0, indexTagChars)}}u`);
      expect(await raw.hexists(place.indexKey, place.field)).toBe(1);
      expect((await stores.sessions.listUserSessions('user-k')).map((s) => s.id)).toEqual(mine.map((s) => s.id));
      expect(await stores.sessions.touchSession(mine[0]?.id ?? '', BASE + 5)).toBe(true);
      expect(await stores.sessions.deleteUserSessions('user-k', mine[1]?.id)).toEqual([mine[0]?.id]);
      expect(await stores.sessions.deleteExpiredSessions(BASE + 31 * MINUTE)).toBe(1);
      expect(await stores.sessions.listUserSessions('user-k')).toEqual([]);
    }
    for (const indexTagChars of [0, 5, 2.5]) {
      expect(() => openRedisStores({ url: SHARED_REDIS_URL, indexTagChars })).toThrow(ConfigurationError);
    }
  });

  it('refuses a Tessera session id that carries another user’s routing tag', async () => {
    const stores = open();
    const foreign = newSession('alice', { id: generateSessionToken(secureRandom, 'mallory').sessionId });
    await expect(stores.sessions.createSession(foreign)).rejects.toThrow(RangeError);
    expect(await stores.sessions.findSession(foreign.id)).toBeNull();
  });

  it('sweeps index entries of sessions Redis already expired, and counts them', async () => {
    const clock = createManualClock(BASE);
    const stores = open({ clock, expiryGraceMs: 1 });
    const short = newSession('user-ttl', { createdAt: BASE - 30 * MINUTE + 50 });
    const long = newSession('user-ttl');
    await stores.sessions.createSession(short);
    await stores.sessions.createSession(long);
    await pollUntil(async () => (await stores.sessions.findSession(short.id)) === null, 5_000, 'Redis to expire the key');
    expect(await stores.sessions.deleteExpiredSessions(BASE)).toBe(1);
    expect((await stores.sessions.listUserSessions('user-ttl')).map((s) => s.id)).toEqual([long.id]);
  });

  it('rate-limit counters expire by TTL at resetAt', async () => {
    const stores = open();
    await stores.rateLimits.hit('login:a@example.com', 2 * MINUTE, BASE);
    const ttl = await raw.pttl(createKeyLayout(prefixes.at(-1) ?? '').rateLimit('login:a@example.com'));
    expect(ttl).toBeGreaterThan(2 * MINUTE - 5_000);
    expect(ttl).toBeLessThanOrEqual(2 * MINUTE);
    expect(await stores.rateLimits.deleteExpiredCounters(BASE)).toBe(0);
  });
});
