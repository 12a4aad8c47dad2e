import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type ManualClock, createManualClock, secureRandom } from '../../src/core/clock.js';
import type { Revocation } from '../../src/core/model.js';
import { type SessionManager, type SessionPolicy, createSessionManager } from '../../src/core/sessions.js';
import { createMemoryStores } from '../../src/stores/memory/memory-stores.js';
import { openSqliteStores } from '../../src/stores/sqlite/sqlite-stores.js';
import type { Stores } from '../../src/stores/types.js';

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const ORIGIN = { ip: '192.0.2.1', userAgent: 'unit test' };
/** Lets the event loop finish its turn (what separates two requests read at different times). */
const nextTurn = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

const policy: SessionPolicy = {
  lifetimes: {
    cookie: { idleTimeoutMs: 30 * MINUTE, absoluteLifetimeMs: 12 * HOUR },
    bearer: { idleTimeoutMs: 7 * 24 * HOUR, absoluteLifetimeMs: 30 * 24 * HOUR },
    hybrid: { idleTimeoutMs: 7 * 24 * HOUR, absoluteLifetimeMs: 30 * 24 * HOUR },
  },
  touchIntervalMs: MINUTE,
  cacheSize: 100,
  externalChangeCheckMs: 1,
  revocationTtlMs: 10 * MINUTE,
};

async function addUser(stores: Stores, id: string, clock: ManualClock): Promise<void> {
  expect(await stores.users.createUser({ id, email: `${id}@example.com`, passwordHash: 'not-a-real-hash', createdAt: clock.now() })).toBe(true);
}

describe('session manager (memory store, manual clock)', () => {
  let stores: Stores;
  let clock: ManualClock;
  let published: Revocation[];
  let sessions: SessionManager;

  beforeEach(async () => {
    stores = createMemoryStores();
    clock = createManualClock(Date.UTC(2026, 0, 1, 12));
    published = [];
    sessions = createSessionManager(stores, policy, clock, secureRandom, async (entries) => {
      published.push(...entries);
    });
    await addUser(stores, 'alice', clock);
    await addUser(stores, 'bob', clock);
  });
  afterEach(async () => stores.close());

  it('validates the token it issued, and nothing else', async () => {
    const { session, token } = await sessions.createSession('alice', 'cookie', ORIGIN);
    const validated = await sessions.validateSessionToken(token);
    expect(validated?.session.id).toBe(session.id);
    expect(validated?.user.id).toBe('alice');
    expect(session.expiresAt).toBe(clock.now() + 12 * HOUR);
    // Same id, another secret: refused (the store keeps only the secret's hash).
    const other = await sessions.createSession('alice', 'cookie', ORIGIN);
    const [, otherSecret] = other.token.split('.');
    expect(await sessions.validateSessionToken(`${session.id}.${otherSecret}`)).toBeNull();
    for (const bad of ['', 'garbage', session.id, `${session.id}.`, `${token}x`]) {
      expect(await sessions.validateSessionToken(bad), bad).toBeNull();
    }
    // The store never holds the raw secret.
    const stored = await stores.sessions.findSession(session.id);
    expect(JSON.stringify(stored)).not.toContain(token.split('.')[1]);
  });

  it('enforces the idle timeout, touching lastSeenAt at most once per touch interval', async () => {
    const { session, token } = await sessions.createSession('alice', 'cookie', ORIGIN);
    clock.advance(30_000);
    expect(await sessions.validateSessionToken(token)).not.toBeNull();
    expect((await stores.sessions.findSession(session.id))?.lastSeenAt).toBe(session.createdAt); // no write yet
    clock.advance(31_000);
    expect(await sessions.validateSessionToken(token)).not.toBeNull();
    const touchedAt = clock.now();
    expect((await stores.sessions.findSession(session.id))?.lastSeenAt).toBe(touchedAt);
    // Idle almost the whole timeout after the touch: alive; then past it: dead.
    clock.advance(30 * MINUTE - 1);
    expect(await sessions.validateSessionToken(token)).not.toBeNull();
    clock.advance(30 * MINUTE + 1);
    expect(await sessions.validateSessionToken(token)).toBeNull();
  });

  it('enforces the absolute lifetime under continuous activity', async () => {
    const { token } = await sessions.createSession('alice', 'cookie', ORIGIN);
    for (let elapsed = 0; elapsed + 10 * MINUTE < 12 * HOUR; elapsed += 10 * MINUTE) {
      clock.advance(10 * MINUTE);
      expect(await sessions.validateSessionToken(token)).not.toBeNull();
    }
    clock.advance(10 * MINUTE);
    expect(await sessions.validateSessionToken(token)).toBeNull();
  });

  it('gives token carriers their own (longer) lifetimes', async () => {
    const { session } = await sessions.createSession('alice', 'bearer', ORIGIN);
    expect(session.expiresAt - session.createdAt).toBe(30 * 24 * HOUR);
    clock.advance(HOUR);
    expect(await sessions.validateSessionId(session.id)).not.toBeNull();
  });

  it('revocation is seen at once despite the cache, and publishes a sid revocation', async () => {
    const { session, token } = await sessions.createSession('alice', 'cookie', ORIGIN);
    expect(await sessions.validateSessionToken(token)).not.toBeNull(); // now cached
    expect(await sessions.revokeSession(session.id)).toBe(true);
    expect(await sessions.validateSessionToken(token)).toBeNull();
    expect(await sessions.validateSessionId(session.id)).toBeNull();
    expect(published).toEqual([expect.objectContaining({ kind: 'sid', value: session.id })]);
    expect(await sessions.revokeSession(session.id)).toBe(false);
  });

  it('a validation that read the store before a revocation does not re-cache the revoked session', async () => {
    const { session, token } = await sessions.createSession('alice', 'cookie', ORIGIN);
    const inFlight = sessions.validateSessionToken(token); // reads the store, then awaits
    await sessions.revokeSession(session.id);
    await inFlight; // may legitimately see the pre-revocation state
    expect(await sessions.validateSessionToken(token)).toBeNull();
  });

  it('revokeUserSession only ends the named user’s session', async () => {
    const alice = await sessions.createSession('alice', 'cookie', ORIGIN);
    const bob = await sessions.createSession('bob', 'cookie', ORIGIN);
    expect(await sessions.validateSessionToken(bob.token)).not.toBeNull();
    expect(await sessions.revokeUserSession('alice', bob.session.id)).toBe(false);
    expect(await sessions.validateSessionToken(bob.token)).not.toBeNull();
    expect(await sessions.revokeUserSession('alice', alice.session.id)).toBe(true);
    expect(await sessions.validateSessionToken(alice.token)).toBeNull();
  });

  it('revokeUser ends every session of the user (and only theirs) and publishes sub + sid entries', async () => {
    const a1 = await sessions.createSession('alice', 'cookie', ORIGIN);
    const a2 = await sessions.createSession('alice', 'hybrid', ORIGIN);
    const b1 = await sessions.createSession('bob', 'cookie', ORIGIN);
    for (const t of [a1, a2, b1]) expect(await sessions.validateSessionToken(t.token)).not.toBeNull();
    const ids = await sessions.revokeUser('alice');
    expect(ids.sort()).toEqual([a1.session.id, a2.session.id].sort());
    expect(await sessions.validateSessionToken(a1.token)).toBeNull();
    expect(await sessions.validateSessionToken(a2.token)).toBeNull();
    expect(await sessions.validateSessionToken(b1.token)).not.toBeNull();
    expect(published.filter((e) => e.kind === 'sub').map((e) => e.value)).toEqual(['alice']);
    expect(published.filter((e) => e.kind === 'sid').map((e) => e.value).sort()).toEqual(ids.sort());
    // A session created afterwards is valid (the not-before does not catch it).
    clock.advance(1);
    const fresh = await sessions.createSession('alice', 'cookie', ORIGIN);
    expect(await sessions.validateSessionToken(fresh.token)).not.toBeNull();
  });

  it('a disabled user’s sessions fail once the cache is invalidated', async () => {
    const { token } = await sessions.createSession('alice', 'cookie', ORIGIN);
    expect(await sessions.validateSessionToken(token)).not.toBeNull();
    await stores.users.setDisabled('alice', true, clock.now());
    sessions.invalidateCache();
    expect(await sessions.validateSessionToken(token)).toBeNull();
  });

  it('lists live sessions newest first and sweeps expired ones', async () => {
    const first = await sessions.createSession('alice', 'cookie', ORIGIN);
    clock.advance(1000);
    const second = await sessions.createSession('alice', 'cookie', ORIGIN);
    expect((await sessions.listUserSessions('alice')).map((s) => s.id)).toEqual([second.session.id, first.session.id]);
    clock.advance(31 * MINUTE);
    const third = await sessions.createSession('alice', 'cookie', ORIGIN);
    expect((await sessions.listUserSessions('alice')).map((s) => s.id)).toEqual([third.session.id]);
    expect(await sessions.sweepExpiredSessions()).toBe(2);
    expect((await stores.sessions.listUserSessions('alice')).map((s) => s.id)).toEqual([third.session.id]);
  });

  it('markReauthenticated records a fresh password proof visible on the next validation', async () => {
    const { session, token } = await sessions.createSession('alice', 'cookie', ORIGIN);
    expect((await sessions.validateSessionToken(token))?.session.authenticatedAt).toBe(session.createdAt);
    clock.advance(5 * MINUTE);
    expect(await sessions.markReauthenticated(session.id)).toBe(true);
    expect((await sessions.validateSessionToken(token))?.session.authenticatedAt).toBe(clock.now());
  });

  it('idleExpiresAt is the earlier of idle and absolute expiry', async () => {
    const { session } = await sessions.createSession('alice', 'cookie', ORIGIN);
    expect(sessions.idleExpiresAt(session)).toBe(session.lastSeenAt + 30 * MINUTE);
    expect(sessions.idleExpiresAt({ ...session, expiresAt: session.lastSeenAt + MINUTE })).toBe(session.lastSeenAt + MINUTE);
    expect(sessions.isLive(session, session.lastSeenAt + 30 * MINUTE - 1)).toBe(true);
    expect(sessions.isLive(session, session.lastSeenAt + 30 * MINUTE)).toBe(false);
  });
});

describe('session manager cache across processes (two SQLite connections, one file)', () => {
  let dir: string;
  let first: Stores;
  let second: Stores;
  let clock: ManualClock;
  let a: SessionManager;
  let b: SessionManager;

  beforeEach(async () => {
    dir = mkdtempSync(join(tmpdir(), 'tessera-sessions-unit-'));
    const path = join(dir, 'tessera.db');
    first = openSqliteStores({ path });
    second = openSqliteStores({ path });
    clock = createManualClock(Date.UTC(2026, 0, 1, 12));
    a = createSessionManager(first, policy, clock, secureRandom);
    b = createSessionManager(second, policy, clock, secureRandom);
    await addUser(first, 'alice', clock);
  });
  afterEach(async () => {
    await first.close();
    await second.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('a revoke through the second manager is seen by the first on its next event-loop turn', async () => {
    const { session, token } = await a.createSession('alice', 'cookie', ORIGIN);
    expect(await a.validateSessionToken(token)).not.toBeNull(); // cached in A
    expect(await a.validateSessionToken(token)).not.toBeNull(); // served from A's cache
    expect(a.validateSessionTokenNow(token)).not.toBeUndefined(); // decided from memory
    expect(await b.revokeSession(session.id)).toBe(true);
    await nextTurn(); // a request that arrives after the commit is read in a later turn
    expect(a.validateSessionTokenNow(token)).toBeUndefined(); // the cache no longer vouches for it
    expect(await a.validateSessionToken(token)).toBeNull();
  });

  it('within one long event-loop turn, a change by the other connection is seen after at most externalChangeCheckMs', async () => {
    const { session, token } = await a.createSession('alice', 'cookie', ORIGIN);
    expect(await a.validateSessionToken(token)).not.toBeNull();
    await nextTurn();
    expect(a.validateSessionTokenNow(token)).not.toBeNull(); // this turn's check is done
    expect(await b.revokeSession(session.id)).toBe(true);
    // Still the same turn: busy-wait past the bound (a real clock, not the manual one).
    const start = performance.now();
    while (performance.now() - start < policy.externalChangeCheckMs + 0.5);
    expect(a.validateSessionTokenNow(token)).toBeUndefined();
    expect(await a.validateSessionToken(token)).toBeNull();
  });

  it('with externalChangeCheckMs 0 every use checks the other connection', async () => {
    const strict = createSessionManager(first, { ...policy, externalChangeCheckMs: 0 }, clock, secureRandom);
    const { session, token } = await strict.createSession('alice', 'cookie', ORIGIN);
    expect(await strict.validateSessionToken(token)).not.toBeNull();
    expect(await b.revokeSession(session.id)).toBe(true);
    expect(strict.validateSessionTokenNow(token)).toBeUndefined();
    expect(await strict.validateSessionToken(token)).toBeNull();
  });

  it('user-level changes through the second connection (disable, sign out everywhere) are seen on the next turn', async () => {
    const one = await a.createSession('alice', 'cookie', ORIGIN);
    const two = await a.createSession('alice', 'cookie', ORIGIN);
    expect(await a.validateSessionToken(one.token)).not.toBeNull();
    expect(await a.validateSessionToken(two.token)).not.toBeNull();
    // Another process (e.g. the CLI) disables the user without deleting the sessions.
    await second.users.setDisabled('alice', true, clock.now());
    await nextTurn();
    expect(await a.validateSessionToken(one.token)).toBeNull();
    await second.users.setDisabled('alice', false, clock.now());
    await nextTurn();
    expect(await a.validateSessionToken(two.token)).not.toBeNull();
    // …and sets the not-before instant.
    clock.advance(1000);
    await second.users.setSessionsValidAfter('alice', clock.now());
    await nextTurn();
    expect(await a.validateSessionToken(two.token)).toBeNull();
  });

  it('a session created by the second manager validates in the first', async () => {
    const { token } = await b.createSession('alice', 'cookie', ORIGIN);
    expect(await a.validateSessionToken(token)).not.toBeNull();
    expect(first.sessions.externalChangeCounter()).not.toBeNull();
  });
});
