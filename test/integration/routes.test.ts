import { connect } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { secureRandom } from '../../src/core/clock.js';
import { hashPassword } from '../../src/core/password.js';
import { generateId, isSessionId } from '../../src/core/session-token.js';
import { type TestResponse, createBrowser, send } from '../helpers/http.js';
import { type StoreKind, type TestServer, startTestServer } from '../helpers/server.js';
import {
  PASSWORD,
  browserHeaders,
  cookieAttributes,

  hostOf,
  login,
  newUser,
  rawRequest,
  register,
  sessionSetCookie,
  sessionStatus,
  tokenOf,
  uniqueEmail,
  withBigLimits,
} from '../security/support.js';

/**
 * Every route's happy path and error shapes over real HTTP (DESIGN §4). Error bodies are
 * RFC 9457 problem documents with a stable `code`; no test here measures time.
 */

const MINUTE = 60_000;

/** Asserts an RFC 9457 problem response with `status` and `code`. */
function expectProblem(response: TestResponse, status: number, code: string): void {
  expect(response.status, response.text).toBe(status);
  expect(response.headers.get('content-type')).toMatch(/^application\/problem\+json/);
  expect(response.body).toMatchObject({ status, code, type: `urn:tessera:error:${code}` });
  expect(typeof response.body.title).toBe('string');
  expect(typeof response.body.detail).toBe('string');
  expect(response.headers.get('cache-control')).toContain('no-store');
}

describe.each<StoreKind>(['memory', 'sqlite'])('routes (%s store)', (store) => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer({ store, overrides: withBigLimits() });
  });
  afterAll(async () => server.close());

  it('happy path through every route', async () => {
    const email = uniqueEmail('happy');
    const browser = createBrowser(server);
    const registered = await browser.request('POST', '/auth/register', { json: { email, password: PASSWORD } });
    expect(registered.status).toBe(201);
    expect(Object.keys(registered.body.user).sort()).toEqual(['createdAt', 'email', 'id']);
    expect(registered.body.user.email).toBe(email);
    expect(registered.cookies).toEqual([]);
    expect(registered.headers.get('cache-control')).toContain('no-store');

    const signedIn = await browser.request('POST', '/auth/login', { json: { email, password: PASSWORD } });
    expect(signedIn.status).toBe(200);
    expect(signedIn.body.user).toEqual(registered.body.user);
    expect(signedIn.body.session).toMatchObject({ carrier: 'cookie' });
    expect(Object.keys(signedIn.body.session)).toEqual(expect.arrayContaining(['id', 'carrier', 'createdAt', 'lastSeenAt', 'expiresAt', 'idleExpiresAt']));
    expect(typeof signedIn.body.csrfToken).toBe('string');
    expect(browser.cookie).not.toBeNull();

    const me = await browser.request('GET', '/auth/session');
    expect(me.status).toBe(200);
    expect(me.headers.get('cache-control')).toContain('no-store');
    expect(me.body.user).toEqual(registered.body.user);
    expect(me.body.session.id).toBe(signedIn.body.session.id);

    const csrf = await browser.request('GET', '/auth/csrf');
    expect(csrf.status).toBe(200);
    expect(csrf.body).toEqual({ csrfToken: signedIn.body.csrfToken });

    const second = await login(server, email);
    const list = await browser.request('GET', '/auth/sessions');
    expect(list.status).toBe(200);
    expect(list.body.sessions).toHaveLength(2);
    expect(list.body.sessions.filter((s: { current: boolean }) => s.current)).toHaveLength(1);
    for (const response of [csrf, list]) expect(response.headers.get('cache-control')).toContain('no-store');

    expect((await browser.request('POST', '/auth/reauthenticate', { json: { password: PASSWORD } })).status).toBe(204);
    const revoke = await browser.request('DELETE', `/auth/sessions/${second.sessionId}`);
    expect(revoke.status).toBe(204);
    expect(revoke.text).toBe('');
    expect(await sessionStatus(server, second.token)).toBe(401);

    const changed = await browser.request('POST', '/auth/password', { json: { currentPassword: PASSWORD, newPassword: 'happy path new password' } });
    expect(changed.status).toBe(200);
    expect(changed.body.user.id).toBe(registered.body.user.id);
    expect(typeof changed.body.csrfToken).toBe('string');

    const third = await login(server, email, 'happy path new password');
    const all = await third.browser.request('POST', '/auth/logout-all');
    expect(all.status).toBe(204);
    expect(await sessionStatus(server, third.token)).toBe(401);
    expect((await browser.request('GET', '/auth/session')).status).toBe(401);

    const fourth = await login(server, email, 'happy path new password');
    const out = await fourth.browser.request('POST', '/auth/logout');
    expect(out.status).toBe(204);
    expect(fourth.browser.cookie).toBeNull();
    expect(await sessionStatus(server, fourth.token)).toBe(401);
  });

  it('register validation: bad e-mail and short password list both fields; 129 characters is too long', async () => {
    const both = await send(server, 'POST', '/auth/register', { json: { email: 'not-an-email', password: 'seven77' } });
    expectProblem(both, 400, 'validation_failed');
    const fields = (both.body.errors as Array<{ field: string; message: string }>).map((e) => e.field).sort();
    expect(fields).toEqual(['email', 'password']);
    for (const error of both.body.errors) expect(typeof error.message).toBe('string');
    expect(both.text).not.toContain('seven77'); // values are never echoed

    const long = await send(server, 'POST', '/auth/register', { json: { email: uniqueEmail(), password: 'x'.repeat(129) } });
    expectProblem(long, 400, 'validation_failed');
    expect(long.body.errors).toEqual([expect.objectContaining({ field: 'password' })]);

    // The bounds themselves are accepted; length is counted in code points.
    expect((await send(server, 'POST', '/auth/register', { json: { email: uniqueEmail(), password: 'x'.repeat(128) } })).status).toBe(201);
    expect((await send(server, 'POST', '/auth/register', { json: { email: uniqueEmail(), password: '12345678' } })).status).toBe(201);
    expect((await send(server, 'POST', '/auth/register', { json: { email: uniqueEmail(), password: '😀'.repeat(8) } })).status).toBe(201);
    expectProblem(await send(server, 'POST', '/auth/register', { json: { email: uniqueEmail(), password: '😀'.repeat(7) } }), 400, 'validation_failed');

    for (const body of [{}, { email: uniqueEmail() }, { password: PASSWORD }, { email: 5, password: PASSWORD }, { email: uniqueEmail(), password: null }]) {
      const response = await send(server, 'POST', '/auth/register', { json: body });
      expectProblem(response, 400, 'validation_failed');
      expect(Array.isArray(response.body.errors)).toBe(true);
    }
    for (const body of [[], null, 'text', 42]) {
      expectProblem(await send(server, 'POST', '/auth/register', { json: body }), 400, 'validation_failed');
    }
    for (const email of ['a@b', '@example.com', 'a b@example.com', 'a@exa\nmple.com', 'a@exa mple.com', `${'a'.repeat(250)}@example.com`]) {
      expectProblem(await send(server, 'POST', '/auth/register', { json: { email, password: PASSWORD } }), 400, 'validation_failed');
    }
  });

  it('duplicate e-mail (case-insensitive, whitespace-trimmed) gets 409 email_taken', async () => {
    const local = `Dup-${Date.now()}-${Math.random().toString(36).slice(2, 8)}`;
    const first = await send(server, 'POST', '/auth/register', { json: { email: `${local}@Example.COM`, password: PASSWORD } });
    expect(first.status).toBe(201);
    expect(first.body.user.email).toBe(`${local}@example.com`.toLowerCase());
    for (const variant of [`${local}@example.com`, `  ${local.toUpperCase()}@EXAMPLE.com  `, `\t${local.toLowerCase()}@example.com`]) {
      const again = await send(server, 'POST', '/auth/register', { json: { email: variant, password: 'a different password' } });
      expectProblem(again, 409, 'email_taken');
    }
    // The original password still works, under any spelling of the address.
    expect((await send(server, 'POST', '/auth/login', { json: { email: ` ${local.toUpperCase()}@example.com`, password: PASSWORD } })).status).toBe(200);
    expect((await send(server, 'POST', '/auth/login', { json: { email: `${local}@example.com`, password: 'a different password' } })).status).toBe(401);
  });

  it('wrong password and unknown e-mail get the identical answer', async () => {
    const email = uniqueEmail('enum');
    await register(server, email);
    const wrong = await send(server, 'POST', '/auth/login', { json: { email, password: 'wrong password here' } });
    const unknown = await send(server, 'POST', '/auth/login', { json: { email: uniqueEmail('nobody'), password: 'wrong password here' } });
    expectProblem(wrong, 401, 'invalid_credentials');
    expect(unknown.status).toBe(wrong.status);
    expect(JSON.stringify(unknown.body)).toBe(JSON.stringify(wrong.body));
    for (const header of ['content-type', 'cache-control', 'www-authenticate', 'retry-after']) {
      expect(unknown.headers.get(header), header).toBe(wrong.headers.get(header));
    }
    expect(unknown.cookies).toEqual(wrong.cookies);
    // No timing assertion here by design: timing is covered by the shared dummy-hash code path.
  });

  it('unknown fields, malformed JSON, oversized and untyped bodies', async () => {
    const extra = uniqueEmail('extra');
    const unknown = await send(server, 'POST', '/auth/register', { json: { email: extra, password: PASSWORD, admin: true, role: 'admin' } });
    expectProblem(unknown, 400, 'unknown_field');
    expect(unknown.body.errors.map((e: { field: string }) => e.field).sort()).toEqual(['admin', 'role']);
    expect(await server.tessera.stores.users.findUserByEmail(extra)).toBeNull();
    expectProblem(await send(server, 'POST', '/auth/login', { json: { email: extra, password: PASSWORD, remember: true } }), 400, 'unknown_field');

    for (const body of ['{"email": ', '{email: "a"}', "{'a':1}", '{"a":1}}', '\u0000', 'nul']) {
      const response = await send(server, 'POST', '/auth/login', { body, headers: { 'content-type': 'application/json' } });
      expectProblem(response, 400, 'invalid_json');
    }
    expectProblem(await send(server, 'POST', '/auth/login', { body: '{"__proto__": {"admin": true}, "email": "a@b.c", "password": "x"}', headers: { 'content-type': 'application/json' } }), 400, 'invalid_json');

    const big = JSON.stringify({ email: uniqueEmail(), password: 'x'.repeat(17 * 1024) });
    expectProblem(await send(server, 'POST', '/auth/register', { body: big, headers: { 'content-type': 'application/json' } }), 413, 'body_too_large');

    // A body without Content-Type (fetch sets none for a byte array).
    const untyped = await fetch(`${server.url}/auth/login`, { method: 'POST', body: new TextEncoder().encode(JSON.stringify({ email: extra, password: PASSWORD })) });
    const untypedBody = (await untyped.json()) as { code: string };
    expect(untyped.status).toBe(415);
    expect(untypedBody.code).toBe('unsupported_media_type');
    expect(untyped.headers.get('content-type')).toMatch(/^application\/problem\+json/);
  });

  it('cookie errors: duplicate session cookie is 400 malformed_cookie; garbage is 401 invalid_session and cleared', async () => {
    const a = await newUser(server, { tag: 'cookie-errors' });
    const name = server.tessera.cookieNames.session;
    const duplicate = await send(server, 'GET', '/auth/session', { headers: { cookie: `${name}=${a.token}; other=1; ${name}=${a.token}` } });
    expectProblem(duplicate, 400, 'malformed_cookie');

    for (const garbage of ['garbage', `${a.token}x`, a.token.replace('.', '-'), `"${a.token.slice(0, -2)}"`, '']) {
      const response = await send(server, 'GET', '/auth/session', { headers: { cookie: `${name}=${garbage}` } });
      expectProblem(response, 401, 'invalid_session');
      expect(response.headers.get('www-authenticate')).not.toBeNull();
      expect(response.cookies).toHaveLength(1);
      const line = response.cookies[0] as string;
      expect(tokenOf(line)).toBe('');
      expect(cookieAttributes(line).get('max-age')).toBe('0');
      expect(cookieAttributes(line).get('path')).toBe('/');
    }
    // A quoted, valid token is accepted (RFC 6265 cookie-value may be quoted).
    expect((await send(server, 'GET', '/auth/session', { headers: { cookie: `${name}="${a.token}"` } })).status).toBe(200);
    // No cookie at all: 401 unauthenticated, and nothing to clear.
    const none = await send(server, 'GET', '/auth/session');
    expectProblem(none, 401, 'unauthenticated');
    expect(none.cookies).toEqual([]);
  });

  it('unknown routes and methods are problem+json 404', async () => {
    for (const [method, path] of [
      ['GET', '/nope'],
      ['POST', '/auth/nope'],
      ['GET', '/auth/logout'],
      ['PUT', '/auth/session'],
      ['DELETE', '/auth/sessions'],
      ['GET', `/auth/sessions/${'a'.repeat(500)}`],
    ] as const) {
      const response = await send(server, method, path);
      expectProblem(response, 404, 'not_found');
    }
  });

  it('health, readiness and metrics', async () => {
    const health = await send(server, 'GET', '/healthz');
    expect(health.status).toBe(200);
    expect(health.body).toEqual({ status: 'ok' });
    const ready = await send(server, 'GET', '/readyz');
    expect(ready.status).toBe(200);
    expect(ready.body).toEqual({ status: 'ready' });

    await newUser(server, { tag: 'metrics' });
    await send(server, 'POST', '/auth/login', { json: { email: uniqueEmail('metrics-miss'), password: 'nope nope nope' } });
    const metrics = await send(server, 'GET', '/metrics');
    expect(metrics.status).toBe(200);
    expect(metrics.headers.get('content-type')).toMatch(/^text\/plain/);
    for (const name of ['tessera_logins_total', 'tessera_login_failures_total', 'tessera_session_validations_total', 'tessera_http_request_duration_seconds']) {
      expect(metrics.text).toContain(`# TYPE ${name}`);
    }
    expect(metrics.text).toMatch(/tessera_logins_total\{carrier="cookie"\} [1-9]/);
    expect(metrics.text).toMatch(/tessera_login_failures_total\{reason="invalid_credentials"\} [1-9]/);
    expect(metrics.text).toMatch(/tessera_session_validations_total\{result="valid"\} [1-9]/);
  });

  it('oversized headers get 431 problem+json headers_too_large', async () => {
    const response = await rawRequest(
      server,
      `GET /auth/session HTTP/1.1\r\nHost: ${hostOf(server)}\r\nCookie: ${server.tessera.cookieNames.session}=${'a'.repeat(20_000)}\r\nConnection: close\r\n\r\n`,
    );
    expect(response.status).toBe(431);
    expect(response.headers.get('content-type')).toMatch(/^application\/problem\+json/);
    expect(JSON.parse(response.body)).toMatchObject({ status: 431, code: 'headers_too_large' });
    // The server is fine afterwards.
    expect((await send(server, 'GET', '/healthz')).status).toBe(200);
  });

  it('a malformed URL (bad percent-encoding) gets a problem+json 400, like every other error', async () => {
    for (const path of ['/%', '/auth/sessions/%E0%A4%A', '/%zz/session', '/auth/%ff%']) {
      const response = await rawRequest(server, `GET ${path} HTTP/1.1\r\nHost: ${hostOf(server)}\r\nConnection: close\r\n\r\n`);
      expect(response.status, path).toBe(400);
      expect(response.headers.get('content-type'), path).toMatch(/^application\/problem\+json/);
      expect(JSON.parse(response.body)).toMatchObject({ status: 400, code: 'bad_request' });
    }
  });

  it('a cookie value just under the header limit but over 4096 bytes is 400 malformed_cookie', async () => {
    const response = await send(server, 'GET', '/auth/session', { headers: { cookie: `${server.tessera.cookieNames.session}=${'a'.repeat(5000)}` } });
    expectProblem(response, 400, 'malformed_cookie');
  });
});

describe.each<StoreKind>(['memory', 'sqlite'])('store unreachable (%s store)', (store) => {
  it('fails closed: a cached, valid session gets 503 store_unavailable, never 200; readiness says not ready', async () => {
    const server = await startTestServer({ store, overrides: withBigLimits() });
    try {
      const a = await newUser(server, { tag: 'store-down' });
      expect(await sessionStatus(server, a.token)).toBe(200); // validated, so cached
      await server.tessera.stores.close();
      const me = await send(server, 'GET', '/auth/session', { headers: { cookie: `${server.tessera.cookieNames.session}=${a.token}` } });
      expectProblem(me, 503, 'store_unavailable');
      expect(me.cookies).toEqual([]);
      expectProblem(await send(server, 'GET', '/readyz'), 503, 'not_ready');
      expectProblem(await send(server, 'POST', '/auth/login', { json: { email: a.email, password: PASSWORD } }), 503, 'store_unavailable');
      expectProblem(await send(server, 'POST', '/auth/logout', { headers: browserHeaders(server, a.token, a.csrfToken) }), 503, 'store_unavailable');
      expect((await send(server, 'GET', '/healthz')).status).toBe(200); // alive, just not ready
      // The problem details stay generic.
      expect(me.body.detail).not.toMatch(/sqlite|SQLITE|\/tmp\/|tessera\.db/);
    } finally {
      await server.close();
    }
  });
});

describe('rate limits', () => {
  describe('per account', () => {
    let server: TestServer;
    beforeAll(async () => {
      server = await startTestServer({
        store: 'sqlite',
        overrides: withBigLimits({
          rateLimit: {
            loginPerIp: { limit: 1_000_000, windowMs: 15 * MINUTE },
            loginPerAccount: { limit: 10, windowMs: 15 * MINUTE },
            registerPerIp: { limit: 1_000_000, windowMs: 15 * MINUTE },
          },
        }),
      });
    });
    afterAll(async () => server.close());

    it('the 11th attempt on one account gets 429 rate_limited with Retry-After, even with the right password', async () => {
      const email = uniqueEmail('rl-account');
      await register(server, email);
      for (let i = 0; i < 10; i += 1) {
        expectProblem(await send(server, 'POST', '/auth/login', { json: { email, password: `wrong password ${i}` } }), 401, 'invalid_credentials');
      }
      for (const password of ['wrong again please', PASSWORD]) {
        const limited = await send(server, 'POST', '/auth/login', { json: { email: ` ${email.toUpperCase()} `, password } });
        expectProblem(limited, 429, 'rate_limited');
        const retryAfter = Number(limited.headers.get('retry-after'));
        expect(Number.isInteger(retryAfter)).toBe(true);
        expect(retryAfter).toBeGreaterThan(0);
        expect(retryAfter).toBeLessThanOrEqual(15 * 60);
        expect(limited.cookies).toEqual([]);
      }
      // Another account is not affected.
      const other = uniqueEmail('rl-other');
      await register(server, other);
      expect((await send(server, 'POST', '/auth/login', { json: { email: other, password: PASSWORD } })).status).toBe(200);
      // After the window the right password works again.
      server.clock.advance(15 * MINUTE);
      expect((await send(server, 'POST', '/auth/login', { json: { email, password: PASSWORD } })).status).toBe(200);
    });

    it('re-authentication and password-change attempts count against the account limit too', async () => {
      // A stolen session must not become an unlimited password oracle.
      const a = await newUser(server, { tag: 'rl-reauth' });
      for (let i = 0; i < 5; i += 1) {
        expectProblem(await a.browser.request('POST', '/auth/reauthenticate', { json: { password: `guess number ${i}` } }), 401, 'invalid_credentials');
      }
      for (let i = 0; i < 5; i += 1) {
        const response = await a.browser.request('POST', '/auth/password', { json: { currentPassword: `guess number ${i + 5}`, newPassword: 'attacker password 1' } });
        expectProblem(response, 401, 'invalid_credentials');
      }
      const limited = await a.browser.request('POST', '/auth/reauthenticate', { json: { password: PASSWORD } });
      expectProblem(limited, 429, 'rate_limited');
      expect(Number(limited.headers.get('retry-after'))).toBeGreaterThan(0);
      expectProblem(await a.browser.request('POST', '/auth/password', { json: { currentPassword: PASSWORD, newPassword: 'attacker password 1' } }), 429, 'rate_limited');
      expectProblem(await send(server, 'POST', '/auth/login', { json: { email: a.email, password: PASSWORD } }), 429, 'rate_limited');
      // The session itself is untouched, and the password unchanged.
      expect(await sessionStatus(server, a.token)).toBe(200);
      server.clock.advance(15 * MINUTE);
      expect((await send(server, 'POST', '/auth/login', { json: { email: a.email, password: PASSWORD } })).status).toBe(200);
    });

    it('a successful sign-in resets the account counter', async () => {
      const email = uniqueEmail('rl-reset');
      await register(server, email);
      for (let i = 0; i < 9; i += 1) expect((await send(server, 'POST', '/auth/login', { json: { email, password: 'wrong password!' } })).status).toBe(401);
      expect((await send(server, 'POST', '/auth/login', { json: { email, password: PASSWORD } })).status).toBe(200);
      for (let i = 0; i < 9; i += 1) expect((await send(server, 'POST', '/auth/login', { json: { email, password: 'wrong password!' } })).status).toBe(401);
      expect((await send(server, 'POST', '/auth/login', { json: { email, password: PASSWORD } })).status).toBe(200);
    });
  });

  describe('per IP', () => {
    let server: TestServer;
    beforeAll(async () => {
      server = await startTestServer({
        store: 'memory',
        overrides: withBigLimits({
          rateLimit: {
            loginPerIp: { limit: 5, windowMs: 15 * MINUTE },
            loginPerAccount: { limit: 1_000_000, windowMs: 15 * MINUTE },
            registerPerIp: { limit: 3, windowMs: 60 * MINUTE },
          },
        }),
      });
    });
    afterAll(async () => server.close());

    it('login: the 6th attempt from one IP (any accounts) gets 429 with Retry-After', async () => {
      for (let i = 0; i < 5; i += 1) {
        expect((await send(server, 'POST', '/auth/login', { json: { email: uniqueEmail(`ip${i}`), password: 'whatever password' } })).status).toBe(401);
      }
      const limited = await send(server, 'POST', '/auth/login', { json: { email: uniqueEmail('ip-last'), password: 'whatever password' } });
      expectProblem(limited, 429, 'rate_limited');
      expect(Number(limited.headers.get('retry-after'))).toBeGreaterThan(0);
      expect(Number(limited.headers.get('retry-after'))).toBeLessThanOrEqual(15 * 60);
      server.clock.advance(15 * MINUTE);
      expect((await send(server, 'POST', '/auth/login', { json: { email: uniqueEmail('ip-later'), password: 'whatever password' } })).status).toBe(401);
    });

    it('register: the 4th registration from one IP within the hour gets 429', async () => {
      for (let i = 0; i < 3; i += 1) expect((await send(server, 'POST', '/auth/register', { json: { email: uniqueEmail('reg'), password: PASSWORD } })).status).toBe(201);
      const email = uniqueEmail('reg-limited');
      const limited = await send(server, 'POST', '/auth/register', { json: { email, password: PASSWORD } });
      expectProblem(limited, 429, 'rate_limited');
      expect(Number(limited.headers.get('retry-after'))).toBeGreaterThan(0);
      expect(Number(limited.headers.get('retry-after'))).toBeLessThanOrEqual(3600);
      expect(await server.tessera.stores.users.findUserByEmail(email)).toBeNull();
      server.clock.advance(60 * MINUTE);
      expect((await send(server, 'POST', '/auth/register', { json: { email, password: PASSWORD } })).status).toBe(201);
    });
  });
});

describe('password rehash, logs', () => {
  const STRONGER = { memoryCost: 19_456, timeCost: 3, parallelism: 1 };
  const WEAKER = { memoryCost: 19_456, timeCost: 2, parallelism: 1 };
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer({ store: 'sqlite', overrides: withBigLimits({ password: { argon2: STRONGER } }) });
  });
  afterAll(async () => server.close());

  /** Inserts a user whose hash was made with the weaker parameters (as if made before an upgrade). */
  async function insertWeakUser(password: string): Promise<{ id: string; email: string }> {
    const id = generateId(secureRandom);
    const email = uniqueEmail('rehash');
    const passwordHash = await hashPassword(password, WEAKER);
    expect(passwordHash).toContain('t=2');
    expect(await server.tessera.stores.users.createUser({ id, email, passwordHash, createdAt: server.clock.now() })).toBe(true);
    return { id, email };
  }

  it('signing in upgrades a hash made with weaker parameters (and only with the right password)', async () => {
    const weak = await insertWeakUser(PASSWORD);
    expect((await send(server, 'POST', '/auth/login', { json: { email: weak.email, password: 'wrong password!!' } })).status).toBe(401);
    expect((await server.tessera.stores.users.findUserById(weak.id))?.passwordHash).toMatch(/\$argon2id\$v=19\$m=19456,t=2,p=1\$/);

    expect((await send(server, 'POST', '/auth/login', { json: { email: weak.email, password: PASSWORD } })).status).toBe(200);
    const upgraded = (await server.tessera.stores.users.findUserById(weak.id))?.passwordHash;
    expect(upgraded).toMatch(/\$argon2id\$v=19\$m=19456,t=3,p=1\$/);
    expect(server.logs.some((line) => JSON.parse(line).event === 'password_rehashed' && JSON.parse(line).userId === weak.id)).toBe(true);
    // The upgraded hash verifies, and a second sign-in leaves it alone.
    expect((await send(server, 'POST', '/auth/login', { json: { email: weak.email, password: PASSWORD } })).status).toBe(200);
    expect((await server.tessera.stores.users.findUserById(weak.id))?.passwordHash).toBe(upgraded);
  });

  it('a session that predates the rehash can still change the password', async () => {
    // A session opened before the parameters were raised (e.g. before a restart with new
    // argon2 settings; sessions survive restarts in SQLite) is in use while the user signs in
    // on another device, which upgrades the hash. Changing the password from the older session
    // with the right current password must work.
    const weak = await insertWeakUser(PASSWORD);
    const { session, token } = await server.tessera.sessions.createSession(weak.id, 'cookie', { ip: null, userAgent: null });
    expect(await sessionStatus(server, token)).toBe(200);
    expect((await send(server, 'POST', '/auth/login', { json: { email: weak.email, password: PASSWORD } })).status).toBe(200);
    expect((await server.tessera.stores.users.findUserById(weak.id))?.passwordHash).toContain('t=3');

    const changed = await send(server, 'POST', '/auth/password', {
      headers: browserHeaders(server, token, server.tessera.csrfTokenFor(session.id)),
      json: { currentPassword: PASSWORD, newPassword: 'changed after rehash' },
    });
    expect(changed.status, changed.text).toBe(200);
    expect((await send(server, 'POST', '/auth/login', { json: { email: weak.email, password: 'changed after rehash' } })).status).toBe(200);
  });

  it('logs one JSON line per auth event with ids, never the password or the token', async () => {
    const password = `log-secret-${Math.random().toString(36).slice(2)}-passphrase`;
    const a = await newUser(server, { tag: 'logs', password });
    const failed = await send(server, 'POST', '/auth/login', { json: { email: a.email, password: `${password}-wrong` } });
    expect(failed.status).toBe(401);
    const second = await login(server, a.email, password);
    const out = await send(server, 'POST', '/auth/logout', { headers: browserHeaders(server, a.token, a.csrfToken) });
    expect(out.status).toBe(204);
    const changed = await second.browser.request('POST', '/auth/password', { json: { currentPassword: password, newPassword: `${password}-new` } });
    expect(changed.status).toBe(200);
    const changedToken = tokenOf(sessionSetCookie(changed, server.tessera.cookieNames.session) as string);

    const lines = server.logs.map((line) => JSON.parse(line) as Record<string, unknown>);
    const logins = lines.filter((l) => l.event === 'login' && l.userId === a.userId);
    expect(logins.map((l) => l.sessionId).sort()).toEqual([a.sessionId, second.sessionId].sort());
    const logouts = lines.filter((l) => l.event === 'logout' && l.userId === a.userId);
    expect(logouts).toHaveLength(1);
    expect(logouts[0]?.sessionId).toBe(a.sessionId);
    const failures = lines.filter((l) => l.event === 'login_failed' && l.reason === 'invalid_credentials');
    expect(failures.length).toBeGreaterThanOrEqual(1);
    expect(lines.some((l) => l.event === 'password_changed' && l.userId === a.userId && l.sessionId === changed.body.session.id)).toBe(true);

    const secrets = [password, `${password}-wrong`, `${password}-new`, a.token, second.token, changedToken];
    for (const token of [a.token, second.token, changedToken]) secrets.push(token.split('.')[1] as string);
    for (const line of server.logs) {
      for (const secret of secrets) expect(line).not.toContain(secret);
    }
  });
});

describe('graceful close', () => {
  it('an in-flight sign-in completes with 200 while the server closes', async () => {
    const server = await startTestServer({ store: 'sqlite', overrides: withBigLimits() });
    let closing: Promise<void> | null = null;
    try {
      const email = uniqueEmail('close');
      await register(server, email);
      // Close as soon as the login request has arrived (its argon2 work is still ahead).
      server.app.server.once('request', () => {
        closing = server.close();
      });
      const response = await send(server, 'POST', '/auth/login', { json: { email, password: PASSWORD } });
      expect(closing).not.toBeNull();
      expect(response.status).toBe(200);
      expect(sessionSetCookie(response, server.tessera.cookieNames.session)).toBeDefined();
      // The session was really created before the stores closed.
      expect(isSessionId(response.body.session.id)).toBe(true);
    } finally {
      // (That close() itself finishes is the next test's job.)
      server.app.server.closeAllConnections();
      await (closing ?? server.close());
    }
  });

  it('after answering a request that was in flight at close(), the server ends the connection so close() can finish', async () => {
    // Deterministic version of the race above: the request is held in flight (half its body
    // sent) until the listener has really stopped, then completed. A keep-alive connection the
    // server leaves open would hold close() for the keep-alive timeout (72 s in Fastify), past
    // any orchestrator's grace period. The 10 s watchdog is a liveness bound, not a timing
    // measurement.
    const server = await startTestServer({ store: 'sqlite', overrides: withBigLimits() });
    let closing: Promise<void> | null = null;
    let watchdog: NodeJS.Timeout | undefined;
    try {
      const email = uniqueEmail('close-raw');
      await register(server, email);
      const body = JSON.stringify({ email, password: PASSWORD });
      const half = Math.floor(body.length / 2);
      const url = new URL(server.url);
      const socket = connect(Number(url.port), url.hostname);
      const chunks: Buffer[] = [];
      let ended = false;
      const endedPromise = new Promise<'ended'>((resolve) => {
        socket.on('end', () => resolve('ended'));
        socket.on('close', () => resolve('ended'));
      });
      socket.on('error', () => undefined);
      socket.on('end', () => {
        ended = true;
      });
      const responseText = new Promise<string>((resolve) => {
        socket.on('data', (chunk: Buffer) => {
          chunks.push(chunk);
          const text = Buffer.concat(chunks).toString('utf8');
          const headEnd = text.indexOf('\r\n\r\n');
          const length = /content-length: *(\d+)/i.exec(text);
          if (headEnd !== -1 && length && Buffer.byteLength(text) >= headEnd + 4 + Number(length[1])) resolve(text);
        });
      });
      const arrived = new Promise<void>((resolve) => server.app.server.once('request', () => resolve()));
      socket.write(
        `POST /auth/login HTTP/1.1\r\nHost: ${url.host}\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\n\r\n${body.slice(0, half)}`,
      );
      await arrived;
      closing = server.close();
      for (let i = 0; i < 10_000 && server.app.server.listening; i += 1) await new Promise((resolve) => setImmediate(resolve));
      expect(server.app.server.listening).toBe(false);
      socket.write(body.slice(half));
      const text = await responseText;
      expect(text.startsWith('HTTP/1.1 200')).toBe(true);

      const outcome = await Promise.race([
        endedPromise,
        new Promise<'still open'>((resolve) => {
          watchdog = setTimeout(() => resolve('still open'), 10_000);
        }),
      ]);
      expect(outcome, 'the server kept the answered connection open while closing').toBe('ended');
      expect(ended || socket.destroyed).toBe(true);
      await closing;
      // Closed for good: new connections are refused.
      await expect(fetch(`${server.url}/healthz`)).rejects.toThrow();
    } finally {
      clearTimeout(watchdog);
      // Let a failing run finish at once instead of waiting out the keep-alive timeout.
      server.app.server.closeAllConnections();
      await (closing ?? server.close());
    }
  }, 20_000);

  it('a request that arrives on an open connection while the server drains gets a problem+json 503', async () => {
    const server = await startTestServer({ store: 'sqlite', overrides: withBigLimits() });
    let closing: Promise<void> | null = null;
    try {
      const email = uniqueEmail('drain');
      await register(server, email);
      const body = JSON.stringify({ email, password: PASSWORD });
      const half = Math.floor(body.length / 2);
      const url = new URL(server.url);
      const socket = connect(Number(url.port), url.hostname);
      const chunks: Buffer[] = [];
      socket.on('error', () => undefined);
      const bothAnswered = new Promise<string>((resolve) => {
        const done = (): void => resolve(Buffer.concat(chunks).toString('utf8'));
        // Both answers are complete when the server closes the connection (the 503 says so).
        socket.on('data', (chunk: Buffer) => chunks.push(chunk));
        socket.on('end', done);
        socket.on('close', done);
      });
      const arrived = new Promise<void>((resolve) => server.app.server.once('request', () => resolve()));
      socket.write(`POST /auth/login HTTP/1.1\r\nHost: ${url.host}\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\n\r\n${body.slice(0, half)}`);
      await arrived;
      closing = server.close();
      for (let i = 0; i < 10_000 && server.app.server.listening; i += 1) await new Promise((resolve) => setImmediate(resolve));
      // The rest of the login body, and a second (pipelined) request on the same connection.
      socket.write(`${body.slice(half)}GET /auth/session HTTP/1.1\r\nHost: ${url.host}\r\n\r\n`);
      const text = await bothAnswered;
      const second = text.slice(text.indexOf('HTTP/1.1', 1));
      expect(text.startsWith('HTTP/1.1 200')).toBe(true);
      expect(second.startsWith('HTTP/1.1 503')).toBe(true);
      expect(second).toMatch(/\r\ncontent-type: application\/problem\+json/i);
      await closing;
    } finally {
      server.app.server.closeAllConnections();
      await (closing ?? server.close());
    }
  }, 20_000);
});
