import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { send } from '../helpers/http.js';
import { type StoreKind, type TestServer } from '../helpers/server.js';
import { cookieAttributes, cookieHeader, newUser } from './support.js';
import {
  accessCookie,
  bearer,
  cookieValue,
  decodeJwtSegment,
  newBearerUser,
  newHybridUser,
  refreshHybrid,
  setCookieLine,
  startTokenServer,
} from './token-support.js';

/**
 * The hybrid carrier (JWT access token + refresh token in httpOnly cookies) and H-01: the fixed
 * precedence Authorization > session cookie > access cookie, which never skips CSRF.
 */

const SECOND = 1000;
const MINUTE = 60 * SECOND;
const SKEW = 30 * SECOND;

describe.each<StoreKind>(['memory', 'sqlite'])('hybrid carrier (%s store)', (store) => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startTokenServer(store);
  });
  afterAll(async () => server.close());

  const sameOrigin = { 'sec-fetch-site': 'same-origin' };

  describe('H-01 precedence', () => {
    it('H-01 a valid session cookie plus a bogus Authorization header is 401, with no fall-back to the cookie', async () => {
      const cookieUser = await newUser(server, { tag: 'h01cookie' });
      const hybridUser = await newHybridUser(server, 'h01hyb');
      const bogus = ['Bearer garbage', 'Bearer ', 'Basic Z3c6c2VjcmV0', 'Bearer a.b.c', `Bearer ${hybridUser.refreshToken}`];
      for (const authorization of bogus) {
        for (const cookie of [cookieHeader(server, cookieUser.token), accessCookie(server, hybridUser.accessToken)]) {
          for (const path of ['/auth/session', '/auth/verify']) {
            const response = await send(server, 'GET', path, { headers: { cookie, authorization } });
            expect({ authorization, path, status: response.status }).toEqual({ authorization, path, status: 401 });
            expect(response.headers.get('x-auth-user-id')).toBeNull();
          }
        }
      }
      // An unsafe request the same way: refused, and the cookie session is not ended.
      const logout = await send(server, 'POST', '/auth/logout', {
        headers: { cookie: cookieHeader(server, cookieUser.token), authorization: 'Bearer garbage', ...sameOrigin, 'x-csrf-token': cookieUser.csrfToken },
      });
      expect(logout.status).toBe(401);
      expect((await send(server, 'GET', '/auth/session', { headers: { cookie: cookieHeader(server, cookieUser.token) } })).status).toBe(200);
    });

    it('H-01 a valid bearer token plus a session cookie is judged as bearer: no CSRF needed, the cookie session untouched', async () => {
      const cookieUser = await newUser(server, { tag: 'h01c' });
      const bearerUser = await newBearerUser(server, 'h01b');
      const headers = { cookie: cookieHeader(server, cookieUser.token), ...bearer(bearerUser.accessToken) };

      const me = await send(server, 'GET', '/auth/session', { headers });
      expect(me.status).toBe(200);
      expect(me.body.user.id).toBe(bearerUser.userId);
      expect(me.body.session.carrier).toBe('bearer');
      expect(me.body.session.id).toBe(bearerUser.sessionId);

      const verify = await send(server, 'GET', '/auth/verify', { headers: { ...headers, 'x-forwarded-method': 'POST', 'sec-fetch-site': 'cross-site' } });
      expect(verify.status).toBe(200);
      expect(verify.headers.get('x-auth-user-id')).toBe(bearerUser.userId);
      expect(verify.headers.get('x-auth-carrier')).toBe('bearer');

      // An unsafe method with no CSRF token and even a cross-site signal: the bearer decides,
      // and bearer requests carry no ambient credential.
      const logout = await send(server, 'POST', '/auth/logout', { headers: { ...headers, 'sec-fetch-site': 'cross-site' } });
      expect(logout.status).toBe(204);
      // It ended the bearer session, not the cookie one, and cleared no session cookie.
      expect(logout.cookies.some((line) => line.startsWith(`${server.tessera.cookieNames.session}=`))).toBe(false);
      expect((await send(server, 'GET', '/auth/session', { headers: bearer(bearerUser.accessToken) })).status).toBe(401);
      expect((await send(server, 'GET', '/auth/session', { headers: { cookie: cookieHeader(server, cookieUser.token) } })).status).toBe(200);
    });

    it('H-01 a bogus session cookie next to a valid bearer token does not matter (Authorization alone decides)', async () => {
      const bearerUser = await newBearerUser(server, 'h01rev');
      const response = await send(server, 'GET', '/auth/session', {
        headers: { cookie: `${server.tessera.cookieNames.session}=bogus; ${server.tessera.cookieNames.access}=bogus`, ...bearer(bearerUser.accessToken) },
      });
      expect(response.status).toBe(200);
      expect(response.body.session.carrier).toBe('bearer');
    });

    it('H-01 an unsafe request with a valid hybrid access cookie but no CSRF token gets 403 and changes nothing', async () => {
      const user = await newHybridUser(server, 'h01x');
      const cookie = accessCookie(server, user.accessToken);
      const noToken = await send(server, 'POST', '/auth/logout', { headers: { cookie, ...sameOrigin } });
      expect(noToken.status).toBe(403);
      expect(noToken.body.code).toBe('csrf_rejected');
      const crossSite = await send(server, 'POST', '/auth/logout', { headers: { cookie, 'sec-fetch-site': 'cross-site', 'x-csrf-token': user.csrfToken } });
      expect(crossSite.status).toBe(403);
      const forwarded = await send(server, 'GET', '/auth/verify', { headers: { cookie, ...sameOrigin, 'x-forwarded-method': 'DELETE' } });
      expect(forwarded.status).toBe(403);
      expect(forwarded.body.code).toBe('csrf_rejected');
      const me = await send(server, 'GET', '/auth/session', { headers: { cookie } });
      expect(me.status).toBe(200);
      expect(me.body.session.carrier).toBe('hybrid');
    });

    it('H-01 precedence is Authorization > session cookie > access cookie', async () => {
      const bearerUser = await newBearerUser(server, 'prec-b');
      const cookieUser = await newUser(server, { tag: 'prec-c' });
      const hybridUser = await newHybridUser(server, 'prec-h');
      const sessionCookie = cookieHeader(server, cookieUser.token);
      const access = accessCookie(server, hybridUser.accessToken);

      const cookieOverAccess = await send(server, 'GET', '/auth/session', { headers: { cookie: `${access}; ${sessionCookie}` } });
      expect(cookieOverAccess.status).toBe(200);
      expect(cookieOverAccess.body.user.id).toBe(cookieUser.userId);
      expect(cookieOverAccess.body.session.carrier).toBe('cookie');

      const all = await send(server, 'GET', '/auth/session', { headers: { cookie: `${access}; ${sessionCookie}`, ...bearer(bearerUser.accessToken) } });
      expect(all.status).toBe(200);
      expect(all.body.user.id).toBe(bearerUser.userId);
      expect(all.body.session.carrier).toBe('bearer');

      const accessOnly = await send(server, 'GET', '/auth/session', { headers: { cookie: access } });
      expect(accessOnly.body.user.id).toBe(hybridUser.userId);

      // A dead session cookie is not skipped in favour of a live access cookie.
      const dead = await send(server, 'GET', '/auth/session', {
        headers: { cookie: `${server.tessera.cookieNames.session}=${cookieUser.token.slice(0, -2)}AA; ${access}` },
      });
      expect(dead.status).toBe(401);
      // The CSRF rule follows the carrier that won: the session cookie's CSRF token, not the hybrid one.
      const mixedCsrf = await send(server, 'POST', '/auth/logout', {
        headers: { cookie: `${access}; ${sessionCookie}`, ...sameOrigin, 'x-csrf-token': hybridUser.csrfToken },
      });
      expect(mixedCsrf.status).toBe(403);
      expect(mixedCsrf.body.code).toBe('csrf_rejected');
    });
  });

  describe('hybrid flow', () => {
    it('sign-in sets the access cookie (Path=/) and the refresh cookie (Path=/auth/refresh) and no token in the JSON', async () => {
      const user = await newHybridUser(server, 'flow-login');
      const { response } = user;
      const { access, refresh } = server.tessera.cookieNames;
      const { tokens } = server.tessera.config;
      expect(response.cookies.filter((line) => line.startsWith(`${access}=`) || line.startsWith(`${refresh}=`))).toHaveLength(2);
      expect(response.headers.get('cache-control')).toContain('no-store');

      const a = cookieAttributes(user.accessLine);
      expect(a.get('path')).toBe('/');
      expect(a.has('httponly')).toBe(true);
      expect(a.get('samesite')).toBe('Lax');
      expect(a.has('domain')).toBe(false);
      expect(Number(a.get('max-age'))).toBeGreaterThan(0);
      expect(Number(a.get('max-age'))).toBeLessThanOrEqual(tokens.accessTokenTtlMs / SECOND);

      const r = cookieAttributes(user.refreshLine);
      expect(r.get('path')).toBe('/auth/refresh');
      expect(r.has('httponly')).toBe(true);
      expect(r.get('samesite')).toBe('Lax');
      expect(r.has('domain')).toBe(false);
      expect(Number(r.get('max-age'))).toBeGreaterThan(0);
      expect(Number(r.get('max-age'))).toBeLessThanOrEqual(tokens.refreshAbsoluteLifetimeMs / SECOND);

      // C-05: name plus value at most 4096 bytes, for both cookies.
      for (const line of [user.accessLine, user.refreshLine]) {
        const pair = line.split(';')[0] as string;
        expect(Buffer.byteLength(pair.replace('=', ''), 'utf8')).toBeLessThanOrEqual(4096);
      }

      expect(typeof response.body.csrfToken).toBe('string');
      expect(response.body.expires_in).toBeGreaterThan(0);
      expect(response.body.expires_in).toBeLessThanOrEqual(tokens.accessTokenTtlMs / SECOND);
      expect(response.body.session.carrier).toBe('hybrid');
      expect(response.body.access_token).toBeUndefined();
      expect(response.body.refresh_token).toBeUndefined();
      expect(response.text).not.toContain(user.accessToken);
      expect(response.text).not.toContain(user.refreshToken);
      expect(decodeJwtSegment(user.accessToken, 0).typ).toBe('at+jwt');
    });

    it('access cookie works, expires, is renewed through the refresh cookie + CSRF, and logout clears both', async () => {
      const user = await newHybridUser(server, 'flow');
      const cookie = accessCookie(server, user.accessToken);
      const me = await send(server, 'GET', '/auth/session', { headers: { cookie } });
      expect(me.status).toBe(200);
      expect(me.body.session.carrier).toBe('hybrid');
      expect(me.body.session.id).toBe(user.sessionId);

      // The access token expires (lifetime plus skew).
      const { exp } = decodeJwtSegment(user.accessToken, 1) as { exp: number };
      server.clock.set(exp * SECOND + SKEW + SECOND);
      const expired = await send(server, 'GET', '/auth/session', { headers: { cookie } });
      expect(expired.status).toBe(401);
      expect(expired.body.code).toBe('token_expired');

      const refreshed = await refreshHybrid(server, user.refreshToken, { ...sameOrigin, 'x-csrf-token': user.csrfToken });
      expect(refreshed.status).toBe(200);
      expect(refreshed.headers.get('cache-control')).toContain('no-store');
      const { access, refresh } = server.tessera.cookieNames;
      const newAccessLine = setCookieLine(refreshed, access) as string;
      const newRefreshLine = setCookieLine(refreshed, refresh) as string;
      expect(newAccessLine).toBeDefined();
      expect(newRefreshLine).toBeDefined();
      expect(cookieAttributes(newRefreshLine).get('path')).toBe('/auth/refresh');
      const newAccess = cookieValue(newAccessLine);
      const newRefresh = cookieValue(newRefreshLine);
      expect(newAccess).not.toBe(user.accessToken);
      expect(newRefresh).not.toBe(user.refreshToken);
      expect(refreshed.body.access_token).toBeUndefined();
      expect(refreshed.body.refresh_token).toBeUndefined();
      expect(refreshed.text).not.toContain(newRefresh);
      expect(typeof refreshed.body.csrfToken).toBe('string');

      const newCookie = accessCookie(server, newAccess);
      const again = await send(server, 'GET', '/auth/session', { headers: { cookie: newCookie } });
      expect(again.status).toBe(200);
      expect(again.body.session.id).toBe(user.sessionId);

      const logout = await send(server, 'POST', '/auth/logout', { headers: { cookie: newCookie, ...sameOrigin, 'x-csrf-token': refreshed.body.csrfToken } });
      expect(logout.status).toBe(204);
      const clearedAccess = setCookieLine(logout, access) as string;
      const clearedRefresh = setCookieLine(logout, refresh) as string;
      expect(clearedAccess).toBeDefined();
      expect(clearedRefresh).toBeDefined();
      for (const line of [clearedAccess, clearedRefresh]) {
        expect(cookieAttributes(line).get('max-age')).toBe('0');
        expect(cookieValue(line)).toBe('');
      }
      expect(cookieAttributes(clearedRefresh).get('path')).toBe('/auth/refresh');
      expect(cookieAttributes(clearedAccess).get('path')).toBe('/');

      const afterLogout = await send(server, 'GET', '/auth/session', { headers: { cookie: newCookie } });
      expect(afterLogout.status).toBe(401);
      const verifyAfter = await send(server, 'GET', '/auth/verify', { headers: { cookie: newCookie } });
      expect(verifyAfter.status).toBe(401);
      const refreshAfter = await refreshHybrid(server, newRefresh, { ...sameOrigin, 'x-csrf-token': refreshed.body.csrfToken });
      expect(refreshAfter.status).toBe(401);
      expect(refreshAfter.body.error).toBe('invalid_grant');
    });

    it('a failed hybrid refresh clears the token cookies', async () => {
      const user = await newHybridUser(server, 'flow-fail');
      await refreshHybrid(server, user.refreshToken, { ...sameOrigin, 'x-csrf-token': user.csrfToken });
      server.clock.advance(MINUTE);
      const reused = await refreshHybrid(server, user.refreshToken, { ...sameOrigin, 'x-csrf-token': user.csrfToken });
      expect(reused.status).toBe(401);
      expect(reused.body.code).toBe('refresh_token_reused');
      const { access, refresh } = server.tessera.cookieNames;
      expect(cookieAttributes(setCookieLine(reused, access) as string).get('max-age')).toBe('0');
      expect(cookieAttributes(setCookieLine(reused, refresh) as string).get('max-age')).toBe('0');
    });

    it('a bearer refresh token is refused through the hybrid cookie, and the refused attempt rotates nothing', async () => {
      const bearerUser = await newBearerUser(server, 'cross-carrier-b');
      const viaCookie = await refreshHybrid(server, bearerUser.refreshToken, { ...sameOrigin, 'x-csrf-token': server.tessera.csrfTokenFor(bearerUser.sessionId) });
      expect(viaCookie.status).toBe(401);
      expect(viaCookie.cookies.some((line) => line.startsWith(`${server.tessera.cookieNames.access}=ey`))).toBe(false);
      // Past the grace window the genuine token still refreshes: had the refused attempt
      // rotated the chain, it would now count as reuse and end the session.
      server.clock.advance(MINUTE);
      const genuine = await send(server, 'POST', '/auth/refresh', { json: { refresh_token: bearerUser.refreshToken } });
      expect(genuine.status).toBe(200);
    });

    it('a hybrid refresh token is refused in a JSON body, and the refused attempt rotates nothing', async () => {
      const hybridUser = await newHybridUser(server, 'cross-carrier-h');
      const viaBody = await send(server, 'POST', '/auth/refresh', { json: { refresh_token: hybridUser.refreshToken } });
      expect(viaBody.status).toBe(401);
      expect(viaBody.body.access_token).toBeUndefined();
      server.clock.advance(MINUTE);
      const genuine = await refreshHybrid(server, hybridUser.refreshToken, { ...sameOrigin, 'x-csrf-token': hybridUser.csrfToken });
      expect(genuine.status).toBe(200);
    });
  });
});
