import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SignJWT, createLocalJWKSet, importJWK, jwtVerify } from 'jose';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { type ManualClock, createManualClock } from '../../src/core/clock.js';
import { ConfigurationError } from '../../src/core/errors.js';
import { type RunningServer, startServer } from '../../src/server/start.js';
import { createMemoryStores } from '../../src/stores/memory/memory-stores.js';
import type { Stores } from '../../src/stores/types.js';
import { send } from '../helpers/http.js';
import { type StoreKind, type TestServer } from '../helpers/server.js';
import { PASSWORD, register, uniqueEmail } from '../security/support.js';
import { bearer, bearerLogin, decodeJwtSegment, newBearerUser, startTokenServer, tokenOverrides } from '../security/token-support.js';

/**
 * Signing keys over HTTP: K-02 rotation (publish before signing, retire after the last token
 * expired), private keys encrypted at rest, and the RS256 / EdDSA configurations.
 */

const SECOND = 1000;
const MINUTE = 60 * SECOND;
const HOUR = 60 * MINUTE;
/** Defaults: access tokens 5 min (the longest-lived token), skew 30 s, pre-publication 1 h. */
const TOKEN_LIFETIME = 5 * MINUTE;
const SKEW = 30 * SECOND;
const PREPUBLISH = HOUR;

type Jwks = { keys: Array<Record<string, unknown>> };

async function fetchJwks(server: { url: string }): Promise<Jwks> {
  const response = await fetch(`${server.url}/.well-known/jwks.json`);
  return (await response.json()) as Jwks;
}

async function sessionStatus(server: { url: string }, token: string, path = '/auth/session'): Promise<{ status: number; code?: string }> {
  const response = await fetch(`${server.url}${path}`, { headers: bearer(token) });
  const text = await response.text();
  return { status: response.status, code: text ? (JSON.parse(text) as { code?: string }).code : undefined };
}

describe.each<StoreKind>(['memory', 'sqlite'])('K-02 key rotation over HTTP (%s store)', (store) => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startTokenServer(store);
  });
  afterAll(async () => server.close());

  it('K-02 the next key is published before it signs, signs after activation, and the old key retires after its last token', async () => {
    const before = await fetchJwks(server);
    expect(before.keys).toHaveLength(1);
    const oldKid = before.keys[0]?.kid as string;
    const email = uniqueEmail('k02');
    await register(server, email);
    expect(decodeJwtSegment((await bearerLogin(server, email)).accessToken, 0).kid).toBe(oldKid);

    const next = await server.tessera.keyRing.rotate();
    expect(next.state).toBe('next');
    expect(next.kid).not.toBe(oldKid);
    expect(next.activatesAt).toBe(server.clock.now() + PREPUBLISH);
    // Published at once, signing not yet.
    const published = await fetchJwks(server);
    expect(published.keys.map((k) => k.kid).sort()).toEqual([oldKid, next.kid].sort());
    expect(decodeJwtSegment((await bearerLogin(server, email)).accessToken, 0).kid).toBe(oldKid);

    // The last token of the old key, issued a second before the switch.
    server.clock.set(next.activatesAt - SECOND);
    const lastOld = await bearerLogin(server, email);
    expect(decodeJwtSegment(lastOld.accessToken, 0).kid).toBe(oldKid);

    // Past activation: new sign-ins carry the new kid; the old key's tokens still verify.
    server.clock.set(next.activatesAt + SECOND);
    await server.tessera.keyRing.refresh();
    const states = new Map(server.tessera.keyRing.list().map((k) => [k.kid, k.state]));
    expect(states.get(next.kid)).toBe('current');
    expect(states.get(oldKid)).toBe('retired');
    const fresh = await bearerLogin(server, email);
    expect(decodeJwtSegment(fresh.accessToken, 0).kid).toBe(next.kid);
    expect((await sessionStatus(server, fresh.accessToken)).status).toBe(200);
    expect((await sessionStatus(server, lastOld.accessToken)).status).toBe(200);
    expect((await sessionStatus(server, lastOld.accessToken, '/auth/verify')).status).toBe(200);
    expect((await fetchJwks(server)).keys.map((k) => k.kid)).toContain(oldKid);

    // A long-lived token signed with the old private key (as an attacker who kept a copy, or a
    // bug, would have it): accepted while the key is published, refused once it is retired —
    // this isolates the key's retirement from the token's own expiry.
    const stored = (await server.tessera.stores.keys.listSigningKeys()).find((k) => k.kid === oldKid);
    expect(stored).toBeDefined();
    const privateKey = await importJWK(JSON.parse(stored?.privateJwk as string), 'ES256');
    const claims = decodeJwtSegment(lastOld.accessToken, 1);
    const nowSeconds = Math.floor(server.clock.now() / SECOND);
    const longLived = await new SignJWT({ ...claims, iat: nowSeconds, exp: nowSeconds + 24 * 3600 })
      .setProtectedHeader({ alg: 'ES256', typ: 'at+jwt', kid: oldKid })
      .sign(privateKey);
    expect((await sessionStatus(server, longLived)).status).toBe(200);

    // Retired + token lifetime + skew: the old key is gone from the JWKS and from verification.
    server.clock.set(next.activatesAt + TOKEN_LIFETIME + SKEW + SECOND);
    await server.tessera.keyRing.refresh();
    const after = await fetchJwks(server);
    expect(after.keys.map((k) => k.kid)).not.toContain(oldKid);
    expect(after.keys.map((k) => k.kid)).toContain(next.kid);
    expect((await server.tessera.stores.keys.listSigningKeys()).some((k) => k.kid === oldKid)).toBe(false);
    const lastOldNow = await sessionStatus(server, lastOld.accessToken);
    expect(lastOldNow.status).toBe(401);
    expect(['token_expired', 'invalid_token']).toContain(lastOldNow.code);
    for (const path of ['/auth/session', '/auth/verify']) {
      const result = await sessionStatus(server, longLived, path);
      expect(result).toEqual({ status: 401, code: 'invalid_token' });
    }
    // The new key goes on working.
    const later = await bearerLogin(server, email);
    expect(decodeJwtSegment(later.accessToken, 0).kid).toBe(next.kid);
    expect((await sessionStatus(server, later.accessToken)).status).toBe(200);
  });

  it('K-02 an immediate rotation signs at once and the previous key keeps verifying its tokens', async () => {
    const user = await newBearerUser(server, 'k02imm');
    const previousKid = decodeJwtSegment(user.accessToken, 0).kid;
    const key = await server.tessera.keyRing.rotate({ immediate: true });
    expect(key.state).toBe('current');
    const fresh = await bearerLogin(server, user.email);
    expect(decodeJwtSegment(fresh.accessToken, 0).kid).toBe(key.kid);
    expect((await sessionStatus(server, user.accessToken)).status).toBe(200);
    expect((await fetchJwks(server)).keys.map((k) => k.kid)).toContain(previousKid);
  });
});

/** A server started the way `tessera serve` starts one, with our env and (optionally) shared stores. */
async function startWithEnv(
  dataDir: string,
  env: Record<string, string>,
  options: { stores?: Stores; clock?: ManualClock } = {},
): Promise<RunningServer> {
  return startServer({
    // A fixed public URL: it is the tokens' issuer, which must survive a restart on a new port.
    env: { TESSERA_DATA_DIR: dataDir, PORT: '0', HOST: '127.0.0.1', TESSERA_PUBLIC_URL: 'http://tessera.test', TESSERA_LOG_LEVEL: 'silent', ...env },
    overrides: tokenOverrides(),
    ...(options.stores ? { stores: options.stores } : {}),
    clock: options.clock ?? createManualClock(Date.now()),
  });
}

/** Memory stores that survive a server's close(), so a second server can "restart" on them. */
function persistentMemoryStores(): { stores: Stores; closeForReal: () => Promise<void> } {
  const inner = createMemoryStores();
  return { stores: { ...inner, close: async () => undefined }, closeForReal: () => inner.close() };
}

describe.each<StoreKind>(['memory', 'sqlite'])('signing keys encrypted at rest (%s store)', (store) => {
  const secret = 'k'.repeat(16) + 'e'.repeat(16) + '-at-rest-secret';
  const cleanups: Array<() => Promise<void> | void> = [];
  afterEach(async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  });

  /** A data dir and (memory) shared stores; `open` starts a server on them with `env`. */
  const setup = () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'tessera-keys-'));
    cleanups.push(() => rmSync(dataDir, { recursive: true, force: true }));
    const memory = store === 'memory' ? persistentMemoryStores() : null;
    if (memory) cleanups.push(memory.closeForReal);
    const open = async (env: Record<string, string>): Promise<RunningServer> => {
      const server = await startWithEnv(dataDir, env, memory ? { stores: memory.stores } : {});
      cleanups.push(() => server.close());
      return server;
    };
    return { dataDir, open };
  };

  it('private keys are stored sealed (enc:v1:, no "d" in clear) and the server signs with them', async () => {
    const { open } = setup();
    const server = await open({ TESSERA_KEY_ENCRYPTION_SECRET: secret });
    await server.tessera.keyRing.rotate();
    const rows = await server.tessera.stores.keys.listSigningKeys();
    expect(rows.length).toBe(2);
    for (const row of rows) {
      expect(row.privateJwk.startsWith('enc:v1:')).toBe(true);
      expect(row.privateJwk).not.toMatch(/"d"/);
      expect(row.privateJwk).not.toContain('"kty"');
      expect(JSON.parse(row.publicJwk)).not.toHaveProperty('d');
    }
    const email = uniqueEmail('enc');
    expect((await fetch(`${server.url}/auth/register`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ email, password: PASSWORD }) })).status).toBe(201);
    const login = await fetch(`${server.url}/auth/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ email, password: PASSWORD, carrier: 'bearer' }),
    });
    const token = ((await login.json()) as { access_token: string }).access_token;
    expect((await sessionStatus(server, token)).status).toBe(200);
    const { payload } = await jwtVerify(token, createLocalJWKSet((await fetchJwks(server)) as never), {
      audience: server.tessera.config.tokens.audience,
      currentDate: new Date(server.tessera.clock.now()),
    });
    expect(payload.sid).toBeDefined();
  });

  it('a restart with the same secret works; without the secret or with a wrong one startup fails naming TESSERA_KEY_ENCRYPTION_SECRET', async () => {
    const { open } = setup();
    const first = await open({ TESSERA_KEY_ENCRYPTION_SECRET: secret });
    const email = uniqueEmail('restart');
    const register1 = await fetch(`${first.url}/auth/register`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ email, password: PASSWORD }) });
    expect(register1.status).toBe(201);
    const login1 = await fetch(`${first.url}/auth/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ email, password: PASSWORD, carrier: 'bearer' }),
    });
    const token = ((await login1.json()) as { access_token: string }).access_token;
    const kid = decodeJwtSegment(token, 0).kid;
    await first.close();

    const second = await open({ TESSERA_KEY_ENCRYPTION_SECRET: secret });
    // The same key came back from the store: the first server's token verifies here.
    expect((await fetchJwks(second)).keys.map((k) => k.kid)).toContain(kid);
    expect(await sessionStatus(second, token)).toEqual({ status: 200, code: undefined });
    await second.close();

    const refusedEnvs: Array<Record<string, string>> = [{}, { TESSERA_KEY_ENCRYPTION_SECRET: 'w'.repeat(48) }];
    for (const env of refusedEnvs) {
      let failure: unknown = null;
      try {
        const server = await open(env);
        await server.close();
      } catch (error) {
        failure = error;
      }
      expect(failure).toBeInstanceOf(ConfigurationError);
      expect((failure as Error).message).toContain('TESSERA_KEY_ENCRYPTION_SECRET');
      expect((failure as Error).message).not.toContain('w'.repeat(48));
    }
  });

  it('a key-encryption secret shorter than 32 characters is refused at startup', async () => {
    const { open } = setup();
    await expect(open({ TESSERA_KEY_ENCRYPTION_SECRET: 'short' })).rejects.toThrow(/TESSERA_KEY_ENCRYPTION_SECRET/);
  });
});

describe.each<[StoreKind, 'RS256' | 'EdDSA']>([
  ['memory', 'RS256'],
  ['sqlite', 'RS256'],
  ['memory', 'EdDSA'],
  ['sqlite', 'EdDSA'],
])('other signing algorithms (%s store, %s)', (store, algorithm) => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startTokenServer(store, { tokens: { algorithm } });
  });
  afterAll(async () => server.close());

  it(`${algorithm} access and internal tokens verify at the server and with jose against the JWKS`, async () => {
    const { keys } = await fetchJwks(server);
    expect(keys.length).toBeGreaterThanOrEqual(1);
    for (const key of keys) {
      expect(key.alg).toBe(algorithm);
      expect(key.use).toBe('sig');
      for (const secret of ['d', 'p', 'q', 'dp', 'dq', 'qi']) expect(key).not.toHaveProperty(secret);
      if (algorithm === 'RS256') {
        expect(key.kty).toBe('RSA');
        expect(key.e).toBe('AQAB');
        expect(Buffer.from(key.n as string, 'base64url').length * 8).toBeGreaterThanOrEqual(2048);
      } else {
        expect(key.kty).toBe('OKP');
        expect(key.crv).toBe('Ed25519');
      }
    }
    const user = await newBearerUser(server, algorithm.toLowerCase());
    expect(decodeJwtSegment(user.accessToken, 0)).toMatchObject({ alg: algorithm, typ: 'at+jwt' });
    expect((await sessionStatus(server, user.accessToken)).status).toBe(200);
    const verify = await send(server, 'GET', '/auth/verify', { headers: bearer(user.accessToken) });
    expect(verify.status).toBe(200);
    const set = createLocalJWKSet({ keys } as never);
    const { tokens } = server.tessera.config;
    const at = await jwtVerify(user.accessToken, set, { algorithms: [algorithm], issuer: tokens.issuer, audience: tokens.audience, currentDate: new Date(server.clock.now()) });
    expect(at.payload.sub).toBe(user.userId);
    const internal = await jwtVerify(verify.headers.get('x-auth-token') as string, set, {
      algorithms: [algorithm],
      audience: tokens.internalAudience,
      currentDate: new Date(server.clock.now()),
    });
    expect(internal.payload.sid).toBe(user.sessionId);

    // J-04: the alg is pinned per kid, so relabelling the header breaks the token.
    const [, payload, signature] = user.accessToken.split('.') as [string, string, string];
    const header = decodeJwtSegment(user.accessToken, 0);
    for (const alg of ['ES256', 'RS256', 'EdDSA', 'PS256', 'HS256'].filter((a) => a !== algorithm)) {
      const relabelled = `${Buffer.from(JSON.stringify({ ...header, alg })).toString('base64url')}.${payload}.${signature}`;
      expect((await sessionStatus(server, relabelled)).status).toBe(401);
    }
  });
});
