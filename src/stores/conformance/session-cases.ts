import assert from 'node:assert/strict';
import { BASE, DAY, expectedSession, idsOf, newSession, sorted } from './context.js';
import type { SuiteContext } from './context.js';

/** Defines the `SessionStore` cases for creation, lookup, touch, deletion and listing. */
export function defineSessionCases({ api, stores }: SuiteContext): void {
  const { it } = api;

  it('creates a session and finds it with every field, defaults included', async () => {
    const { sessions } = stores();
    const input = newSession('sess_a', 'user_1', { carrier: 'hybrid', createdAt: BASE + 7, idleTimeoutMs: 14 * DAY });
    await sessions.createSession(input);
    assert.deepEqual(await sessions.findSession('sess_a'), expectedSession(input));
  });

  it('round-trips every carrier, null ip and user agent, and non-ASCII text', async () => {
    const { sessions } = stores();
    const inputs = [
      newSession('sess_cookie', 'user_1', { carrier: 'cookie', ip: null, userAgent: null }),
      newSession('sess_bearer', 'user_1', {
        carrier: 'bearer',
        ip: '2001:db8::1',
        userAgent: 'Ünïcødé/1.0 🚀',
        idleTimeoutMs: 7 * DAY,
      }),
      newSession('sess_hybrid', 'user_1', {
        carrier: 'hybrid',
        expiresAt: Date.UTC(2100, 0, 1),
        idleTimeoutMs: 365 * DAY,
      }),
    ];
    for (const input of inputs) await sessions.createSession(input);
    for (const input of inputs) {
      assert.deepEqual(await sessions.findSession(input.id), expectedSession(input));
    }
  });

  it('rejects an idle timeout that is not a positive integer and stores nothing', async () => {
    const { sessions } = stores();
    for (const idleTimeoutMs of [0, -1, 1.5, Number.NaN, Number.POSITIVE_INFINITY]) {
      await assert.rejects(sessions.createSession(newSession('sess_bad', 'user_1', { idleTimeoutMs })), RangeError);
    }
    assert.equal(await sessions.findSession('sess_bad'), null);
    assert.deepEqual(await sessions.listUserSessions('user_1'), []);
  });

  it('returns null for a missing session', async () => {
    const { sessions } = stores();
    await sessions.createSession(newSession('sess_a', 'user_1'));
    assert.equal(await sessions.findSession('sess_missing'), null);
  });

  it('rejects a duplicate id and keeps the original session', async () => {
    const { sessions } = stores();
    const original = newSession('sess_a', 'user_1');
    await sessions.createSession(original);
    await assert.rejects(sessions.createSession(newSession('sess_a', 'user_attacker')));
    assert.deepEqual(await sessions.findSession('sess_a'), expectedSession(original));
  });

  it('touch moves lastSeenAt forward, never backwards, and is false for a missing session', async () => {
    const { sessions } = stores();
    await sessions.createSession(newSession('sess_a', 'user_1'));
    assert.equal(await sessions.touchSession('sess_a', BASE + 5000), true);
    assert.equal((await sessions.findSession('sess_a'))?.lastSeenAt, BASE + 5000);
    // A slower request finishing late must not pull lastSeenAt back (idle expiry would shrink).
    assert.equal(await sessions.touchSession('sess_a', BASE + 1000), true);
    assert.equal((await sessions.findSession('sess_a'))?.lastSeenAt, BASE + 5000);
    assert.equal(await sessions.touchSession('sess_missing', BASE + 9000), false);
    assert.equal(await sessions.findSession('sess_missing'), null);
  });

  it('touch changes nothing but lastSeenAt', async () => {
    const { sessions } = stores();
    const input = newSession('sess_a', 'user_1');
    await sessions.createSession(input);
    await sessions.touchSession('sess_a', BASE + 5000);
    assert.deepEqual(await sessions.findSession('sess_a'), { ...expectedSession(input), lastSeenAt: BASE + 5000 });
  });

  it('records authenticatedAt; false for a missing session', async () => {
    const { sessions } = stores();
    const input = newSession('sess_a', 'user_1');
    await sessions.createSession(input);
    assert.equal(await sessions.setAuthenticatedAt('sess_a', BASE + 60_000), true);
    assert.deepEqual(await sessions.findSession('sess_a'), {
      ...expectedSession(input),
      authenticatedAt: BASE + 60_000,
    });
    assert.equal(await sessions.setAuthenticatedAt('sess_missing', BASE), false);
  });

  it('deleteSession returns true once, then false', async () => {
    const { sessions } = stores();
    await sessions.createSession(newSession('sess_a', 'user_1'));
    await sessions.createSession(newSession('sess_b', 'user_1'));
    assert.equal(await sessions.deleteSession('sess_a'), true);
    assert.equal(await sessions.findSession('sess_a'), null);
    assert.equal(await sessions.deleteSession('sess_a'), false);
    assert.notEqual(await sessions.findSession('sess_b'), null);
  });

  it('deleteUserSession refuses another user’s session', async () => {
    const { sessions } = stores();
    await sessions.createSession(newSession('sess_victim', 'user_victim'));
    assert.equal(await sessions.deleteUserSession('user_attacker', 'sess_victim'), false);
    assert.notEqual(await sessions.findSession('sess_victim'), null);
    assert.equal(await sessions.deleteUserSession('user_victim', 'sess_victim'), true);
    assert.equal(await sessions.findSession('sess_victim'), null);
    assert.equal(await sessions.deleteUserSession('user_victim', 'sess_victim'), false);
  });

  it('deleteUserSessions deletes every session of the user and returns their ids', async () => {
    const { sessions } = stores();
    for (const id of ['s1', 's2', 's3']) await sessions.createSession(newSession(id, 'user_1'));
    await sessions.createSession(newSession('other', 'user_2'));
    assert.deepEqual(sorted(await sessions.deleteUserSessions('user_1')), ['s1', 's2', 's3']);
    assert.deepEqual(await sessions.listUserSessions('user_1'), []);
    assert.notEqual(await sessions.findSession('other'), null);
    assert.deepEqual(await sessions.deleteUserSessions('user_1'), []);
  });

  it('deleteUserSessions keeps the excepted session', async () => {
    const { sessions } = stores();
    for (const id of ['s1', 's2', 's3']) await sessions.createSession(newSession(id, 'user_1'));
    await sessions.createSession(newSession('other', 'user_2'));
    assert.deepEqual(sorted(await sessions.deleteUserSessions('user_1', 's2')), ['s1', 's3']);
    assert.deepEqual(idsOf(await sessions.listUserSessions('user_1')), ['s2']);
    assert.notEqual(await sessions.findSession('other'), null);
  });

  it('deleteUserSessions with another user’s session as the exception deletes all of mine only', async () => {
    const { sessions } = stores();
    await sessions.createSession(newSession('mine', 'user_1'));
    await sessions.createSession(newSession('theirs', 'user_2'));
    assert.deepEqual(await sessions.deleteUserSessions('user_1', 'theirs'), ['mine']);
    assert.notEqual(await sessions.findSession('theirs'), null);
  });

  it('listUserSessions returns only that user’s sessions, expired ones included', async () => {
    const { sessions } = stores();
    const a = newSession('s_a', 'user_1', { createdAt: BASE });
    const b = newSession('s_b', 'user_1', { createdAt: BASE + 10, expiresAt: BASE + 20 });
    await sessions.createSession(a);
    await sessions.createSession(b);
    await sessions.createSession(newSession('s_other', 'user_2'));
    const listed = await sessions.listUserSessions('user_1');
    assert.deepEqual(
      [...listed].sort((x, y) => (x.id < y.id ? -1 : 1)),
      [expectedSession(a), expectedSession(b)],
    );
    assert.deepEqual(await sessions.listUserSessions('user_nobody'), []);
  });
}
