import assert from 'node:assert/strict';
import { BASE, DAY, HOUR, MINUTE, expectedSession, newSession, sorted } from './context.js';
import type { SuiteContext } from './context.js';

/** Defines the `SessionStore` cases for sweeping expired sessions and rotating refresh tokens. */
export function defineSessionExpiryCases({ api, stores }: SuiteContext): void {
  const { it } = api;

  it('deleteExpiredSessions removes absolutely expired sessions, the boundary included', async () => {
    const { sessions } = stores();
    const now = BASE + DAY;
    // Long idle timeouts: only the absolute expiry can end these sessions.
    const fresh = { createdAt: now - MINUTE, idleTimeoutMs: 30 * DAY };
    await sessions.createSession(newSession('past', 'u', { ...fresh, expiresAt: now - 1 }));
    await sessions.createSession(newSession('boundary', 'u', { ...fresh, expiresAt: now }));
    await sessions.createSession(newSession('live', 'u', { ...fresh, expiresAt: now + 1 }));
    assert.equal(await sessions.deleteExpiredSessions(now), 2);
    assert.equal(await sessions.findSession('past'), null);
    assert.equal(await sessions.findSession('boundary'), null);
    assert.notEqual(await sessions.findSession('live'), null);
  });

  it('deleteExpiredSessions removes idle sessions by their own idle timeout, keeps touched ones', async () => {
    const { sessions } = stores();
    const now = BASE + DAY;
    const far = now + 30 * DAY;
    const idle = 2 * HOUR;
    const session = (id: string, createdAt: number): ReturnType<typeof newSession> =>
      newSession(id, 'u', { createdAt, expiresAt: far, idleTimeoutMs: idle });
    // Created long ago and never used since: idle.
    await sessions.createSession(session('idle', now - idle - 1));
    // Last seen exactly one idle timeout ago: idle (the boundary counts as expired).
    await sessions.createSession(session('idle_boundary', now - idle));
    // Last seen one millisecond less than that: alive.
    await sessions.createSession(session('almost', now - idle + 1));
    // Created equally long ago but touched recently: alive.
    await sessions.createSession(session('touched', now - idle - 1));
    await sessions.touchSession('touched', now - MINUTE);
    await sessions.createSession(session('fresh', now - 1));
    assert.equal(await sessions.deleteExpiredSessions(now), 2);
    assert.deepEqual(sorted((await sessions.listUserSessions('u')).map((s) => s.id)), ['almost', 'fresh', 'touched']);
    assert.equal(await sessions.deleteExpiredSessions(now), 0);
  });

  it('deleteExpiredSessions judges sessions with different idle timeouts each by its own', async () => {
    const { sessions } = stores();
    const now = BASE + DAY;
    const far = now + 30 * DAY;
    // Both last seen an hour ago: past the cookie's 30 minutes, well within the token's 7 days.
    await sessions.createSession(
      newSession('cookie', 'u', { carrier: 'cookie', createdAt: now - HOUR, expiresAt: far, idleTimeoutMs: 30 * MINUTE }),
    );
    const bearer = newSession('bearer', 'u', {
      carrier: 'bearer',
      createdAt: now - HOUR,
      expiresAt: far,
      idleTimeoutMs: 7 * DAY,
    });
    await sessions.createSession(bearer);
    assert.equal(await sessions.deleteExpiredSessions(now), 1);
    assert.equal(await sessions.findSession('cookie'), null);
    assert.deepEqual(await sessions.findSession('bearer'), expectedSession(bearer));
    // Seven days after it was last seen the token session goes too.
    assert.equal(await sessions.deleteExpiredSessions(now - HOUR + 7 * DAY - 1), 0);
    assert.equal(await sessions.deleteExpiredSessions(now - HOUR + 7 * DAY), 1);
    assert.equal(await sessions.findSession('bearer'), null);
  });

  it('deleteExpiredSessions returns 0 and keeps everything when nothing has expired', async () => {
    const { sessions } = stores();
    await sessions.createSession(newSession('a', 'u'));
    assert.equal(await sessions.deleteExpiredSessions(BASE + 1), 0);
    assert.notEqual(await sessions.findSession('a'), null);
  });

  it('rotateRefresh advances the generation and stores rotatedAt', async () => {
    const { sessions } = stores();
    const input = newSession('s', 'u', { carrier: 'bearer' });
    await sessions.createSession(input);
    assert.equal(await sessions.rotateRefresh('s', 0, BASE + 100), true);
    assert.deepEqual(await sessions.findSession('s'), {
      ...expectedSession(input),
      refreshGeneration: 1,
      refreshRotatedAt: BASE + 100,
    });
    assert.equal(await sessions.rotateRefresh('s', 1, BASE + 200), true);
    const session = await sessions.findSession('s');
    assert.equal(session?.refreshGeneration, 2);
    assert.equal(session?.refreshRotatedAt, BASE + 200);
  });

  it('rotateRefresh fails with a stale generation and changes nothing', async () => {
    const { sessions } = stores();
    await sessions.createSession(newSession('s', 'u', { carrier: 'bearer' }));
    await sessions.rotateRefresh('s', 0, BASE + 100);
    assert.equal(await sessions.rotateRefresh('s', 0, BASE + 200), false);
    assert.equal(await sessions.rotateRefresh('s', 5, BASE + 200), false);
    const session = await sessions.findSession('s');
    assert.equal(session?.refreshGeneration, 1);
    assert.equal(session?.refreshRotatedAt, BASE + 100);
  });

  it('rotateRefresh is false for a missing session', async () => {
    assert.equal(await stores().sessions.rotateRefresh('missing', 0, BASE), false);
  });

  it('lets exactly one of two concurrent rotations from one generation win', async () => {
    const { sessions } = stores();
    await sessions.createSession(newSession('s', 'u', { carrier: 'bearer' }));
    const results = await Promise.all([
      sessions.rotateRefresh('s', 0, BASE + 1),
      sessions.rotateRefresh('s', 0, BASE + 2),
    ]);
    assert.equal(results.filter(Boolean).length, 1);
    const session = await sessions.findSession('s');
    assert.equal(session?.refreshGeneration, 1);
    assert.equal(session?.refreshRotatedAt, results[0] ? BASE + 1 : BASE + 2);
  });

  it('lets exactly one of many concurrent rotations win, with no forked chain', async () => {
    const { sessions } = stores();
    await sessions.createSession(newSession('s', 'u', { carrier: 'bearer' }));
    const results = await Promise.all(
      Array.from({ length: 20 }, (_, i) => sessions.rotateRefresh('s', 0, BASE + i)),
    );
    assert.equal(results.filter(Boolean).length, 1);
    assert.equal((await sessions.findSession('s'))?.refreshGeneration, 1);
  });

  it('rotateRefresh does not touch other sessions', async () => {
    const { sessions } = stores();
    const other = newSession('other', 'u', { carrier: 'bearer' });
    await sessions.createSession(newSession('s', 'u', { carrier: 'bearer' }));
    await sessions.createSession(other);
    await sessions.rotateRefresh('s', 0, BASE + 1);
    assert.deepEqual(await sessions.findSession('other'), expectedSession(other));
  });
}
