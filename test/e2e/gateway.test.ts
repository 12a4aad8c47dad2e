import { createHmac, createPrivateKey, createPublicKey, randomBytes, sign } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { type Server, createServer } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GATEWAY_EXAMPLE_DIR, type RunningNginx, startNginx } from '../support/nginx.js';
import {
  type ManagedProcess,
  type TesseraNode,
  freePort,
  pollUntil,
  requireBuild,
  startNodeScript,
  startTesseraNode,
  stopAll,
} from '../support/processes.js';

/**
 * The gateway example (examples/gateway/) through a real nginx: Tessera (one node, SQLite),
 * the headers service (trusts X-Auth-*), the token service (verifies X-Auth-Token with
 * tessera/verifier), and the example's own nginx config. Checklist G-01…G-04.
 */

const PASSWORD = 'correct horse battery staple';
const CLIENT_ID = 'token-service';
const CLIENT_SECRET = randomBytes(32).toString('base64url');
const SECRET = randomBytes(32).toString('base64url');

interface Reply {
  readonly status: number;
  readonly headers: Headers;
  readonly text: string;
  readonly json: any;
}

let dataDir: string;
let tesseraPort: number;
let tesseraEnv: Record<string, string>;
let tessera: TesseraNode | undefined;
let headersService: (ManagedProcess & { url: string }) | undefined;
let tokenService: (ManagedProcess & { url: string }) | undefined;
let nginx: RunningNginx | undefined;
let gateway: string;

/** A user signed in twice through the gateway: once as a browser (cookie), once as an app (bearer). */
interface GatewayUser {
  readonly userId: string;
  readonly cookie: string;
  readonly csrfToken: string;
  readonly accessToken: string;
}
let alice: GatewayUser;
let bob: GatewayUser;

async function call(url: string, init: { method?: string; headers?: Record<string, string>; body?: string } = {}): Promise<Reply> {
  const response = await fetch(url, { method: init.method ?? 'GET', headers: init.headers, body: init.body, redirect: 'manual' });
  const text = await response.text();
  let json: unknown = null;
  if ((response.headers.get('content-type') ?? '').includes('json') && text.length > 0) json = JSON.parse(text);
  return { status: response.status, headers: response.headers, text, json };
}

function viaGateway(path: string, init: { method?: string; headers?: Record<string, string>; body?: string } = {}): Promise<Reply> {
  return call(gateway + path, init);
}

/** How many requests each service has handled (asked directly, not through the gateway). */
async function serviceCounts(): Promise<{ headers: number; token: number }> {
  const [h, t] = await Promise.all([call(`${headersService!.url}/__stats`), call(`${tokenService!.url}/__stats`)]);
  return { headers: h.json.requests as number, token: t.json.requests as number };
}

async function signUp(email: string): Promise<GatewayUser> {
  const json = { 'content-type': 'application/json' };
  const registered = await viaGateway('/auth/register', { method: 'POST', headers: json, body: JSON.stringify({ email, password: PASSWORD }) });
  expect(registered.status, registered.text).toBe(201);
  const browser = await viaGateway('/auth/login', {
    method: 'POST',
    headers: { ...json, 'sec-fetch-site': 'same-origin' },
    body: JSON.stringify({ email, password: PASSWORD }),
  });
  expect(browser.status, browser.text).toBe(200);
  const setCookie = browser.headers.getSetCookie().find((line) => line.includes('session='));
  expect(setCookie).toBeDefined();
  const app = await viaGateway('/auth/login', { method: 'POST', headers: json, body: JSON.stringify({ email, password: PASSWORD, carrier: 'bearer' }) });
  expect(app.status, app.text).toBe(200);
  return {
    userId: registered.json.user.id,
    cookie: (setCookie as string).split(';')[0] as string,
    csrfToken: browser.json.csrfToken,
    accessToken: app.json.access_token,
  };
}

/** What a same-origin browser sends for an unsafe request. */
function browserPost(user: GatewayUser): Record<string, string> {
  return { cookie: user.cookie, 'sec-fetch-site': 'same-origin', 'x-csrf-token': user.csrfToken };
}

function bearer(token: string): Record<string, string> {
  return { authorization: `Bearer ${token}` };
}

/** The locations of the example config that front a service (they include protected.conf). */
function protectedLocations(): string[] {
  const template = readFileSync(join(GATEWAY_EXAMPLE_DIR, 'nginx.conf.template'), 'utf8');
  const blocks = [...template.matchAll(/^\s*location\s+(=\s*)?(\S+)\s*\{([^}]*)\}/gm)];
  const locations: string[] = [];
  for (const [, , path, body] of blocks) {
    const upstream = /proxy_pass\s+http:\/\/(\w+)/.exec(body as string)?.[1];
    const isProtected = /^\s*include\s+protected\.conf;/m.test(body as string);
    // Every location that reaches a service (anything but Tessera itself) must be protected.
    if (upstream !== undefined && upstream !== 'tessera') {
      expect(isProtected, `location ${path} proxies to ${upstream} without include protected.conf`).toBe(true);
    }
    if (isProtected) locations.push(path as string);
  }
  return locations;
}

/** Paths under each protected location. */
function protectedPaths(): string[] {
  return protectedLocations().flatMap((location) => [location, `${location}deep/path?x=1`, `${location}a%2fb`, `${location}./x/../y`]);
}

/** Paths that try to step out of a protected location with dots and encodings. */
function traversalPaths(): string[] {
  return protectedLocations().flatMap((location) => [`${location}..%2f..%2fauth%2fverify`, `${location}%2e%2e/`, `${location}%2e%2e%2f_auth`, `${location}..;/x`]);
}

const b64 = (value: unknown): string => Buffer.from(typeof value === 'string' ? value : JSON.stringify(value)).toString('base64url');
const segments = (token: string): [string, string, string] => token.split('.') as [string, string, string];
const decode = (segment: string): Record<string, any> => JSON.parse(Buffer.from(segment, 'base64url').toString('utf8'));

/** The current signing key, read from the SQLite store (private keys are unencrypted here). */
function currentSigningKey(): { kid: string; alg: string; privateJwk: string } {
  const db = new Database(join(dataDir, 'tessera.db'), { readonly: true, fileMustExist: true });
  try {
    const row = db.prepare('SELECT kid, alg, private_jwk FROM signing_keys WHERE activates_at <= ? ORDER BY activates_at DESC LIMIT 1').get(Date.now()) as
      | { kid: string; alg: string; private_jwk: string }
      | undefined;
    if (!row) throw new Error('no signing key in the store');
    return { kid: row.kid, alg: row.alg, privateJwk: row.private_jwk };
  } finally {
    db.close();
  }
}

/** Signs `claims` with Tessera's real ES256 key, exactly as Tessera would (header and all). */
function signWithRealKey(claims: Record<string, unknown>): string {
  const key = currentSigningKey();
  expect(key.alg).toBe('ES256');
  const input = `${b64({ alg: key.alg, kid: key.kid, typ: 'at+jwt' })}.${b64(claims)}`;
  const privateKey = createPrivateKey({ key: JSON.parse(key.privateJwk), format: 'jwk' });
  const signature = sign('sha256', Buffer.from(input), { key: privateKey, dsaEncoding: 'ieee-p1363' });
  return `${input}.${signature.toString('base64url')}`;
}

async function startTessera(): Promise<void> {
  tessera = await startTesseraNode({ name: 'tessera', port: tesseraPort, env: tesseraEnv });
}

beforeAll(async () => {
  requireBuild();
  dataDir = mkdtempSync(join(tmpdir(), 'tessera-gateway-e2e-'));
  const [gatewayPort, port] = await Promise.all([freePort(), freePort()]);
  tesseraPort = port;
  gateway = `http://127.0.0.1:${gatewayPort}`;
  tesseraEnv = {
    TESSERA_DATA_DIR: dataDir,
    TESSERA_PUBLIC_URL: gateway,
    TESSERA_TRUST_PROXY: 'true',
    TESSERA_SECRET: SECRET,
    TESSERA_CLIENTS: `${CLIENT_ID}:${CLIENT_SECRET}`,
  };
  await startTessera();
  [headersService, tokenService] = await Promise.all([
    startNodeScript({ name: 'headers-service', script: join(GATEWAY_EXAMPLE_DIR, 'services/headers-service.mjs'), env: { PORT: '0' } }),
    startNodeScript({
      name: 'token-service',
      script: join(GATEWAY_EXAMPLE_DIR, 'services/token-service.mjs'),
      env: { PORT: '0', TESSERA_URL: tessera!.url, TESSERA_ISSUER: gateway, TESSERA_CLIENT_ID: CLIENT_ID, TESSERA_CLIENT_SECRET: CLIENT_SECRET },
    }),
  ]);
  await tokenService!.waitForOutput(/verifier ready/, 15_000);
  nginx = await startNginx({
    listenPort: gatewayPort,
    tessera: [`127.0.0.1:${tesseraPort}`],
    headersService: new URL(headersService!.url).host,
    tokenService: new URL(tokenService!.url).host,
  });
  alice = await signUp(`alice-${randomBytes(4).toString('hex')}@example.com`);
  bob = await signUp(`bob-${randomBytes(4).toString('hex')}@example.com`);
}, 60_000);

afterAll(async () => {
  await nginx?.stop();
  await stopAll([headersService, tokenService, tessera]);
  if (dataDir) rmSync(dataDir, { recursive: true, force: true });
});

describe('gateway example through nginx', () => {
  it('lets the real credentials through to both services, with the identity Tessera vouched for', async () => {
    const viaCookie = await viaGateway('/headers/hello', { headers: { cookie: alice.cookie } });
    expect(viaCookie.status, viaCookie.text).toBe(200);
    expect(viaCookie.json).toMatchObject({ service: 'headers', userId: alice.userId, carrier: 'cookie' });

    const viaToken = await viaGateway('/token/hello', { headers: bearer(alice.accessToken) });
    expect(viaToken.status, viaToken.text).toBe(200);
    expect(viaToken.json).toMatchObject({ service: 'token', userId: alice.userId });
    // The service verified the gateway's internal token, not the user's own access token.
    expect(viaToken.json.claims.aud).toBe('tessera-internal');
    expect(viaToken.json.claims.iss).toBe(gateway);

    // A cookie user reaches the token-only service too: that is what X-Auth-Token is for.
    const cookieToToken = await viaGateway('/token/hello', { headers: { cookie: alice.cookie } });
    expect(cookieToToken.status, cookieToToken.text).toBe(200);
    expect(cookieToToken.json.userId).toBe(alice.userId);
  });

  it('G-01: every protected location answers 401 without a credential, and no service is reached', async () => {
    const paths = protectedPaths();
    expect(protectedLocations().sort()).toEqual(['/headers/', '/token/']);
    const before = await serviceCounts();
    for (const path of paths) {
      for (const method of ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS']) {
        const reply = await viaGateway(path, { method, ...(method === 'POST' || method === 'PUT' ? { body: '{}', headers: { 'content-type': 'application/json' } } : {}) });
        expect(reply.status, `${method} ${path}`).toBe(401);
        if (method !== 'HEAD') expect(reply.json?.code, `${method} ${path}`).toBe('unauthenticated');
        expect(reply.text).not.toContain('"service"');
      }
    }
    // Dots and encodings never lead around the check (whatever nginx makes of them).
    for (const path of traversalPaths()) {
      const reply = await viaGateway(path, { headers: {} });
      expect(reply.status, path).toBeGreaterThanOrEqual(400);
      expect(reply.text).not.toContain('"service"');
    }
    // The sub-request location cannot be called from outside, and unknown paths reach nothing.
    expect((await viaGateway('/_auth', { headers: { cookie: alice.cookie } })).status).toBe(404);
    expect((await viaGateway('/admin', { headers: { cookie: alice.cookie } })).status).toBe(404);
    // Forward-auth itself is not reachable from outside: its answer carries an internal token.
    for (const path of ['/auth/verify', '/auth/verify?x=1', '/auth//verify', '/auth/%76erify', '/auth/./verify', '/auth/x/../verify', '/auth/verify/', '/auth/VERIFY']) {
      const verify = await viaGateway(path, { headers: { cookie: alice.cookie } });
      expect(verify.status, path).toBe(404);
      expect(verify.headers.get('x-auth-token'), path).toBeNull();
    }
    // Without the slash nginx only redirects to the protected location; it proxies nothing.
    const bare = await viaGateway('/headers', { headers: { cookie: alice.cookie } });
    expect(bare.status).toBe(301);
    expect(bare.headers.get('location')).toMatch(/\/headers\/$/);
    expect(await serviceCounts()).toEqual(before);
  });

  it('G-02: forged and tampered tokens and cookies are refused; only the original token passes', async () => {
    const [header, payload, signature] = segments(alice.accessToken);
    const claims = decode(payload);
    const { kid } = decode(header);
    const jwks = await viaGateway('/.well-known/jwks.json');
    expect(jwks.status).toBe(200);
    const jwk = (jwks.json.keys as Array<Record<string, unknown>>).find((k) => k.kid === kid);
    expect(jwk).toBeDefined();
    const publicPem = createPublicKey({ key: jwk as never, format: 'jwk' }).export({ type: 'spki', format: 'pem' }).toString();
    const hs256 = (secret: string | Buffer, body = claims): string => {
      const input = `${b64({ alg: 'HS256', kid, typ: 'at+jwt' })}.${b64(body)}`;
      return `${input}.${createHmac('sha256', secret).update(input).digest('base64url')}`;
    };
    // Flip one character in the middle of the signature (the last one may only carry padding bits).
    const middle = Math.floor(signature.length / 2);
    const flipped = `${signature.slice(0, middle)}${signature[middle] === 'A' ? 'B' : 'A'}${signature.slice(middle + 1)}`;
    const now = Math.floor(Date.now() / 1000);
    const internalToken = (await viaGateway('/token/hello', { headers: bearer(alice.accessToken) })).json.received['x-auth-token'] as string;

    const forged: Record<string, string> = {
      'alg none': `${b64({ alg: 'none', typ: 'at+jwt', kid })}.${payload}.`,
      'alg nOnE': `${b64({ alg: 'nOnE', typ: 'at+jwt' })}.${payload}.`,
      'signature stripped': `${header}.${payload}`,
      'signature flipped': `${header}.${payload}.${flipped}`,
      'payload edited (sub = bob)': `${header}.${b64({ ...claims, sub: bob.userId })}.${signature}`,
      'HS256 keyed with the public key (PEM)': hs256(publicPem),
      'HS256 keyed with the public key (JWK JSON)': hs256(JSON.stringify(jwk)),
      'HS256 with an empty secret': hs256(''),
      'expired, signed with the real key': signWithRealKey({ ...claims, jti: randomBytes(8).toString('base64url'), iat: now - 7200, exp: now - 3600 }),
      'wrong issuer, signed with the real key': signWithRealKey({ ...claims, iss: 'https://evil.example', jti: randomBytes(8).toString('base64url') }),
      'internal token used as an access token': internalToken,
      garbage: 'not-a-token',
    };
    // The forging harness itself is sound: the same key and claims, unexpired, are accepted.
    const control = signWithRealKey({ ...claims, jti: randomBytes(8).toString('base64url'), iat: now, exp: now + 120 });
    expect((await viaGateway('/headers/control', { headers: bearer(control) })).status).toBe(200);

    const forgedCookies: Record<string, string> = {
      'random session id': alice.cookie.replace(/=.*$/, `=${randomBytes(18).toString('base64url')}.${randomBytes(32).toString('base64url')}`),
      'real id, wrong secret': alice.cookie.replace(/\.[^.]*$/, `.${randomBytes(32).toString('base64url')}`),
      'real id only': alice.cookie.replace(/\.[^.]*$/, ''),
      'bob id, alice secret': `${alice.cookie.split('=')[0]}=${bob.cookie.split('=')[1]!.split('.')[0]}.${alice.cookie.split('.')[1]}`,
    };

    const before = await serviceCounts();
    for (const path of protectedLocations().map((location) => `${location}forged`)) {
      for (const [name, token] of Object.entries(forged)) {
        const reply = await viaGateway(path, { headers: bearer(token) });
        expect(reply.status, `${name} at ${path}`).toBe(401);
        expect(reply.text).not.toContain('"service"');
      }
      for (const [name, cookie] of Object.entries(forgedCookies)) {
        const reply = await viaGateway(path, { headers: { cookie } });
        expect(reply.status, `${name} at ${path}`).toBe(401);
      }
    }
    expect(await serviceCounts()).toEqual(before);

    // And the original, untouched token still passes.
    for (const location of protectedLocations()) {
      const reply = await viaGateway(`${location}original`, { headers: bearer(alice.accessToken) });
      expect(reply.status, location).toBe(200);
      expect(reply.json.userId).toBe(alice.userId);
    }
  });

  it('G-03: identity headers the client sends never reach a service as the client wrote them', async () => {
    // Bob's real internal token, as an attacker who captured one might replay it.
    const bobsInternal = (await viaGateway('/token/x', { headers: bearer(bob.accessToken) })).json.received['x-auth-token'] as string;
    const spoofed: Record<string, string> = {
      'X-Auth-User-Id': 'spoofed-user',
      'X-Auth-Session-Id': 'spoofed-session',
      'X-Auth-Carrier': 'spoofed-carrier',
      'X-Auth-Token': bobsInternal,
      'X-Auth-Role': 'spoofed-admin',
      'X-User-Id': 'spoofed-user',
      'X-User-Email': 'spoofed@example.com',
      'X-User': 'spoofed-user',
      'X-Forwarded-User': 'spoofed-user',
      'X-Forwarded-Email': 'spoofed@example.com',
      'X-Remote-User': 'spoofed-user',
      'Remote-User': 'spoofed-user',
      'X-Auth-Request-User': 'spoofed-user',
      'X-Auth-Request-Email': 'spoofed@example.com',
      'X-Authenticated-User': 'spoofed-user',
      'X-Middleware-Subrequest': 'middleware:middleware:middleware:middleware:middleware',
      'X-Original-URI': '/spoofed',
      'X-Original-Method': 'GET',
      'X-Forwarded-Method': 'GET',
      'X-Request-Id': 'spoofed-request',
    };
    const credentials: Record<string, Record<string, string>> = {
      cookie: { cookie: alice.cookie },
      bearer: bearer(alice.accessToken),
    };
    for (const location of protectedLocations()) {
      for (const [carrier, credential] of Object.entries(credentials)) {
        const reply = await viaGateway(`${location}whoami`, { headers: { ...spoofed, ...credential } });
        expect(reply.status, `${carrier} at ${location}: ${reply.text}`).toBe(200);
        expect(reply.json.userId, `${carrier} at ${location}`).toBe(alice.userId);
        const received = reply.json.received as Record<string, string>;
        expect(received['x-auth-user-id']).toBe(alice.userId);
        expect(received['x-auth-carrier']).toBe(carrier);
        expect(received['x-auth-token']).not.toBe(bobsInternal);
        expect(decode(segments(received['x-auth-token']!)[1]).sub).toBe(alice.userId);
        // Nothing the client wrote survives, whatever the header is called.
        const everything = JSON.stringify(received);
        expect(everything).not.toMatch(/spoofed|middleware:middleware/);
        for (const name of Object.keys(spoofed)) {
          const value = received[name.toLowerCase()];
          if (value !== undefined) expect(value, name).not.toBe(spoofed[name]);
        }
        // The user's own credentials stay at the gateway.
        expect(received.cookie).toBeUndefined();
        expect(received.authorization).toBeUndefined();
      }
    }
  });

  it('CSRF through the gateway: a cross-site POST with a valid cookie is 403, a same-origin one with the token passes', async () => {
    const before = await serviceCounts();
    const refused: Record<string, Record<string, string>> = {
      'no CSRF token': { cookie: alice.cookie, 'sec-fetch-site': 'same-origin' },
      'Sec-Fetch-Site cross-site': { ...browserPost(alice), 'sec-fetch-site': 'cross-site' },
      'foreign Origin, no fetch metadata': { cookie: alice.cookie, 'x-csrf-token': alice.csrfToken, origin: 'https://evil.example' },
      'no browser signal at all': { cookie: alice.cookie, 'x-csrf-token': alice.csrfToken },
      "bob's CSRF token": { ...browserPost(alice), 'x-csrf-token': bob.csrfToken },
      'cross-site, claiming to be a GET': { ...browserPost(alice), 'sec-fetch-site': 'cross-site', 'x-forwarded-method': 'GET', 'x-original-method': 'GET' },
      'no token, claiming to be a GET': { cookie: alice.cookie, 'sec-fetch-site': 'same-origin', 'x-forwarded-method': 'GET' },
    };
    for (const location of protectedLocations()) {
      for (const method of ['POST', 'PUT', 'PATCH', 'DELETE']) {
        for (const [name, headers] of Object.entries(refused)) {
          const reply = await viaGateway(`${location}change`, { method, headers: { ...headers, 'content-type': 'application/json' }, body: '{}' });
          expect(reply.status, `${name}: ${method} ${location}`).toBe(403);
          expect(reply.text).not.toContain('"service"');
        }
      }
    }
    expect(await serviceCounts()).toEqual(before);

    for (const location of protectedLocations()) {
      const sameOrigin = await viaGateway(`${location}change`, { method: 'POST', headers: { ...browserPost(alice), 'content-type': 'application/json' }, body: '{}' });
      expect(sameOrigin.status, `${location}: ${sameOrigin.text}`).toBe(200);
      expect(sameOrigin.json).toMatchObject({ method: 'POST', userId: alice.userId });
      const byOrigin = await viaGateway(`${location}change`, {
        method: 'DELETE',
        headers: { cookie: alice.cookie, origin: gateway, 'x-csrf-token': alice.csrfToken },
      });
      expect(byOrigin.status, location).toBe(200);
    }
    // Bearer requests carry no ambient credential: no CSRF token needed, even "cross-site".
    const app = await viaGateway('/headers/change', { method: 'POST', headers: { ...bearer(alice.accessToken), 'sec-fetch-site': 'cross-site' }, body: '{}' });
    expect(app.status).toBe(200);
  });

  it('G-04: the gateway fails closed when the auth upstream answers 5xx or anything unexpected', async () => {
    // A stand-in Tessera that answers /auth/verify with a fixed status, behind a second nginx
    // rendered from the same template.
    let status = 500;
    const verifyCalls: string[] = [];
    const fake: Server = createServer((request, response) => {
      verifyCalls.push(request.url ?? '');
      response.writeHead(status, { 'content-type': 'text/plain', 'x-auth-user-id': 'fake-user', 'x-auth-session-id': 'fake-session' });
      response.end('auth says something');
    });
    await new Promise<void>((resolve) => fake.listen(0, '127.0.0.1', resolve));
    const fakePort = (fake.address() as { port: number }).port;
    let broken: RunningNginx | undefined;
    try {
      broken = await startNginx({
        listenPort: await freePort(),
        tessera: [`127.0.0.1:${fakePort}`],
        headersService: new URL(headersService!.url).host,
        tokenService: new URL(tokenService!.url).host,
      });
      const before = await serviceCounts();
      for (const code of [500, 502, 503, 504, 400, 404, 302, 429]) {
        status = code;
        for (const location of protectedLocations()) {
          const reply = await call(`${broken.url}${location}x`, { headers: { cookie: alice.cookie } });
          expect(reply.status, `auth answered ${code} at ${location}`).toBeGreaterThanOrEqual(500);
          expect(reply.text).not.toContain('"service"');
        }
      }
      expect(verifyCalls.length).toBeGreaterThan(0);
      expect(verifyCalls.every((url) => url.startsWith('/auth/verify'))).toBe(true);
      expect(await serviceCounts()).toEqual(before);
    } finally {
      await broken?.stop();
      await new Promise<void>((resolve) => fake.close(() => resolve()));
    }
  });

  it('G-04: with Tessera down every protected location fails closed; when it is back, access works again', async () => {
    const before = await serviceCounts();
    await tessera!.stop();
    const attempts: Array<Record<string, string>> = [{}, { cookie: alice.cookie }, bearer(alice.accessToken)];
    for (const location of protectedLocations()) {
      for (const headers of attempts) {
        for (const method of ['GET', 'POST']) {
          const reply = await viaGateway(`${location}while-down`, { method, headers: method === 'POST' ? { ...headers, 'sec-fetch-site': 'same-origin', 'x-csrf-token': alice.csrfToken } : headers });
          expect(reply.status >= 500 || reply.status === 401, `${method} ${location} → ${reply.status}`).toBe(true);
          expect(reply.text).not.toContain('"service"');
        }
      }
    }
    // Tessera's own API through the gateway is unavailable too (503 problem+json, not a 200).
    const session = await viaGateway('/auth/session', { headers: { cookie: alice.cookie } });
    expect(session.status).toBe(503);
    expect(session.json?.code).toBe('service_unavailable');
    expect(await serviceCounts()).toEqual(before);

    // Same port, same data directory: sessions and keys survive the restart.
    await startTessera();
    await pollUntil(async () => (await viaGateway('/headers/back', { headers: { cookie: alice.cookie } })).status === 200, 10_000, 'the headers service through the gateway');
    // The token service's verifier reconnects its feed (with back-off) and vouches again.
    await pollUntil(async () => (await viaGateway('/token/back', { headers: bearer(alice.accessToken) })).status === 200, 20_000, 'the token service through the gateway');
    const back = await viaGateway('/token/back', { headers: { cookie: alice.cookie } });
    expect(back.json.userId).toBe(alice.userId);
  }, 45_000);

  it('revocation through the gateway: after logout the cookie is refused at every location and the token service refuses the old internal token', async () => {
    const carol = await signUp(`carol-${randomBytes(4).toString('hex')}@example.com`);
    const internal = (await viaGateway('/token/before', { headers: { cookie: carol.cookie } })).json.received['x-auth-token'] as string;
    const logout = await viaGateway('/auth/logout', { method: 'POST', headers: browserPost(carol) });
    expect(logout.status, logout.text).toBe(204);
    for (const location of protectedLocations()) {
      expect((await viaGateway(`${location}after`, { headers: { cookie: carol.cookie } })).status).toBe(401);
    }
    // Straight to the token service (as if the gateway were bypassed): the revoked session's
    // internal token dies through the verifier's feed.
    await pollUntil(
      async () => (await call(`${tokenService!.url}/token/direct`, { headers: { 'x-auth-token': internal } })).status === 401,
      5_000,
      'the token service to refuse the revoked internal token',
      10,
    );
  });
});
