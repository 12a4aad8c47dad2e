import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createBrowser, send } from '../helpers/http.js';
import { type StoreKind, type TestServer, startTestServer } from '../helpers/server.js';
import {
  PASSWORD,
  browserHeaders,
  cookieAttributes,
  login,
  newUser,
  register,
  sessionSetCookie,
  sessionStatus,
  tokenOf,
  uniqueEmail,
  withBigLimits,
} from './support.js';

/** Cookie checklist C-01…C-05 (REFERENCES.md) plus the cookie cleared at sign-out. */

const HOUR = 3_600_000;

/** Every Set-Cookie line a user's life produces: login, password change, logout, logout-all, own-session delete. */
async function collectSessionCookies(server: TestServer): Promise<{ set: string[]; cleared: string[]; tokens: string[] }> {
  const name = server.tessera.cookieNames.session;
  const set: string[] = [];
  const cleared: string[] = [];
  const tokens: string[] = [];
  const record = (lines: string[]): void => {
    for (const line of lines) {
      expect(line.startsWith(`${name}=`), line).toBe(true);
      if (tokenOf(line) === '') cleared.push(line);
      else {
        set.push(line);
        tokens.push(tokenOf(line));
      }
    }
  };
  const a = await newUser(server, { tag: 'cookies' });
  record(a.response.cookies);
  tokens.push(a.token);
  const changed = await send(server, 'POST', '/auth/password', {
    headers: browserHeaders(server, a.token, a.csrfToken),
    json: { currentPassword: PASSWORD, newPassword: 'cookie test new password' },
  });
  expect(changed.status).toBe(200);
  record(changed.cookies);
  const newToken = tokenOf(sessionSetCookie(changed, name) as string);
  const out = await send(server, 'POST', '/auth/logout', { headers: browserHeaders(server, newToken, changed.body.csrfToken) });
  expect(out.status).toBe(204);
  record(out.cookies);
  const b = await login(server, a.email, 'cookie test new password');
  record(b.response.cookies);
  const all = await b.browser.request('POST', '/auth/logout-all');
  expect(all.status).toBe(204);
  record(all.cookies);
  const c = await login(server, a.email, 'cookie test new password');
  record(c.response.cookies);
  const own = await c.browser.request('DELETE', `/auth/sessions/${c.sessionId}`);
  expect(own.status).toBe(204);
  record(own.cookies);
  const dead = await send(server, 'GET', '/auth/session', { headers: { cookie: `${name}=${c.token}` } });
  expect(dead.status).toBe(401);
  record(dead.cookies);
  return { set, cleared, tokens };
}

describe.each<StoreKind>(['memory', 'sqlite'])('cookie attributes, default config (%s store)', (store) => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer({ store, overrides: withBigLimits() });
  });
  afterAll(async () => server.close());

  it('C-01 the session cookie is HttpOnly and its token appears only in Set-Cookie', async () => {
    const a = await newUser(server, { tag: 'c01' });
    const line = sessionSetCookie(a.response, server.tessera.cookieNames.session) as string;
    expect(cookieAttributes(line).has('httponly')).toBe(true);
    const [, secret = ''] = a.token.split('.');
    expect(secret.length).toBeGreaterThan(20);

    // No JSON body, and no header other than Set-Cookie, ever carries the token or its secret.
    const responses = [
      a.response,
      await a.browser.request('GET', '/auth/session'),
      await a.browser.request('GET', '/auth/sessions'),
      await a.browser.request('GET', '/auth/csrf'),
      await a.browser.request('POST', '/auth/reauthenticate', { json: { password: PASSWORD } }),
    ];
    for (const response of responses) {
      expect(response.status).toBeLessThan(300);
      expect(response.text).not.toContain(a.token);
      expect(response.text).not.toContain(secret);
      response.headers.forEach((value, key) => {
        if (key !== 'set-cookie') expect(value, key).not.toContain(secret);
      });
    }
    expect(a.response.body.session.id).toBe(a.sessionId);
    expect(a.response.body).not.toHaveProperty('token');
    expect(a.response.body.session).not.toHaveProperty('secretHash');

    const changed = await a.browser.request('POST', '/auth/password', { json: { currentPassword: PASSWORD, newPassword: 'c01 another password' } });
    expect(changed.status).toBe(200);
    const newLine = sessionSetCookie(changed, server.tessera.cookieNames.session) as string;
    expect(cookieAttributes(newLine).has('httponly')).toBe(true);
    const newSecret = tokenOf(newLine).split('.')[1] as string;
    expect(changed.text).not.toContain(newSecret);
  });

  it('C-01 every Set-Cookie of the session cookie, set or cleared, is HttpOnly', async () => {
    const { set, cleared } = await collectSessionCookies(server);
    expect(set.length).toBeGreaterThanOrEqual(4);
    expect(cleared.length).toBeGreaterThanOrEqual(4);
    for (const line of [...set, ...cleared]) expect(cookieAttributes(line).has('httponly'), line).toBe(true);
  });

  it('C-02 without TLS the plain name is used (no __Host- prefix without Secure), Path=/ and no Domain', async () => {
    expect(server.tessera.config.cookie.secure).toBe(false);
    const { set, cleared } = await collectSessionCookies(server);
    for (const line of [...set, ...cleared]) {
      expect(line.startsWith('tessera_session=')).toBe(true);
      const attributes = cookieAttributes(line);
      expect(attributes.get('path')).toBe('/');
      expect(attributes.has('domain')).toBe(false);
      expect(attributes.has('secure')).toBe(false);
    }
  });

  it('C-03 SameSite is explicit: Lax by default', async () => {
    const { set, cleared } = await collectSessionCookies(server);
    for (const line of [...set, ...cleared]) expect(cookieAttributes(line).get('samesite'), line).toBe('Lax');
  });

  it('C-04 Max-Age is never longer than the absolute session lifetime', async () => {
    const absoluteSeconds = server.tessera.config.session.absoluteLifetimeMs / 1000;
    const { set } = await collectSessionCookies(server);
    for (const line of set) {
      const attributes = cookieAttributes(line);
      expect(attributes.has('expires') && !attributes.has('max-age')).toBe(false);
      const maxAge = Number(attributes.get('max-age'));
      expect(Number.isInteger(maxAge)).toBe(true);
      expect(maxAge).toBeGreaterThan(0);
      expect(maxAge).toBeLessThanOrEqual(absoluteSeconds);
    }
  });

  it('C-05 cookie name plus value is at most 4096 bytes', async () => {
    const { set } = await collectSessionCookies(server);
    for (const line of set) {
      const pair = line.split(';')[0] as string;
      expect(Buffer.byteLength(pair, 'utf8')).toBeLessThanOrEqual(4096);
      // And the whole Set-Cookie line stays well inside what browsers keep.
      expect(Buffer.byteLength(line, 'utf8')).toBeLessThanOrEqual(4096);
    }
  });

  it('logout clears the cookie: empty value, Max-Age=0, same Path and flags', async () => {
    const a = await newUser(server, { tag: 'logout-clear' });
    const out = await send(server, 'POST', '/auth/logout', { headers: browserHeaders(server, a.token, a.csrfToken) });
    expect(out.status).toBe(204);
    expect(out.cookies).toHaveLength(1);
    const line = out.cookies[0] as string;
    expect(line.startsWith(`${server.tessera.cookieNames.session}=;`)).toBe(true);
    const attributes = cookieAttributes(line);
    expect(attributes.get('max-age')).toBe('0');
    expect(attributes.get('path')).toBe('/');
    expect(attributes.has('httponly')).toBe(true);
    expect(attributes.get('samesite')).toBe('Lax');
    expect(out.headers.get('cache-control')).toContain('no-store');
    expect(await sessionStatus(server, a.token)).toBe(401);
  });
});

describe('cookie attributes with secure cookies (C-02)', () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer({ store: 'sqlite', overrides: withBigLimits({ cookie: { secure: true } }) });
  });
  afterAll(async () => server.close());

  it('C-02 the cookie is __Host-prefixed, Secure, Path=/ and has no Domain (set and cleared)', async () => {
    expect(server.tessera.cookieNames.session).toBe('__Host-tessera_session');
    const { set, cleared } = await collectSessionCookies(server);
    expect(set.length).toBeGreaterThanOrEqual(4);
    expect(cleared.length).toBeGreaterThanOrEqual(4);
    for (const line of [...set, ...cleared]) {
      expect(line.startsWith('__Host-tessera_session=')).toBe(true);
      const attributes = cookieAttributes(line);
      expect(attributes.has('secure'), line).toBe(true);
      expect(attributes.get('path')).toBe('/');
      expect(attributes.has('domain')).toBe(false);
      expect(attributes.has('httponly')).toBe(true);
      expect(attributes.get('samesite')).toBe('Lax');
    }
  });

  it('C-02 a cookie without the prefix (e.g. tossed from a sibling domain) is not read', async () => {
    const a = await newUser(server, { tag: 'c02-toss' });
    // The same valid token under the unprefixed name proves nothing.
    const unprefixed = await send(server, 'GET', '/auth/session', { headers: { cookie: `tessera_session=${a.token}` } });
    expect(unprefixed.status).toBe(401);
    expect(unprefixed.body.code).toBe('unauthenticated');
    const prefixed = await send(server, 'GET', '/auth/session', { headers: { cookie: `__Host-tessera_session=${a.token}` } });
    expect(prefixed.status).toBe(200);
    // Two copies of the prefixed cookie are ambiguous, so refused.
    const doubled = await send(server, 'GET', '/auth/session', {
      headers: { cookie: `__Host-tessera_session=${a.token}; __Host-tessera_session=${a.token}` },
    });
    expect(doubled.status).toBe(400);
    expect(doubled.body.code).toBe('malformed_cookie');
  });
});

describe('cookie attributes configured strict (C-03, C-04)', () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer({
      store: 'memory',
      overrides: withBigLimits({ cookie: { sameSite: 'strict' }, session: { absoluteLifetimeMs: 2 * HOUR, idleTimeoutMs: HOUR } }),
    });
  });
  afterAll(async () => server.close());

  it('C-03 SameSite=Strict when configured', async () => {
    const { set, cleared } = await collectSessionCookies(server);
    for (const line of [...set, ...cleared]) expect(cookieAttributes(line).get('samesite'), line).toBe('Strict');
  });

  it('C-04 Max-Age follows a configured absolute lifetime and shrinks as the session ages', async () => {
    const email = uniqueEmail('c04');
    await register(server, email);
    const first = await login(server, email);
    const maxAge = Number(cookieAttributes(first.response.cookies[0] as string).get('max-age'));
    expect(maxAge).toBe(2 * 3600);

    // A password change an hour later opens a fresh session with a fresh (full) lifetime, never more.
    server.clock.advance(HOUR - 60_000);
    const changed = await first.browser.request('POST', '/auth/password', { json: { currentPassword: PASSWORD, newPassword: 'strict server password' } });
    expect(changed.status).toBe(200);
    const newMaxAge = Number(cookieAttributes(changed.cookies[0] as string).get('max-age'));
    expect(newMaxAge).toBeLessThanOrEqual(2 * 3600);
    expect(newMaxAge).toBeGreaterThan(0);
    const browser = createBrowser(server);
    expect((await browser.request('POST', '/auth/login', { json: { email, password: 'strict server password' } })).status).toBe(200);
  });
});
