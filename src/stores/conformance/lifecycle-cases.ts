import assert from 'node:assert/strict';
import { BASE, assertUnavailable, newSession, newUser } from './context.js';
import type { SuiteContext } from './context.js';

/** Defines the cases for ping, close and the external-change counter. */
export function defineLifecycleCases({ api, stores }: SuiteContext): void {
  const { it } = api;

  it('ping resolves while open', async () => {
    await stores().ping();
  });

  it('externalChangeCounter is synchronous and returns a finite number or null', async () => {
    const value: unknown = stores().sessions.externalChangeCounter();
    assert.ok(value === null || (typeof value === 'number' && Number.isFinite(value)), 'number or null');
    await stores().sessions.createSession(newSession('s', 'u'));
    const after: unknown = stores().sessions.externalChangeCounter();
    assert.ok(after === null || (typeof after === 'number' && Number.isFinite(after)), 'number or null');
  });

  it('close is idempotent', async () => {
    const s = stores();
    await s.close();
    await s.close();
    await Promise.all([s.close(), s.close()]);
  });

  it('fails closed after close: operations reject with store_unavailable', async () => {
    const s = stores();
    await s.users.createUser(newUser(1));
    await s.close();
    await assertUnavailable(s.ping());
    await assertUnavailable(s.users.findUserById('user_1'));
    await assertUnavailable(s.sessions.findSession('s'));
    await assertUnavailable(s.revocations.listRevocations(BASE));
    await assertUnavailable(s.rateLimits.hit('k', 1000, BASE));
    await assertUnavailable(s.keys.listSigningKeys());
  });
}
