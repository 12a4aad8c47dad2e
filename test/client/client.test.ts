import { afterEach, describe, expect, it } from 'vitest';
import { TesseraClientError, createTesseraClient } from '../../src/client/index.js';
import type { Carrier, ClientEvents, TesseraClient, TesseraClientOptions } from '../../src/client/index.js';
import { createChannelHub, createClock, createFakeApi, createLocks, createStorage, settle } from './fakes.js';

/**
 * The SDK against fakes of fetch, BroadcastChannel, Web Locks and Storage: a "browser" is one
 * origin whose tabs share storage, locks and a channel hub. The fake API rotates refresh tokens
 * and flags reuse, so "two tabs never spend the same refresh token" is checked, not assumed.
 */

const opened: TesseraClient[] = [];
afterEach(() => {
  for (const client of opened.splice(0)) client.close();
});

function createBrowser(carrier: Carrier, options: { locks?: boolean; hubDelayMs?: number } = {}) {
  const clock = createClock();
  const api = createFakeApi(carrier, clock);
  const storage = createStorage();
  const locks = createLocks();
  const hub = createChannelHub(options.hubDelayMs ?? 0);
  const tab = (extra: Partial<TesseraClientOptions> = {}): TesseraClient => {
    const client = createTesseraClient({
      carrier,
      fetch: api.fetch,
      storage,
      locks: options.locks === false ? null : locks,
      channel: hub.create(),
      now: clock.now,
      ...extra,
    });
    opened.push(client);
    return client;
  };
  return { clock, api, storage, locks, tab };
}

function record<E extends keyof ClientEvents>(client: TesseraClient, event: E): ClientEvents[E][] {
  const seen: ClientEvents[E][] = [];
  client.on(event, (detail) => void seen.push(detail));
  return seen;
}

const callsTo = (api: { calls: { path: string }[] }, path: string): number => api.calls.filter((call) => call.path === path).length;

describe('bearer carrier', () => {
  it('keeps the access token in memory only and sends it only to its own origins', async () => {
    const b = createBrowser('bearer');
    const client = b.tab({ baseUrl: 'https://auth.example', credentialOrigins: ['https://api.example'] });
    await client.login('a@example.com', 'pw');
    const stored = [...b.storage.map.values()].join();
    expect(stored).toContain('rt-1');
    expect(stored).not.toContain('at-1');

    await client.fetch('/api/things');
    await client.fetch('https://api.example/things');
    await client.fetch('https://auth.example/auth/session');
    await client.fetch('https://elsewhere.example/x');
    await client.fetch('//elsewhere.example/x');
    await client.fetch('/\\elsewhere.example/x');
    const auth = b.api.calls.slice(1).map((call) => call.headers.authorization ?? null);
    expect(auth).toEqual(['Bearer at-1', 'Bearer at-1', 'Bearer at-1', null, null, null]);
    // Bearer requests carry no cookies (nothing ambient to confuse the server's precedence).
    expect(b.api.calls[1]?.credentials).toBe('omit');
  });

  it('refreshes once on a 401 and retries once, never more', async () => {
    const b = createBrowser('bearer');
    const client = b.tab();
    await client.login('a@example.com', 'pw');
    b.api.rejectAccessToken(); // e.g. its jti was revoked: the client cannot know before the 401
    const refreshed = record(client, 'refreshed');
    const response = await client.fetch('/api/things');
    expect(response.status).toBe(200);
    expect(b.api.calls.map((call) => call.path)).toEqual(['/auth/login', '/api/things', '/auth/refresh', '/api/things']);
    expect(refreshed).toHaveLength(1);

    b.api.revoke();
    const signedOut = record(client, 'signed-out');
    const refused = await client.fetch('/api/things');
    expect(refused.status).toBe(401);
    // The 401, a refused refresh, and no retry: never a loop.
    expect(b.api.calls.slice(4).map((call) => call.path)).toEqual(['/api/things', '/auth/refresh']);
    expect(signedOut).toEqual([{ reason: 'expired', fromOtherTab: false }]);
    expect(b.storage.map.size).toBe(0);
  });

  it('refreshes ahead of expiry, before sending', async () => {
    const b = createBrowser('bearer');
    const client = b.tab({ refreshSkewSeconds: 30 });
    await client.login('a@example.com', 'pw');
    b.clock.advance(275_000); // 25 s left < 30 s skew
    await client.fetch('/api/things');
    const paths = b.api.calls.map((call) => call.path);
    expect(paths).toEqual(['/auth/login', '/auth/refresh', '/api/things']);
    expect(b.api.calls[2]?.headers.authorization).toBe('Bearer at-2');
  });

  it('shares one refresh among concurrent requests of a tab', async () => {
    const b = createBrowser('bearer', { locks: false });
    const client = b.tab();
    await client.login('a@example.com', 'pw');
    b.clock.advance(290_000);
    const responses = await Promise.all(Array.from({ length: 5 }, () => client.fetch('/api/things')));
    expect(responses.map((r) => r.status)).toEqual([200, 200, 200, 200, 200]);
    expect(callsTo(b.api, '/auth/refresh')).toBe(1);
  });

  it('refreshes once across tabs: the tab that waited for the lock uses the other tab’s tokens', async () => {
    for (const hubDelayMs of [0, 30]) {
      const b = createBrowser('bearer', { hubDelayMs });
      const first = b.tab();
      const second = b.tab();
      await first.login('a@example.com', 'pw');
      await settle(hubDelayMs + 10); // the second tab hears of the sign-in
      b.clock.advance(290_000);
      const [one, two] = await Promise.all([first.fetch('/api/one'), second.fetch('/api/two')]);
      expect([one.status, two.status]).toEqual([200, 200]);
      expect(callsTo(b.api, '/auth/refresh')).toBe(1);
      expect(b.api.reuseDetected).toBe(false);
      const sent = b.api.calls.filter((call) => call.path.startsWith('/api/')).map((call) => call.headers.authorization);
      expect(sent).toEqual(['Bearer at-2', 'Bearer at-2']);
    }
  });

  it('a new tab takes the shared refresh token and never reuses a rotated one', async () => {
    const b = createBrowser('bearer');
    const first = b.tab();
    await first.login('a@example.com', 'pw');
    const late = b.tab(); // opened later: no access token in memory, heard no message
    expect(await late.session()).not.toBeNull();
    b.clock.advance(290_000);
    await Promise.all([first.fetch('/api/a'), late.fetch('/api/b'), first.refresh(), late.refresh()]);
    expect(b.api.reuseDetected).toBe(false);
    expect(new Set(b.api.presentedRefreshTokens).size).toBe(b.api.presentedRefreshTokens.length);
  });

  it('signs every tab out when one tab signs out', async () => {
    const b = createBrowser('bearer');
    const first = b.tab();
    const second = b.tab();
    await first.login('a@example.com', 'pw');
    await settle();
    const events = record(second, 'signed-out');
    await first.logout();
    await settle();
    expect(events).toEqual([{ reason: 'logout', fromOtherTab: true }]);
    expect(b.storage.map.size).toBe(0);
    await second.fetch('/api/things');
    expect(b.api.calls.at(-1)?.headers.authorization).toBeUndefined();
    expect(await second.session()).toBeNull();
  });

  it('ignores messages of another client family (storageKey)', async () => {
    const b = createBrowser('bearer');
    const mine = b.tab({ storageKey: 'mine' });
    const other = b.tab({ storageKey: 'other' });
    await mine.login('a@example.com', 'pw');
    const events = record(mine, 'signed-out');
    await other.logout();
    await settle();
    expect(events).toEqual([]);
    expect((await mine.fetch('/api/x')).status).toBe(200);
  });

  it('revoking its own session signs out; another device may need reauthentication', async () => {
    const b = createBrowser('bearer');
    const client = b.tab();
    await client.login('a@example.com', 'pw');
    const error = await client.revokeSession('s2').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(TesseraClientError);
    expect((error as TesseraClientError).code).toBe('reauthentication_required');
    const events = record(client, 'signed-out');
    await client.revokeSession('s1');
    expect(events).toEqual([{ reason: 'revoked', fromOtherTab: false }]);
  });
});

describe('cookie carrier', () => {
  it('adds the CSRF header to unsafe methods only, and fetches the token when a tab lacks it', async () => {
    const b = createBrowser('cookie');
    await b.tab().login('a@example.com', 'pw');
    const fresh = b.tab({ storage: null }); // nothing shared: must ask GET /auth/csrf
    await fresh.fetch('/api/read');
    await fresh.fetch('/api/write', { method: 'POST', body: '{}', headers: { 'content-type': 'application/json' } });
    const [read, csrf, write] = b.api.calls.slice(1);
    expect(read?.headers['x-csrf-token']).toBeUndefined();
    expect(csrf?.path).toBe('/auth/csrf');
    expect(write?.headers).toMatchObject({ 'x-csrf-token': 'csrf-1', 'content-type': 'application/json' });
    expect(write?.credentials).toBe('same-origin');
    expect(b.api.calls.some((call) => call.headers.authorization !== undefined)).toBe(false);
  });

  it('recovers once from a stale CSRF token (the session was replaced in another tab)', async () => {
    const b = createBrowser('cookie');
    const client = b.tab();
    await client.login('a@example.com', 'pw');
    b.api.rotateCsrf();
    const response = await client.fetch('/api/write', { method: 'DELETE' });
    expect(response.status).toBe(200);
    expect(b.api.calls.map((call) => call.path)).toEqual(['/auth/login', '/api/write', '/auth/csrf', '/api/write']);
  });

  it('never refreshes, and reports a dead session as signed out', async () => {
    const b = createBrowser('cookie');
    const client = b.tab();
    await client.login('a@example.com', 'pw');
    expect(await client.refresh()).toBe(false);
    b.api.revoke();
    const events = record(client, 'signed-out');
    expect((await client.fetch('/api/read')).status).toBe(401);
    expect(callsTo(b.api, '/auth/refresh')).toBe(0);
    expect(events).toEqual([{ reason: 'expired', fromOtherTab: false }]);
  });
});

describe('hybrid carrier', () => {
  it('refreshes with the CSRF header and no body, relying on the refresh cookie', async () => {
    const b = createBrowser('hybrid');
    const client = b.tab();
    await client.login('a@example.com', 'pw');
    b.clock.advance(290_000);
    await client.fetch('/api/read');
    const refresh = b.api.calls.find((call) => call.path === '/auth/refresh');
    expect(refresh).toMatchObject({ method: 'POST', body: undefined, credentials: 'same-origin' });
    expect(refresh?.headers['x-csrf-token']).toBe('csrf-1');
    expect(b.api.calls.some((call) => call.headers.authorization !== undefined)).toBe(false);
  });

  it('a second tab that waited for the lock does not refresh again', async () => {
    const b = createBrowser('hybrid', { hubDelayMs: 30 });
    const first = b.tab();
    await first.login('a@example.com', 'pw');
    const second = b.tab(); // learns the expiry from storage
    b.clock.advance(290_000);
    await Promise.all([first.fetch('/api/one'), second.fetch('/api/two')]);
    expect(callsTo(b.api, '/auth/refresh')).toBe(1);
  });
});

describe('errors and events', () => {
  it('turns problem documents into TesseraClientError with the stable code', async () => {
    const b = createBrowser('cookie');
    const error = await b.tab().register('x', 'y').catch((e: unknown) => e);
    expect(error).toMatchObject({ name: 'TesseraClientError', status: 400, code: 'validation_failed' });
  });

  it('a throwing listener does not break the client', async () => {
    const b = createBrowser('bearer');
    const client = b.tab();
    client.on('signed-in', () => {
      throw new Error('listener bug');
    });
    const unhandled: unknown[] = [];
    const onError = (error: unknown): void => void unhandled.push(error);
    process.on('uncaughtException', onError);
    try {
      await expect(client.login('a@example.com', 'pw')).resolves.toMatchObject({ session: { id: 's1' } });
      await settle();
    } finally {
      process.off('uncaughtException', onError);
    }
    expect(unhandled).toHaveLength(1);
  });
});
