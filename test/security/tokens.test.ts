import { createHmac, createPublicKey, randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { send } from '../helpers/http.js';
import { type StoreKind, type TestServer } from '../helpers/server.js';
import { PASSWORD, cookieAttributes, hostOf, rawRequest } from './support.js';
import {
  accessCookie,
  b64json,
  bearer,
  decodeJwtSegment,
  newBearerUser,
  newHybridUser,
  postForm,
  refreshBearer,
  refreshHybrid,
  startTokenServer,
  statusWithBearer,
} from './token-support.js';

/**
 * Refresh-token and revocation checklist R-01…R-07 (REFERENCES.md) plus the J-level checks that
 * can be made over HTTP, black-box against each store. Time moves only through the ManualClock.
 */

const SECOND = 1000;
const MINUTE = 60 * SECOND;
const DAY = 24 * 60 * MINUTE;
/** Default refresh grace window (config tokens.refreshGraceMs). */
const GRACE = 10 * SECOND;
/** Default clock skew (config tokens.clockSkewMs). */
const SKEW = 30 * SECOND;

/** `<sessionId>.<generation>.<tag>`: a ≥128-bit id, a decimal generation, a 256-bit tag. */
const REFRESH_TOKEN_SHAPE = /^[A-Za-z0-9_-]{22,}\.(0|[1-9]\d*)\.[A-Za-z0-9_-]{43}$/;

/** Replaces the character at `index` with a different base64url character. */
function flipChar(text: string, index: number): string {
  const c = text[index];
  const replacement = c === 'A' ? 'B' : 'A';
  return text.slice(0, index) + replacement + text.slice(index + 1);
}

describe.each<StoreKind>(['memory', 'sqlite'])('token security (%s store)', (store) => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startTokenServer(store);
  });
  afterAll(async () => server.close());

  /** Both verification points: the API (who am I) and the gateway (forward-auth). */
  const expectRefusedEverywhere = async (token: string, code: string | string[]): Promise<void> => {
    const codes = Array.isArray(code) ? code : [code];
    for (const path of ['/auth/session', '/auth/verify']) {
      const result = await statusWithBearer(server, path, token);
      expect({ path, status: result.status }).toEqual({ path, status: 401 });
      expect(codes).toContain(result.code);
    }
  };
  const expectAcceptedEverywhere = async (token: string): Promise<void> => {
    for (const path of ['/auth/session', '/auth/verify']) {
      const result = await statusWithBearer(server, path, token);
      expect({ path, status: result.status }).toEqual({ path, status: 200 });
    }
  };

  describe('R-01 jti revocation', () => {
    it('R-01 an access token revoked via POST /auth/revoke gets 401 at the API and the gateway; the entry expires', async () => {
      const user = await newBearerUser(server, 'r01');
      await expectAcceptedEverywhere(user.accessToken);
      const claims = decodeJwtSegment(user.accessToken, 1);

      const revoked = await postForm(server, '/auth/revoke', { token: user.accessToken, token_type_hint: 'access_token' });
      expect(revoked.status).toBe(200);
      await expectRefusedEverywhere(user.accessToken, 'token_revoked');

      // Only that token: the session lives on, and a fresh access token (another jti) works.
      const refreshed = await refreshBearer(server, user.refreshToken);
      expect(refreshed.status).toBe(200);
      expect(decodeJwtSegment(refreshed.body.access_token, 1).jti).not.toBe(claims.jti);
      await expectAcceptedEverywhere(refreshed.body.access_token);

      const subject = { sid: claims.sid as string, sub: claims.sub as string, jti: claims.jti as string, iat: claims.iat as number };
      expect(server.tessera.revocationSet.isRevoked(subject)).toBe(true);
      const listed = await server.tessera.stores.revocations.listRevocations(server.clock.now());
      const entry = listed.find((e) => e.kind === 'jti' && e.value === claims.jti);
      expect(entry).toBeDefined();
      // Kept exactly as long as the token could still verify: exp plus the clock skew.
      expect(entry?.expiresAt).toBe((claims.exp as number) * SECOND + SKEW);

      // Past exp + skew no token the entry covers can verify, so the sweep drops it everywhere.
      server.clock.set((claims.exp as number) * SECOND + SKEW + SECOND);
      await server.tessera.sweep();
      expect(server.tessera.revocationSet.isRevoked(subject)).toBe(false);
      const after = await server.tessera.stores.revocations.listRevocations(server.clock.now());
      expect(after.some((e) => e.kind === 'jti' && e.value === claims.jti)).toBe(false);
      // And the token itself is dead by its own expiry.
      await expectRefusedEverywhere(user.accessToken, 'token_expired');
    });
  });

  describe('R-02 rotation', () => {
    it('R-02 each refresh returns a new refresh token; the old one then gets 401 refresh_token_reused / invalid_grant', async () => {
      const user = await newBearerUser(server, 'r02');
      expect(user.refreshToken).toMatch(REFRESH_TOKEN_SHAPE);
      expect(user.response.body.token_type).toBe('Bearer');

      const first = await refreshBearer(server, user.refreshToken);
      expect(first.status).toBe(200);
      expect(first.headers.get('cache-control')).toContain('no-store');
      expect(first.body.refresh_token).toMatch(REFRESH_TOKEN_SHAPE);
      expect(first.body.refresh_token).not.toBe(user.refreshToken);
      expect(first.body.access_token).not.toBe(user.accessToken);
      expect(first.body.token_type).toBe('Bearer');
      expect(first.body.expires_in).toBeGreaterThan(0);

      const second = await refreshBearer(server, first.body.refresh_token);
      expect(second.status).toBe(200);
      expect(second.body.refresh_token).not.toBe(first.body.refresh_token);
      expect(new Set([user.refreshToken, first.body.refresh_token, second.body.refresh_token]).size).toBe(3);

      server.clock.advance(GRACE + SECOND);
      const reused = await refreshBearer(server, first.body.refresh_token);
      expect(reused.status).toBe(401);
      expect(reused.body.code).toBe('refresh_token_reused');
      expect(reused.body.error).toBe('invalid_grant');
      expect(reused.headers.get('content-type')).toContain('application/problem+json');
      // The problem text never echoes the token.
      expect(reused.text).not.toContain(first.body.refresh_token);
    });

    it('R-02 refresh tokens carry a 256-bit tag: a flipped character is a plain 401 that revokes nothing', async () => {
      const user = await newBearerUser(server, 'r02tag');
      const [, , tag] = user.refreshToken.split('.') as [string, string, string];
      expect(Buffer.from(tag, 'base64url').length).toBeGreaterThanOrEqual(16);
      expect(Buffer.from(tag, 'base64url').length).toBe(32);

      const tagStart = user.refreshToken.length - 43;
      for (const index of [tagStart, tagStart + 20, user.refreshToken.length - 2]) {
        const forged = flipChar(user.refreshToken, index);
        const response = await refreshBearer(server, forged);
        expect(response.status).toBe(401);
        expect(response.body.code).toBe('refresh_token_invalid');
        expect(response.body.error).toBe('invalid_grant');
      }
      // Not revoked: the session, its access token and its refresh token all still work.
      await expectAcceptedEverywhere(user.accessToken);
      expect(await server.tessera.stores.sessions.findSession(user.sessionId)).not.toBeNull();
      const genuine = await refreshBearer(server, user.refreshToken);
      expect(genuine.status).toBe(200);
    });

    it('R-02 a forged old-generation token for a known session id is a plain 401 and never revokes the session', async () => {
      const user = await newBearerUser(server, 'r02forge');
      const rotated = await refreshBearer(server, user.refreshToken);
      expect(rotated.status).toBe(200);
      const current = rotated.body.refresh_token as string;
      // The session id is public (it is the `sid` claim of every access token).
      expect(decodeJwtSegment(rotated.body.access_token, 1).sid).toBe(user.sessionId);
      server.clock.advance(GRACE + SECOND);

      const forgeries = [
        `${user.sessionId}.0.${randomBytes(32).toString('base64url')}`,
        // The authentic tag of generation 1 relabelled as generation 0.
        `${user.sessionId}.0.${current.split('.')[2]}`,
        // A future generation.
        `${user.sessionId}.7.${randomBytes(32).toString('base64url')}`,
        // A random 43-character tail that need not even be canonical base64url.
        `${user.sessionId}.0.${'x'.repeat(42)}Z`,
      ];
      for (const forged of forgeries) {
        const response = await refreshBearer(server, forged);
        expect(response.status).toBe(401);
        expect(response.body.code).toBe('refresh_token_invalid');
      }
      await expectAcceptedEverywhere(rotated.body.access_token);
      const next = await refreshBearer(server, current);
      expect(next.status).toBe(200);
    });
  });

  describe('R-03 reuse detection', () => {
    it('R-03 reusing a rotated token revokes the whole family: newest refresh and access tokens fail', async () => {
      const user = await newBearerUser(server, 'r03');
      const first = await refreshBearer(server, user.refreshToken);
      const second = await refreshBearer(server, first.body.refresh_token);
      expect(second.status).toBe(200);
      const newestAccess = second.body.access_token as string;
      const newestRefresh = second.body.refresh_token as string;
      await expectAcceptedEverywhere(newestAccess);

      server.clock.advance(GRACE + SECOND);
      const reused = await refreshBearer(server, user.refreshToken);
      expect(reused.status).toBe(401);
      expect(reused.body.code).toBe('refresh_token_reused');

      const newest = await refreshBearer(server, newestRefresh);
      expect(newest.status).toBe(401);
      expect(newest.body.error).toBe('invalid_grant');
      await expectRefusedEverywhere(newestAccess, ['token_revoked', 'invalid_token']);
      // The revocation reached the verifier itself (by sid), not only the store.
      expect(() => server.tessera.tokens.verifier.verify(newestAccess)).toThrow(expect.objectContaining({ code: 'token_revoked' }));
      expect(await server.tessera.stores.sessions.findSession(user.sessionId)).toBeNull();
      expect(server.logs.some((line) => line.includes('refresh_reused') && line.includes(user.sessionId))).toBe(true);
    });
  });

  describe('R-04 concurrent refresh', () => {
    it('R-04 two parallel refreshes with one token both get the identical successor (grace window)', async () => {
      const user = await newBearerUser(server, 'r04');
      const [a, b] = await Promise.all([refreshBearer(server, user.refreshToken), refreshBearer(server, user.refreshToken)]);
      expect(a.status).toBe(200);
      expect(b.status).toBe(200);
      expect(a.body.refresh_token).toBe(b.body.refresh_token);
      expect(a.body.refresh_token).not.toBe(user.refreshToken);
      const jtiA = decodeJwtSegment(a.body.access_token, 1).jti;
      const jtiB = decodeJwtSegment(b.body.access_token, 1).jti;
      expect(jtiA).toBe(jtiB);
      expect(jtiA).not.toBe(decodeJwtSegment(user.accessToken, 1).jti);
      await expectAcceptedEverywhere(a.body.access_token);
      await expectAcceptedEverywhere(b.body.access_token);

      // Still inside the window, a late third tab gets the same pair again: no fork.
      server.clock.advance(GRACE / 2);
      const late = await refreshBearer(server, user.refreshToken);
      expect(late.status).toBe(200);
      expect(late.body.refresh_token).toBe(a.body.refresh_token);

      // The successor works and moves the chain on.
      const successor = await refreshBearer(server, a.body.refresh_token);
      expect(successor.status).toBe(200);
      expect(successor.body.refresh_token).not.toBe(a.body.refresh_token);

      // Past the window the original is reuse, and the family dies.
      server.clock.advance(GRACE);
      const reused = await refreshBearer(server, user.refreshToken);
      expect(reused.status).toBe(401);
      expect(reused.body.code).toBe('refresh_token_reused');
      expect((await refreshBearer(server, successor.body.refresh_token)).status).toBe(401);
    });

    it('R-04 after the grace window the previous generation is reuse (no successor handed out)', async () => {
      const user = await newBearerUser(server, 'r04late');
      const rotated = await refreshBearer(server, user.refreshToken);
      expect(rotated.status).toBe(200);
      server.clock.advance(GRACE + 1);
      const late = await refreshBearer(server, user.refreshToken);
      expect(late.status).toBe(401);
      expect(late.body.code).toBe('refresh_token_reused');
      expect(late.body.refresh_token).toBeUndefined();
      await expectRefusedEverywhere(rotated.body.access_token, ['token_revoked', 'invalid_token']);
    });
  });

  describe('R-05 refresh expiry', () => {
    it('R-05 a refresh token unused past the idle timeout (7 d) gets 401', async () => {
      const user = await newBearerUser(server, 'r05idle');
      server.clock.advance(7 * DAY + MINUTE);
      const response = await refreshBearer(server, user.refreshToken);
      expect(response.status).toBe(401);
      expect(response.body.code).toBe('refresh_token_invalid');
      expect(response.body.error).toBe('invalid_grant');
    });

    it('R-05 the absolute lifetime (30 d) holds even when refreshing every 6 days', async () => {
      const user = await newBearerUser(server, 'r05abs');
      const start = server.clock.now();
      let refreshToken = user.refreshToken;
      for (const day of [6, 12, 18, 24]) {
        server.clock.set(start + day * DAY);
        const response = await refreshBearer(server, refreshToken);
        expect({ day, status: response.status }).toEqual({ day, status: 200 });
        refreshToken = response.body.refresh_token;
      }
      // Two minutes before the end: the access token never outlives its session.
      server.clock.set(start + 30 * DAY - 2 * MINUTE);
      const last = await refreshBearer(server, refreshToken);
      expect(last.status).toBe(200);
      expect(last.body.expires_in).toBeLessThanOrEqual(120);
      const exp = decodeJwtSegment(last.body.access_token, 1).exp as number;
      expect(exp * SECOND).toBeLessThanOrEqual(start + 30 * DAY);

      server.clock.set(start + 30 * DAY + SECOND);
      const expired = await refreshBearer(server, last.body.refresh_token);
      expect(expired.status).toBe(401);
      expect(expired.body.code).toBe('refresh_token_invalid');
    });
  });

  describe('R-06 logout and password change', () => {
    it('R-06 logout revokes the refresh token and the access token', async () => {
      const user = await newBearerUser(server, 'r06out');
      const logout = await send(server, 'POST', '/auth/logout', { headers: bearer(user.accessToken) });
      expect(logout.status).toBe(204);
      const refresh = await refreshBearer(server, user.refreshToken);
      expect(refresh.status).toBe(401);
      expect(refresh.body.error).toBe('invalid_grant');
      await expectRefusedEverywhere(user.accessToken, ['token_revoked', 'invalid_token']);
    });

    it('R-06 a password change (bearer) revokes the old refresh and access tokens and hands out new ones', async () => {
      const user = await newBearerUser(server, 'r06pw');
      const other = await newBearerUser(server, 'r06pw-unrelated');
      const newPassword = 'a completely different passphrase';
      const changed = await send(server, 'POST', '/auth/password', {
        headers: bearer(user.accessToken),
        json: { currentPassword: PASSWORD, newPassword },
      });
      expect(changed.status).toBe(200);
      expect(typeof changed.body.access_token).toBe('string');
      expect(typeof changed.body.refresh_token).toBe('string');
      expect(changed.body.session.id).not.toBe(user.sessionId);

      const oldRefresh = await refreshBearer(server, user.refreshToken);
      expect(oldRefresh.status).toBe(401);
      expect(oldRefresh.body.error).toBe('invalid_grant');
      await expectRefusedEverywhere(user.accessToken, ['token_revoked', 'invalid_token']);

      await expectAcceptedEverywhere(changed.body.access_token);
      expect((await refreshBearer(server, changed.body.refresh_token)).status).toBe(200);
      // Another user is untouched.
      await expectAcceptedEverywhere(other.accessToken);
      // The old password no longer signs in.
      const oldLogin = await send(server, 'POST', '/auth/login', { json: { email: user.email, password: PASSWORD, carrier: 'bearer' } });
      expect(oldLogin.status).toBe(401);
    });

    it('R-06 logout-all revokes every refresh and access token of the user', async () => {
      const user = await newBearerUser(server, 'r06all');
      const second = await send(server, 'POST', '/auth/login', { json: { email: user.email, password: PASSWORD, carrier: 'bearer' } });
      expect(second.status).toBe(200);
      const all = await send(server, 'POST', '/auth/logout-all', { headers: bearer(user.accessToken) });
      expect(all.status).toBe(204);
      for (const refresh of [user.refreshToken, second.body.refresh_token as string]) {
        const response = await refreshBearer(server, refresh);
        expect(response.status).toBe(401);
      }
      for (const access of [user.accessToken, second.body.access_token as string]) {
        await expectRefusedEverywhere(access, ['token_revoked', 'invalid_token']);
      }
    });
  });

  describe('R-07 token types and the refresh cookie', () => {
    it('R-07 a refresh token presented as an access token gets 401', async () => {
      const user = await newBearerUser(server, 'r07');
      await expectRefusedEverywhere(user.refreshToken, 'invalid_token');
      const hybrid = await newHybridUser(server, 'r07h');
      for (const path of ['/auth/session', '/auth/verify']) {
        const response = await send(server, 'GET', path, { headers: { cookie: accessCookie(server, hybrid.refreshToken) } });
        expect(response.status).toBe(401);
        expect(response.body.code).toBe('invalid_token');
      }
      // Nor is an access token a refresh token (too long for the field, or not authentic).
      const swapped = await refreshBearer(server, user.accessToken);
      expect([400, 401]).toContain(swapped.status);
      expect(['validation_failed', 'refresh_token_invalid']).toContain(swapped.body.code);
      expect(swapped.body.access_token).toBeUndefined();
    });

    it('R-07 the hybrid refresh cookie is path-scoped to /auth/refresh and the refresh endpoint is CSRF-protected', async () => {
      const user = await newHybridUser(server, 'r07csrf');
      const attributes = cookieAttributes(user.refreshLine);
      expect(attributes.get('path')).toBe('/auth/refresh');
      expect(attributes.has('httponly')).toBe(true);

      const noToken = await refreshHybrid(server, user.refreshToken, { 'sec-fetch-site': 'same-origin' });
      expect(noToken.status).toBe(403);
      expect(noToken.body.code).toBe('csrf_rejected');

      const crossSite = await refreshHybrid(server, user.refreshToken, { 'sec-fetch-site': 'cross-site', 'x-csrf-token': user.csrfToken });
      expect(crossSite.status).toBe(403);
      expect(crossSite.body.code).toBe('csrf_rejected');

      const noSignal = await refreshHybrid(server, user.refreshToken, { 'x-csrf-token': user.csrfToken });
      expect(noSignal.status).toBe(403);

      const otherUser = await newHybridUser(server, 'r07csrf-other');
      const wrongToken = await refreshHybrid(server, user.refreshToken, { 'sec-fetch-site': 'same-origin', 'x-csrf-token': otherUser.csrfToken });
      expect(wrongToken.status).toBe(403);

      // Nothing was rotated by the refused requests: the same refresh token still works once.
      const ok = await refreshHybrid(server, user.refreshToken, { 'sec-fetch-site': 'same-origin', 'x-csrf-token': user.csrfToken });
      expect(ok.status).toBe(200);
      expect(ok.cookies.length).toBe(2);
    });
  });

  describe('J-level checks over HTTP', () => {
    it('J-01 alg none (any case) with an empty signature gets 401 invalid_token', async () => {
      const user = await newBearerUser(server, 'j01');
      const header = decodeJwtSegment(user.accessToken, 0);
      const payload = user.accessToken.split('.')[1] as string;
      for (const alg of ['none', 'None', 'NONE', 'nOnE']) {
        await expectRefusedEverywhere(`${b64json({ ...header, alg })}.${payload}.`, 'invalid_token');
      }
      // The original is fine: the refusals were about the tokens, not the session.
      await expectAcceptedEverywhere(user.accessToken);
    });

    it('J-03 HS256 keyed with the JWKS public key (JWK JSON, PEM, PEM with leading whitespace) gets 401', async () => {
      const user = await newBearerUser(server, 'j03');
      const header = decodeJwtSegment(user.accessToken, 0);
      const payload = user.accessToken.split('.')[1] as string;
      const jwks = (await send(server, 'GET', '/.well-known/jwks.json')).body as { keys: Array<Record<string, unknown>> };
      const jwk = jwks.keys.find((k) => k.kid === header.kid);
      expect(jwk).toBeDefined();
      const pem = createPublicKey({ key: jwk as never, format: 'jwk' }).export({ type: 'spki', format: 'pem' }) as string;
      for (const secret of [JSON.stringify(jwk), pem, `\n${pem}`, pem.trim(), '']) {
        const signingInput = `${b64json({ ...header, alg: 'HS256' })}.${payload}`;
        const signature = createHmac('sha256', secret).update(signingInput).digest('base64url');
        await expectRefusedEverywhere(`${signingInput}.${signature}`, 'invalid_token');
      }
    });

    it('J-08 an expired access token gets 401 token_expired at both verification points', async () => {
      const user = await newBearerUser(server, 'j08');
      const { exp } = decodeJwtSegment(user.accessToken, 1) as { exp: number };
      // Within the skew it still verifies…
      server.clock.set(exp * SECOND + SKEW - 2 * SECOND);
      await expectAcceptedEverywhere(user.accessToken);
      // …past it, never (the verified-token cache included).
      server.clock.set(exp * SECOND + SKEW + SECOND);
      await expectRefusedEverywhere(user.accessToken, 'token_expired');
    });

    it('J-10 the internal X-Auth-Token (aud tessera-internal) is not an access token for the API', async () => {
      const user = await newBearerUser(server, 'j10');
      const verify = await send(server, 'GET', '/auth/verify', { headers: bearer(user.accessToken) });
      expect(verify.status).toBe(200);
      const internal = verify.headers.get('x-auth-token') as string;
      expect(decodeJwtSegment(internal, 1).aud).toBe(server.tessera.config.tokens.internalAudience);
      await expectRefusedEverywhere(internal, 'invalid_token');
    });

    it('malformed Authorization headers get 401 and never fall back to anything', async () => {
      const user = await newBearerUser(server, 'authz');
      const t = user.accessToken;
      const variants = [
        `Bearer  ${t}`,
        `Bearer\t${t}`,
        `bearer  ${t}`,
        `Bearer${t}`,
        'Bearer',
        `Bearer ${t} ${t}`,
        `Bearer ${t}, Bearer ${t}`,
        `Token ${t}`,
        `Basic ${Buffer.from(`gw:${'s'.repeat(32)}`).toString('base64')}`,
        `DPoP ${t}`,
        `Bearer "${t}"`,
      ];
      for (const value of variants) {
        for (const path of ['/auth/session', '/auth/verify']) {
          const response = await send(server, 'GET', path, { headers: { authorization: value } });
          expect({ value: value.slice(0, 12), path, status: response.status }).toEqual({ value: value.slice(0, 12), path, status: 401 });
          expect(response.body.code).toBe('invalid_token');
        }
      }
      // RFC 7235 §2.1: the auth scheme is case-insensitive, so these are the same credential.
      for (const scheme of ['bearer', 'BEARER', 'bEaReR']) {
        const response = await send(server, 'GET', '/auth/session', { headers: { authorization: `${scheme} ${t}` } });
        expect(response.status).toBe(200);
      }
    });

    it('two Authorization headers get 401 whichever comes first (an ambiguous credential is no credential)', async () => {
      const user = await newBearerUser(server, 'twoauthz');
      const host = hostOf(server);
      for (const [first, second] of [
        [`Bearer ${user.accessToken}`, 'Bearer garbage'],
        ['Bearer garbage', `Bearer ${user.accessToken}`],
        [`Bearer ${user.accessToken}`, `Bearer ${user.accessToken}`],
      ]) {
        for (const path of ['/auth/session', '/auth/verify']) {
          const response = await rawRequest(
            server,
            `GET ${path} HTTP/1.1\r\nHost: ${host}\r\nAuthorization: ${first}\r\nAuthorization: ${second}\r\nConnection: close\r\n\r\n`,
          );
          expect({ path, first: first.slice(0, 14), status: response.status }).toEqual({ path, first: first.slice(0, 14), status: 401 });
        }
      }
    });
  });
});
