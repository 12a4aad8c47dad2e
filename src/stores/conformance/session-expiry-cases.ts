import assert from 'node:assert/strict';
import { BASE, DAY, HOUR, MINUTE, expectedSession, newSession, sorted } from './context.js';
import type { SuiteContext } from './context.js';

/** Defines the `SessionStore` cases for sweeping expired sessions and rotating refresh tokens. */
export function defineSessionExpiryCases({ api, stores }: SuiteContext): void {
  const { it } = api;
  const idle = 2 * HOUR;

  it('deleteExpiredSessions removes absolutely expired sessions, the boundary included', async () => {
    const { sessions } = stores();
    const now = BASE + DAY;
    await sessions.createSession(newSession('past', 'u', { createdAt: now - MINUTE, expiresAt: now - 1 }));
    await sessions.createSession(newSession('boundary', 'u', { createdAt: now - MINUTE, expiresAt: now }));
    await sessions.createSession(newSession('live', 'u', { createdAt: now - MINUTE, expiresAt: now + 1 }));
    assert.equal(await sessions.deleteExpiredSessions(now, idle), 2);
    assert.equal(await sessions.findSession('past'), null);
    assert.equal(await sessions.findSession('boundary'), null);
    assert.notEqual(await sessions.findSession('live'), null);
  });

  it('deleteExpiredSessions removes idle sessions and keeps recently touched ones', async () => {
    const { sessions } = stores();
    const now = BASE + DAY;
    const far = now + 30 * DAY;
    // Created long ago and never used since: idle.
    await sessions.createSession(newSession('idle', 'u', { createdAt: now - idle - 1, expiresAt: far }));
    // Last seen exactly one idle timeout ago: idle (the boundary counts as expired).
    await sessions.createSession(newSession('idle_boundary', 'u', { createdAt: now - idle, expiresAt: far }));
    // Created equally long ago but touched recently: alive.
    await sessions.createSession(newSession('touched', 'u', { createdAt: now - idle - 1, expiresAt: far }));
    await sessions.touchSession('touched', now - MINUTE);
    await sessions.createSession(newSession('fresh', 'u', { createdAt: now - 1, expiresAt: far }));
    assert.equal(await sessions.deleteExpiredSessions(now, idle), 2);
    assert.deepEqual(sorted((await sessions.listUserSessions('u')).map((s) => s.id)), ['fresh', 'touched']);
    assert.equal(await sessions.deleteExpiredSessions(now, idle), 0);
  });

  it('deleteExpiredSessions returns 0 and keeps everything when nothing has expired', async () => {
    const { sessions } = stores();
    await sessions.createSession(newSession('a', 'u'));
    assert.equal(await sessions.deleteExpiredSessions(BASE + 1, idle), 0);
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
