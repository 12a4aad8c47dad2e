import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createCsrfToken } from '../../src/core/csrf.js';
import { type TestResponse, createBrowser, send } from '../helpers/http.js';
import { type TestServer, startTestServer } from '../helpers/server.js';
import {
  PASSWORD,
  cookieHeader,
  login,
  newUser,
  register,
  sessionSetCookie,
  sessionStatus,
  tokenOf,
  uniqueEmail,
  userState,
  withBigLimits,
} from './support.js';

/**
 * CSRF checklist X-01…X-09 (REFERENCES.md). Every refused request is checked for "nothing
 * changed": the user and session records are compared before and after (read from the store),
 * and both of the user's sessions must still work.
 */

/** A signed-in user with a second session (the target of DELETE /auth/sessions/:id). */
interface Fixture {
  readonly userId: string;
  readonly email: string;
  readonly password: string;
  readonly token: string;
  readonly sessionId: string;
  readonly csrfToken: string;
  readonly otherToken: string;
  readonly otherSessionId: string;
  readonly otherCsrfToken: string;
}

async function createFixture(server: TestServer, tag: string): Promise<Fixture> {
  const a = await newUser(server, { tag });
  const other = await login(server, a.email);
  return {
    userId: a.userId,
    email: a.email,
    password: a.password,
    token: a.token,
    sessionId: a.sessionId,
    csrfToken: a.csrfToken,
    otherToken: other.token,
    otherSessionId: other.sessionId,
    otherCsrfToken: other.response.body.csrfToken,
  };
}

/** One state-changing endpoint a cookie authenticates. */
interface Target {
  readonly name: string;
  readonly method: 'POST' | 'DELETE';
  path(f: Fixture): string;
  json?(f: Fixture): unknown;
  /** The success status when the request is legitimate. */
  readonly ok: number;
}

const TARGETS: readonly Target[] = [
  { name: 'POST /auth/logout', method: 'POST', path: () => '/auth/logout', ok: 204 },
  { name: 'POST /auth/logout-all', method: 'POST', path: () => '/auth/logout-all', ok: 204 },
  { name: 'DELETE /auth/sessions/:other', method: 'DELETE', path: (f) => `/auth/sessions/${f.otherSessionId}`, ok: 204 },
  { name: 'DELETE /auth/sessions/:own', method: 'DELETE', path: (f) => `/auth/sessions/${f.sessionId}`, ok: 204 },
  {
    name: 'POST /auth/password',
    method: 'POST',
    path: () => '/auth/password',
    json: (f) => ({ currentPassword: f.password, newPassword: 'csrf attacker chose this' }),
    ok: 200,
  },
  { name: 'POST /auth/reauthenticate', method: 'POST', path: () => '/auth/reauthenticate', json: (f) => ({ password: f.password }), ok: 204 },
];

/** Sends `target` for the fixture with exactly these headers (cookie added unless `cookie: null`). */
async function fire(server: TestServer, f: Fixture, target: Target, headers: Record<string, string> | Array<[string, string]>, cookie: string | null = cookieHeader(server, f.token)): Promise<TestResponse> {
  const list: Array<[string, string]> = Array.isArray(headers) ? [...headers] : Object.entries(headers);
  if (cookie !== null) list.push(['cookie', cookie]);
  const body = target.json ? JSON.stringify(target.json(f)) : undefined;
  if (body !== undefined) list.push(['content-type', 'application/json']);
  const response = await fetch(server.url + target.path(f), { method: target.method, headers: list, body, redirect: 'manual' });
  const text = await response.text();
  const parsed = (response.headers.get('content-type') ?? '').includes('json') && text ? JSON.parse(text) : text;
  return { status: response.status, headers: response.headers, body: parsed, text, cookies: response.headers.getSetCookie() };
}

/** Asserts that the request is refused with 403 `code` and that nothing about the user changed. */
async function expectRefused(
  server: TestServer,
  f: Fixture,
  target: Target,
  headers: Record<string, string> | Array<[string, string]>,
  code = 'csrf_rejected',
): Promise<void> {
  // Move the clock so that any write (e.g. a re-authentication timestamp) would be visible.
  server.clock.advance(1000);
  const before = await userState(server, f.userId);
  const response = await fire(server, f, target, headers);
  expect(response.status, `${target.name} with ${JSON.stringify(headers)}`).toBe(403);
  expect(response.body.code, target.name).toBe(code);
  expect(response.headers.get('content-type')).toContain('application/problem+json');
  expect(response.cookies, `${target.name} must not touch the cookie`).toEqual([]);
  expect(await userState(server, f.userId), `${target.name} changed state`).toEqual(before);
  expect(await sessionStatus(server, f.token)).toBe(200);
  expect(await sessionStatus(server, f.otherToken)).toBe(200);
}

describe('CSRF (sqlite store, default trust)', () => {
  let server: TestServer;
  let fixture: Fixture;
  let publicUrl: string;
  beforeAll(async () => {
    server = await startTestServer({ store: 'sqlite', overrides: withBigLimits() });
    publicUrl = server.tessera.config.publicUrl;
    fixture = await createFixture(server, 'csrf');
  });
  afterAll(async () => server.close());

  it('control: every target succeeds with the token and a same-origin signal', async () => {
    for (const target of TARGETS) {
      const f = await createFixture(server, 'control');
      const response = await fire(server, f, target, { 'sec-fetch-site': 'same-origin', 'x-csrf-token': f.csrfToken });
      expect(response.status, target.name).toBe(target.ok);
      const viaOrigin = await createFixture(server, 'control-origin');
      expect((await fire(server, viaOrigin, target, { origin: publicUrl, 'x-csrf-token': viaOrigin.csrfToken })).status, `${target.name} via Origin`).toBe(target.ok);
    }
  });

  it('X-01 a valid cookie without a CSRF token gets 403 on every unsafe endpoint', async () => {
    for (const target of TARGETS) {
      await expectRefused(server, fixture, target, { 'sec-fetch-site': 'same-origin' });
      await expectRefused(server, fixture, target, { origin: publicUrl });
      await expectRefused(server, fixture, target, {});
    }
  });

  it('X-02 another user’s (or another session’s) valid CSRF token gets 403', async () => {
    const b = await newUser(server, { tag: 'csrf-b' });
    expect(b.csrfToken).not.toBe(fixture.csrfToken);
    for (const target of TARGETS) {
      await expectRefused(server, fixture, target, { 'sec-fetch-site': 'same-origin', 'x-csrf-token': b.csrfToken });
      // Bound to the session, not merely to the user.
      await expectRefused(server, fixture, target, { 'sec-fetch-site': 'same-origin', 'x-csrf-token': fixture.otherCsrfToken });
    }
    // B's token still works for B: the refusals were about binding, not a broken token.
    const own = await send(server, 'POST', '/auth/reauthenticate', {
      headers: { cookie: cookieHeader(server, b.token), 'sec-fetch-site': 'same-origin', 'x-csrf-token': b.csrfToken },
      json: { password: PASSWORD },
    });
    expect(own.status).toBe(204);
  });

  it('X-03 an attacker-set csrf cookie with the same value in the header gets 403', async () => {
    const attacker = await newUser(server, { tag: 'csrf-attacker' });
    const values = [randomBytes(32).toString('base64url'), attacker.csrfToken, 'x'];
    for (const target of TARGETS) {
      for (const value of values) {
        server.clock.advance(1000);
        const before = await userState(server, fixture.userId);
        const cookie = [
          cookieHeader(server, fixture.token),
          `csrf=${value}`,
          `_csrf=${value}`,
          `csrfToken=${value}`,
          `csrf_token=${value}`,
          `XSRF-TOKEN=${value}`,
          `x-csrf-token=${value}`,
        ].join('; ');
        const response = await fire(server, fixture, target, { 'sec-fetch-site': 'same-origin', 'x-csrf-token': value }, cookie);
        expect(response.status, `${target.name} ${value}`).toBe(403);
        expect(response.body.code).toBe('csrf_rejected');
        expect(await userState(server, fixture.userId)).toEqual(before);
      }
    }
    expect(await sessionStatus(server, fixture.token)).toBe(200);
    expect(await sessionStatus(server, fixture.otherToken)).toBe(200);
  });

  it('X-04 tampered, truncated, empty, extended or wrong-HMAC tokens get 403', async () => {
    // Code review: verifyCsrfToken (src/core/csrf.ts) compares with crypto.timingSafeEqual
    // through constantTimeEqual, after a length check on a fixed-length value.
    const valid = fixture.csrfToken;
    const flip = (text: string, index: number): string =>
      text.slice(0, index) + (text[index] === 'A' ? 'B' : 'A') + text.slice(index + 1);
    const bad = [
      flip(valid, 0),
      flip(valid, 21),
      flip(valid, valid.length - 2),
      valid.slice(0, -1),
      valid.slice(0, 20),
      `${valid}A`,
      `${valid}=`,
      valid.toLowerCase() === valid ? valid.toUpperCase() : valid.toLowerCase(),
      valid.replaceAll('-', '+').replaceAll('_', '/') === valid ? flip(valid, 5) : valid.replaceAll('-', '+').replaceAll('_', '/'),
      createCsrfToken(randomBytes(32), fixture.sessionId), // right shape, wrong key
      createCsrfToken(Buffer.alloc(32), fixture.sessionId), // all-zero key
      fixture.sessionId,
      fixture.token,
      'null',
      'undefined',
      '0',
    ];
    for (const target of TARGETS) {
      await expectRefused(server, fixture, target, { 'sec-fetch-site': 'same-origin', 'x-csrf-token': '' });
      for (const token of bad) {
        expect(token).not.toBe(valid);
        await expectRefused(server, fixture, target, { 'sec-fetch-site': 'same-origin', 'x-csrf-token': token });
      }
      // Two X-CSRF-Token headers, one of them valid: ambiguous, refused.
      await expectRefused(server, fixture, target, [
        ['sec-fetch-site', 'same-origin'],
        ['x-csrf-token', valid],
        ['x-csrf-token', 'forged'],
      ]);
    }
  });

  it('X-05 Sec-Fetch-Site: cross-site (and same-site, untrusted here) gets 403 even with a valid token', async () => {
    for (const target of TARGETS) {
      await expectRefused(server, fixture, target, { 'sec-fetch-site': 'cross-site', 'x-csrf-token': fixture.csrfToken });
      await expectRefused(server, fixture, target, { 'sec-fetch-site': 'same-site', 'x-csrf-token': fixture.csrfToken });
      // Sec-Fetch-Site decides; a trusted Origin next to it does not rescue a cross-site request.
      await expectRefused(server, fixture, target, { 'sec-fetch-site': 'cross-site', origin: publicUrl, 'x-csrf-token': fixture.csrfToken });
      for (const junk of ['', 'same-origin, cross-site', 'SAME-ORIGIN', 'same_origin', 'cross-site, same-origin']) {
        await expectRefused(server, fixture, target, { 'sec-fetch-site': junk, 'x-csrf-token': fixture.csrfToken });
      }
    }
    // same-origin and none pass.
    const ok = await fire(server, fixture, TARGETS[5]!, { 'sec-fetch-site': 'same-origin', 'x-csrf-token': fixture.csrfToken });
    expect(ok.status).toBe(204);
    const none = await fire(server, fixture, TARGETS[5]!, { 'sec-fetch-site': 'none', 'x-csrf-token': fixture.csrfToken });
    expect(none.status).toBe(204);
  });

  it('X-06 without Sec-Fetch-Site: exact Origin passes; null, suffix tricks and missing signals get 403', async () => {
    const token = fixture.csrfToken;
    const untrustedOrigins = [
      'null',
      `${publicUrl}.attacker.com`,
      'http://attacker.com',
      publicUrl.replace('http://', 'https://'),
      `${publicUrl}0`,
      `${publicUrl}/`,
      publicUrl.toUpperCase(),
      `http://attacker.com@${new URL(publicUrl).host}`,
      `${publicUrl}@attacker.com`,
      '',
    ];
    for (const target of TARGETS) {
      for (const origin of untrustedOrigins) {
        await expectRefused(server, fixture, target, { origin, 'x-csrf-token': token });
      }
      // An untrusted Origin is not rescued by a trusted Referer.
      await expectRefused(server, fixture, target, { origin: 'null', referer: `${publicUrl}/settings`, 'x-csrf-token': token });
      // Referer fallback: only an exact origin match counts.
      for (const referer of [`${publicUrl}.attacker.com/settings`, `http://attacker.com/?next=${publicUrl}`, `http://attacker.com/${publicUrl}`, 'about:blank', 'not a url']) {
        await expectRefused(server, fixture, target, { referer, 'x-csrf-token': token });
      }
      // Neither header: blocked.
      await expectRefused(server, fixture, target, { 'x-csrf-token': token });
    }
    const viaOrigin = await fire(server, fixture, TARGETS[5]!, { origin: publicUrl, 'x-csrf-token': token });
    expect(viaOrigin.status).toBe(204);
    const viaReferer = await fire(server, fixture, TARGETS[5]!, { referer: `${publicUrl}/account/settings?x=1`, 'x-csrf-token': token });
    expect(viaReferer.status).toBe(204);
  });

  it('X-07 JSON endpoints reject simple content types with 415, even with a valid cookie and token', async () => {
    const json = { currentPassword: fixture.password, newPassword: 'csrf form post password' };
    const bodies: Array<[string, string]> = [
      ['text/plain', JSON.stringify(json)],
      ['text/plain;charset=UTF-8', JSON.stringify(json)],
      ['application/x-www-form-urlencoded', new URLSearchParams(json).toString()],
      [
        'multipart/form-data; boundary=----x',
        `------x\r\nContent-Disposition: form-data; name="currentPassword"\r\n\r\n${json.currentPassword}\r\n------x\r\nContent-Disposition: form-data; name="newPassword"\r\n\r\n${json.newPassword}\r\n------x--\r\n`,
      ],
    ];
    for (const target of TARGETS) {
      for (const [type, body] of bodies) {
        server.clock.advance(1000);
        const before = await userState(server, fixture.userId);
        const response = await fetch(server.url + target.path(fixture), {
          method: target.method,
          headers: { cookie: cookieHeader(server, fixture.token), 'sec-fetch-site': 'same-origin', 'x-csrf-token': fixture.csrfToken, 'content-type': type },
          body,
        });
        const problem = (await response.json()) as { code: string };
        expect(response.status, `${target.name} ${type}`).toBe(415);
        expect(problem.code).toBe('unsupported_media_type');
        expect(response.headers.get('content-type')).toContain('application/problem+json');
        expect(response.headers.getSetCookie()).toEqual([]);
        expect(await userState(server, fixture.userId)).toEqual(before);
      }
    }
    expect(await sessionStatus(server, fixture.token)).toBe(200);
    expect(await sessionStatus(server, fixture.otherToken)).toBe(200);
    // The password did not change through any of them.
    const old = await send(server, 'POST', '/auth/login', { json: { email: fixture.email, password: fixture.password } });
    expect(old.status).toBe(200);

    // Sign-in and registration are JSON endpoints too: a cross-site form cannot reach them.
    const email = uniqueEmail('x07');
    const signInBodies: Array<[string, string]> = [
      ['text/plain', JSON.stringify({ email, password: PASSWORD })],
      ['application/x-www-form-urlencoded', new URLSearchParams({ email, password: PASSWORD }).toString()],
      ['multipart/form-data; boundary=----x', `------x\r\nContent-Disposition: form-data; name="email"\r\n\r\n${email}\r\n------x--\r\n`],
    ];
    for (const [type, body] of signInBodies) {
      for (const path of ['/auth/register', '/auth/login']) {
        const response = await fetch(server.url + path, { method: 'POST', headers: { 'content-type': type }, body });
        expect(response.status, `${path} ${type}`).toBe(415);
        expect(response.headers.getSetCookie()).toEqual([]);
      }
    }
    expect(await server.tessera.stores.users.findUserByEmail(email)).toBeNull();
  });

  it('X-08 GET, HEAD and OPTIONS change nothing on any route', async () => {
    const f = await createFixture(server, 'x08');
    const paths = [
      '/auth/register',
      '/auth/login',
      '/auth/logout',
      '/auth/logout-all',
      '/auth/session',
      '/auth/sessions',
      `/auth/sessions/${f.otherSessionId}`,
      `/auth/sessions/${f.sessionId}`,
      '/auth/csrf',
      '/auth/password',
      '/auth/reauthenticate',
      '/auth/refresh',
      '/healthz',
      '/readyz',
      '/metrics',
    ];
    const signals: Array<Record<string, string>> = [
      { 'sec-fetch-site': 'same-origin', 'x-csrf-token': f.csrfToken },
      { 'sec-fetch-site': 'cross-site' },
      {},
    ];
    for (const method of ['GET', 'HEAD', 'OPTIONS']) {
      for (const path of paths) {
        for (const headers of signals) {
          server.clock.advance(1000);
          const before = await userState(server, f.userId);
          const response = await fetch(server.url + path, {
            method,
            headers: { ...headers, cookie: cookieHeader(server, f.token), 'access-control-request-method': 'POST' },
          });
          await response.arrayBuffer();
          expect(response.status, `${method} ${path}`).toBeLessThan(500);
          for (const line of response.headers.getSetCookie()) {
            expect(line, `${method} ${path} set a cookie`).not.toMatch(/^[^=]+=[^;]+/);
          }
          expect(await userState(server, f.userId), `${method} ${path}`).toEqual(before);
        }
      }
    }
    expect(await sessionStatus(server, f.token)).toBe(200);
    expect(await sessionStatus(server, f.otherToken)).toBe(200);
    const list = await send(server, 'GET', '/auth/sessions', { headers: { cookie: cookieHeader(server, f.token) } });
    expect(list.body.sessions.map((s: { id: string }) => s.id).sort()).toEqual([f.sessionId, f.otherSessionId].sort());
  });

  it('no route grants CORS, so a cross-origin page can neither read a CSRF token nor send a preflighted request', async () => {
    // The CSRF defence assumes this: if /auth/csrf were readable cross-origin, the token would
    // leak; if a preflight were granted, JSON and custom headers would be sendable cross-site.
    const f = await createFixture(server, 'cors');
    const paths = ['/auth/csrf', '/auth/session', '/auth/sessions', '/auth/login', '/auth/logout', '/auth/password', `/auth/sessions/${f.otherSessionId}`];
    for (const origin of ['http://attacker.com', 'null', `${publicUrl}.attacker.com`]) {
      for (const path of paths) {
        const preflight = await fetch(server.url + path, {
          method: 'OPTIONS',
          headers: { origin, 'access-control-request-method': 'POST', 'access-control-request-headers': 'content-type, x-csrf-token' },
        });
        await preflight.arrayBuffer();
        expect(preflight.status, `OPTIONS ${path}`).toBeGreaterThanOrEqual(400);
        const read = await fetch(server.url + path, { headers: { origin, cookie: cookieHeader(server, f.token), 'sec-fetch-site': 'cross-site' } });
        await read.arrayBuffer();
        for (const response of [preflight, read]) {
          expect(response.headers.get('access-control-allow-origin'), `${path} from ${origin}`).toBeNull();
          expect(response.headers.get('access-control-allow-credentials')).toBeNull();
          expect(response.headers.get('access-control-allow-headers')).toBeNull();
          expect(response.headers.get('access-control-allow-methods')).toBeNull();
        }
      }
    }
    expect(await sessionStatus(server, f.token)).toBe(200);
  });

  it('X-09 login and register refuse cross-site signals and untrusted origins with 403 cross_site_request', async () => {
    const email = uniqueEmail('x09');
    await register(server, email);
    const hostile: Array<Record<string, string>> = [
      { 'sec-fetch-site': 'cross-site' },
      { 'sec-fetch-site': 'same-site' },
      { 'sec-fetch-site': 'cross-site', origin: publicUrl },
      { origin: 'http://attacker.com' },
      { origin: 'null' },
      { origin: `${publicUrl}.attacker.com` },
      { referer: 'http://attacker.com/login' },
    ];
    for (const headers of hostile) {
      const signIn = await send(server, 'POST', '/auth/login', { headers, json: { email, password: PASSWORD } });
      expect(signIn.status, JSON.stringify(headers)).toBe(403);
      expect(signIn.body.code).toBe('cross_site_request');
      expect(signIn.cookies).toEqual([]);

      const newEmail = uniqueEmail('x09-reg');
      const signUp = await send(server, 'POST', '/auth/register', { headers, json: { email: newEmail, password: PASSWORD } });
      expect(signUp.status, JSON.stringify(headers)).toBe(403);
      expect(signUp.body.code).toBe('cross_site_request');
      expect(await server.tessera.stores.users.findUserByEmail(newEmail)).toBeNull();
    }
    const user = await server.tessera.stores.users.findUserByEmail(email);
    expect(await server.tessera.stores.sessions.listUserSessions(user!.id)).toEqual([]);
  });

  it('X-09 login and register without any browser signal (CLI, app) or same-origin are allowed', async () => {
    const email = uniqueEmail('x09-cli');
    const registered = await send(server, 'POST', '/auth/register', { json: { email, password: PASSWORD } });
    expect(registered.status).toBe(201);
    const cli = await send(server, 'POST', '/auth/login', { json: { email, password: PASSWORD } });
    expect(cli.status).toBe(200);
    const friendly: Array<Record<string, string>> = [{ 'sec-fetch-site': 'same-origin' }, { 'sec-fetch-site': 'none' }, { origin: publicUrl }, { referer: `${publicUrl}/login` }];
    for (const headers of friendly) {
      const response = await send(server, 'POST', '/auth/login', { headers, json: { email, password: PASSWORD } });
      expect(response.status, JSON.stringify(headers)).toBe(200);
    }
  });

  it('X-09 the pre-login session is destroyed at login (no login CSRF into a kept session)', async () => {
    // The browser holds A's session; a login as B (e.g. forced by an attacker) must not keep A's.
    const a = await newUser(server, { tag: 'x09-a' });
    const bEmail = uniqueEmail('x09-b');
    await register(server, bEmail);
    const browser = createBrowser(server);
    browser.cookie = cookieHeader(server, a.token);
    const response = await browser.request('POST', '/auth/login', { json: { email: bEmail, password: PASSWORD } });
    expect(response.status).toBe(200);
    const newToken = tokenOf(sessionSetCookie(response, server.tessera.cookieNames.session) as string);
    expect(newToken).not.toBe(a.token);
    expect(await sessionStatus(server, a.token)).toBe(401);
    const me = await send(server, 'GET', '/auth/session', { headers: { cookie: cookieHeader(server, newToken) } });
    expect(me.body.user.email).toBe(bEmail);
    // A refused (cross-site) login destroys nothing and creates nothing.
    const kept = await newUser(server, { tag: 'x09-kept' });
    const refused = await send(server, 'POST', '/auth/login', {
      headers: { cookie: cookieHeader(server, kept.token), 'sec-fetch-site': 'cross-site' },
      json: { email: bEmail, password: PASSWORD },
    });
    expect(refused.status).toBe(403);
    expect(await sessionStatus(server, kept.token)).toBe(200);
  });
});

describe('CSRF with trusted sibling sites (trustSameSite)', () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer({ store: 'memory', overrides: withBigLimits({ trustSameSite: true }) });
  });
  afterAll(async () => server.close());

  it('X-05 same-site passes when configured, cross-site still gets 403', async () => {
    for (const target of TARGETS) {
      const f = await createFixture(server, 'x05-same-site');
      await expectRefused(server, f, target, { 'sec-fetch-site': 'cross-site', 'x-csrf-token': f.csrfToken });
      // Trusting the site never replaces the token.
      await expectRefused(server, f, target, { 'sec-fetch-site': 'same-site' });
      const response = await fire(server, f, target, { 'sec-fetch-site': 'same-site', 'x-csrf-token': f.csrfToken });
      expect(response.status, target.name).toBe(target.ok);
    }
  });
});
