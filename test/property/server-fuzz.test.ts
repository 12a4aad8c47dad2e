import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type TestServer, startTestServer } from '../helpers/server.js';

/** Paths of the hosted HTML pages (src/server/pages), which answer errors as pages. */
const HOSTED_PAGE = /^\/(login|register|account|playground)(\/|$)/;
import { PASSWORD, type RawResponse, hostOf, rawRequest, register, uniqueEmail, withBigLimits } from '../security/support.js';

/**
 * Property tests against a real server: whatever arrives — random cookies, random browser and
 * credential headers, random bodies and content types, on every route and method — the answer
 * is never a 5xx, every 4xx is an RFC 9457 problem document, and the server keeps answering.
 * Requests are written to a raw socket so that header bytes fetch would refuse can be sent.
 */

const RUNS = 200;

const ROUTES = [
  '/auth/register',
  '/auth/login',
  '/auth/logout',
  '/auth/logout-all',
  '/auth/session',
  '/auth/sessions',
  '/auth/sessions/AAAAAAAAAAAAAAAAAAAAAAAAAA',
  '/auth/csrf',
  '/auth/password',
  '/auth/reauthenticate',
  '/auth/refresh',
  '/auth/verify',
  '/auth/introspect',
  '/auth/revoke',
  '/.well-known/jwks.json',
  '/healthz',
  '/readyz',
  '/nope',
] as const;
const METHODS = ['GET', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS'] as const;
const COOKIE_NAMES = ['tessera_session', 'tessera_access', 'tessera_refresh', '__Host-tessera_session', 'csrf', 'x'] as const;

/** Header-value characters that can travel on the wire without breaking the framing (no CR, LF, NUL). */
const headerChar = fc.oneof(
  { weight: 8, arbitrary: fc.integer({ min: 0x20, max: 0x7e }).map((c) => String.fromCharCode(c)) },
  { weight: 1, arbitrary: fc.integer({ min: 0x80, max: 0xff }).map((c) => String.fromCharCode(c)) },
  { weight: 1, arbitrary: fc.constantFrom('\t', '\u0001', '\u001f', '\u007f') },
);
const headerValue = (maxLength = 200): fc.Arbitrary<string> => fc.string({ unit: headerChar, maxLength });
const base64urlChar = fc.constantFrom(...'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_'.split(''));
const base64url = (min: number, max: number): fc.Arbitrary<string> => fc.string({ unit: base64urlChar, minLength: min, maxLength: max });

describe('server fuzzing', () => {
  let server: TestServer;
  let userId: string;
  let publicUrl: string;
  let failures: string[];

  beforeAll(async () => {
    server = await startTestServer({ store: 'memory', overrides: withBigLimits() });
    publicUrl = server.tessera.config.publicUrl;
    userId = await register(server, uniqueEmail('fuzz'));
  });
  afterAll(async () => server.close());

  /** A fresh, valid session (made directly: no argon2 per run) so fuzzing reaches authenticated code. */
  async function freshSession(): Promise<{ token: string; csrf: string; sessionId: string }> {
    const { session, token } = await server.tessera.sessions.createSession(userId, 'cookie', { ip: null, userAgent: null });
    return { token, csrf: server.tessera.csrfTokenFor(session.id), sessionId: session.id };
  }

  /** Builds and sends one request; the body gets a correct Content-Length. */
  async function fire(method: string, path: string, headers: Array<[string, string]>, body?: Buffer): Promise<RawResponse> {
    const lines = [`${method} ${path} HTTP/1.1`, `Host: ${hostOf(server)}`, 'Connection: close'];
    for (const [name, value] of headers) lines.push(`${name}: ${value}`);
    if (body !== undefined) lines.push(`Content-Length: ${body.length}`);
    const head = Buffer.from(`${lines.join('\r\n')}\r\n\r\n`, 'latin1');
    return rawRequest(server, body === undefined ? head : Buffer.concat([head, body]));
  }

  /**
   * The invariant every response must hold. The hosted pages (`/login`, `/register`,
   * `/account…`, `/playground`) answer a bad form with their HTML page and a 4xx, by design;
   * `path` lets those through as long as they are HTML and never a 5xx.
   */
  function check(response: RawResponse, context: () => string, path?: string): void {
    if (response.status >= 500 || response.status < 100 || Number.isNaN(response.status)) {
      failures.push(`${response.status} for ${context()}: ${response.body.slice(0, 300)}`);
    }
    expect(response.status, context()).toBeLessThan(500);
    const hostedPage = path !== undefined && HOSTED_PAGE.test(path.split('?', 1)[0] as string);
    if (response.status >= 400 && hostedPage && response.headers.get('content-type')?.startsWith('text/html')) {
      expect(response.body, context()).toMatch(/^<!doctype html>/);
    } else if (response.status >= 400) {
      expect(response.headers.get('content-type'), context()).toMatch(/^application\/problem\+json/);
      const problem = JSON.parse(response.body) as { status: number; code: unknown; type: unknown };
      expect(problem.status, context()).toBe(response.status);
      expect(typeof problem.code, context()).toBe('string');
      expect(typeof problem.type, context()).toBe('string');
    }
  }

  async function expectHealthy(): Promise<void> {
    const health = await fire('GET', '/healthz', []);
    expect(health.status).toBe(200);
    expect(JSON.parse(health.body)).toEqual({ status: 'ok' });
  }

  it('random Cookie headers never cause a 5xx', async () => {
    failures = [];
    const cookiePiece = fc.oneof(
      fc.tuple(fc.constantFrom(...COOKIE_NAMES), headerValue(100)).map(([n, v]) => `${n}=${v}`),
      fc.tuple(fc.constantFrom(...COOKIE_NAMES), fc.tuple(base64url(20, 30), base64url(40, 46)).map(([a, b]) => `${a}.${b}`)).map(([n, v]) => `${n}=${v}`),
      fc.tuple(fc.constantFrom(...COOKIE_NAMES), fc.string({ unit: headerChar, minLength: 4000, maxLength: 9000 })).map(([n, v]) => `${n}=${v}`),
      fc.constantFrom('', ';', ';;;;;;;;', '=', '==', '"', '""', 'tessera_session', 'tessera_session="', 'tessera_session=""'),
      headerValue(50),
      fc.constant('VALID'),
    );
    await fc.assert(
      fc.asyncProperty(
        fc.array(cookiePiece, { minLength: 1, maxLength: 8 }),
        fc.constantFrom('; ', ';', ' ; ', ';;', ''),
        fc.constantFrom(...METHODS),
        fc.constantFrom(...ROUTES),
        fc.boolean(),
        async (pieces, separator, method, path, sameOrigin) => {
          const session = await freshSession();
          const cookie = pieces.map((p) => (p === 'VALID' ? `tessera_session=${session.token}` : p)).join(separator);
          const headers: Array<[string, string]> = [['Cookie', cookie]];
          if (sameOrigin) headers.push(['Sec-Fetch-Site', 'same-origin'], ['X-CSRF-Token', session.csrf]);
          const response = await fire(method, path, headers);
          check(response, () => `${method} ${path} Cookie: ${JSON.stringify(cookie.slice(0, 200))}`);
        },
      ),
      { numRuns: RUNS },
    );
    expect(failures).toEqual([]);
    await expectHealthy();
  });

  it('random Origin, Sec-Fetch-Site, X-CSRF-Token and Authorization values never cause a 5xx', async () => {
    failures = [];
    const origin = fc.oneof(headerValue(80), fc.constantFrom('null', publicUrl, `${publicUrl}.attacker.com`, `${publicUrl}/`, 'http://[::1', 'http://%zz'));
    const site = fc.oneof(headerValue(30), fc.constantFrom('same-origin', 'same-site', 'cross-site', 'none', 'same-origin, same-origin'));
    const csrf = fc.oneof(headerValue(60), base64url(43, 43), fc.constant('VALID'));
    const authorization = fc.oneof(
      headerValue(200),
      fc.tuple(fc.constantFrom('Bearer ', 'bearer ', 'Bearer  ', 'Basic ', 'Bearer\t', ''), fc.oneof(headerValue(300), fc.tuple(base64url(0, 60), base64url(0, 200), base64url(0, 100)).map((parts) => parts.join('.')))).map(([scheme, token]) => scheme + token),
      fc.constantFrom('Bearer', 'Bearer ', 'Bearer a.b.c', 'Bearer ..', `Bearer ${'A'.repeat(9000)}`, 'Bearer e30.e30.', 'Basic Zm9vOmJhcg=='),
    );
    const maybe = <T>(arb: fc.Arbitrary<T>): fc.Arbitrary<T | null> => fc.option(arb, { nil: null });
    await fc.assert(
      fc.asyncProperty(
        fc.record({
          origin: maybe(origin),
          site: maybe(site),
          csrf: maybe(csrf),
          authorization: maybe(authorization),
          referer: maybe(fc.oneof(headerValue(80), fc.constantFrom(`${publicUrl}/page`, 'about:blank'))),
          withCookie: fc.boolean(),
          duplicateSite: fc.boolean(),
        }),
        fc.constantFrom(...METHODS),
        fc.constantFrom(...ROUTES),
        async (h, method, path) => {
          const session = await freshSession();
          const headers: Array<[string, string]> = [];
          if (h.withCookie) headers.push(['Cookie', `tessera_session=${session.token}`]);
          if (h.origin !== null) headers.push(['Origin', h.origin]);
          if (h.site !== null) {
            headers.push(['Sec-Fetch-Site', h.site]);
            if (h.duplicateSite) headers.push(['Sec-Fetch-Site', 'same-origin']);
          }
          if (h.csrf !== null) headers.push(['X-CSRF-Token', h.csrf === 'VALID' ? session.csrf : h.csrf]);
          if (h.authorization !== null) headers.push(['Authorization', h.authorization]);
          if (h.referer !== null) headers.push(['Referer', h.referer]);
          const response = await fire(method, path, headers);
          check(response, () => `${method} ${path} ${JSON.stringify(headers).slice(0, 400)}`);
        },
      ),
      { numRuns: RUNS },
    );
    expect(failures).toEqual([]);
    await expectHealthy();
  });

  it('random JSON and non-JSON bodies to every route and method never cause a 5xx', async () => {
    failures = [];
    const fieldNames = fc.constantFrom('email', 'password', 'carrier', 'currentPassword', 'newPassword', 'refresh_token', 'token', 'token_type_hint', '__proto__', 'constructor', '_csrf', '');
    const fieldValue = fc.oneof(
      fc.string({ maxLength: 40 }),
      fc.constantFrom(PASSWORD, 'cookie', 'bearer', 'hybrid', 'a@b.co', 'x'.repeat(200), '😀'.repeat(10), '\ud800', ''),
      fc.integer(),
      fc.boolean(),
      fc.constant(null),
      fc.array(fc.string({ maxLength: 5 }), { maxLength: 3 }),
      fc.dictionary(fc.string({ maxLength: 5 }), fc.string({ maxLength: 5 }), { maxKeys: 3 }),
    );
    const jsonBody = fc.oneof(
      fc.dictionary(fieldNames, fieldValue, { maxKeys: 4 }).map((value) => JSON.stringify(value)),
      fc.json({ maxDepth: 4 }),
      fc.constantFrom('{"__proto__":{"x":1}}', '{"constructor":{"prototype":{"x":1}}}', '[]', 'null', '"x"', '1e999', '{"a":1,"a":2}', '['.repeat(5000), `{"email":"${'a'.repeat(15000)}"}`),
    );
    const rawBody = fc.oneof(
      fc.uint8Array({ maxLength: 300 }).map((bytes) => Buffer.from(bytes)),
      fc.string({ maxLength: 200 }).map((text) => Buffer.from(text, 'utf8')),
      fc.constant(Buffer.alloc(17 * 1024, 0x61)),
      fc.constant(Buffer.alloc(0)),
    );
    const contentType = fc.oneof(
      fc.constantFrom(
        null,
        'application/json',
        'application/json; charset=utf-8',
        'application/json; charset=latin1',
        'APPLICATION/JSON',
        'application/json;',
        'application/jsonx',
        'application/problem+json',
        'text/plain',
        'text/plain;charset=UTF-8',
        'application/x-www-form-urlencoded',
        'multipart/form-data; boundary=x',
        'multipart/form-data',
        ';',
        '',
        '*/*',
      ),
      headerValue(40),
    );
    await fc.assert(
      fc.asyncProperty(
        fc.oneof(jsonBody.map((text) => Buffer.from(text, 'utf8')), rawBody),
        contentType,
        fc.constantFrom(...METHODS),
        fc.constantFrom(...ROUTES),
        fc.boolean(),
        async (body, type, method, path, authenticated) => {
          const headers: Array<[string, string]> = [];
          if (type !== null) headers.push(['Content-Type', type]);
          if (authenticated) {
            const session = await freshSession();
            headers.push(['Cookie', `tessera_session=${session.token}`], ['Sec-Fetch-Site', 'same-origin'], ['X-CSRF-Token', session.csrf]);
          }
          const response = await fire(method, path, headers, body);
          check(response, () => `${method} ${path} type=${JSON.stringify(type)} body=${JSON.stringify(body.toString('latin1').slice(0, 200))}`);
        },
      ),
      { numRuns: RUNS },
    );
    expect(failures).toEqual([]);
    await expectHealthy();
  });

  it('random paths and query strings never cause a 5xx', async () => {
    failures = [];
    const segment = fc.oneof(
      fc.constantFrom('auth', 'sessions', 'session', 'login', '..', '.', '%2e%2e', '%00', '%ff', '%', '%zz', '%2F', 'AAAAAAAAAAAAAAAAAAAAAAAAAA', '', ';', 'a'.repeat(300)),
      fc.string({ unit: fc.constantFrom(...'abcXYZ019-._~%!$&\'()*+,;=:@'.split('')), maxLength: 30 }),
    );
    await fc.assert(
      fc.asyncProperty(
        fc.array(segment, { minLength: 1, maxLength: 5 }),
        fc.option(fc.string({ unit: fc.constantFrom(...'abc=&%?+#19_'.split('')), maxLength: 40 }), { nil: null }),
        fc.constantFrom(...METHODS),
        async (segments, query, method) => {
          const path = `/${segments.join('/')}${query === null ? '' : `?${query}`}`;
          const response = await fire(method, path, []);
          check(response, () => `${method} ${path}`, path);
        },
      ),
      { numRuns: RUNS },
    );
    expect(failures).toEqual([]);
    await expectHealthy();
  });

  it('no request failed with an internal error in the log', () => {
    const internal = server.logs.filter((line) => /"level":50/.test(line));
    expect(internal).toEqual([]);
  });
});
