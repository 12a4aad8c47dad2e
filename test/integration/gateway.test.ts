import { createLocalJWKSet, jwtVerify } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { send } from '../helpers/http.js';
import { type StoreKind, type TestServer } from '../helpers/server.js';
import { browserHeaders, cookieHeader, newUser } from '../security/support.js';
import {
  CLIENT,
  basicAuth,
  bearer,
  decodeJwtSegment,
  newBearerUser,
  postForm,
  refreshBearer,
  startTokenServer,
} from '../security/token-support.js';

/**
 * The endpoints for gateways and other services over real HTTP: forward-auth (`GET /auth/verify`),
 * RFC 7662 introspection, RFC 7009 revocation, the SSE revocation feed and the JWKS (K-01).
 */

interface SseEvent {
  readonly event: string;
  readonly data: any;
}

/** An open SSE stream read with fetch: events are parsed as they arrive. */
interface SseStream {
  /** The next event matching `predicate`, or null after `timeoutMs` (bounded wait). */
  next(predicate: (event: SseEvent) => boolean, timeoutMs?: number): Promise<SseEvent | null>;
  close(): void;
  readonly status: number;
}

async function openSse(server: TestServer, headers: Record<string, string>): Promise<SseStream> {
  const controller = new AbortController();
  const response = await fetch(`${server.url}/auth/revocations`, { headers, signal: controller.signal });
  const events: SseEvent[] = [];
  let buffer = '';
  // Held in an object: TypeScript does not track assignments made inside the closures below.
  const wake: { waiter: (() => void) | null } = { waiter: null };
  const decoder = new TextDecoder();
  if (response.ok && response.body) {
    const reader = response.body.getReader();
    void (async () => {
      try {
        for (;;) {
          const { value, done } = await reader.read();
          if (done) break;
          buffer += decoder.decode(value, { stream: true });
          let end: number;
          while ((end = buffer.indexOf('\n\n')) !== -1) {
            const block = buffer.slice(0, end);
            buffer = buffer.slice(end + 2);
            let event = 'message';
            const data: string[] = [];
            for (const line of block.split('\n')) {
              if (line.startsWith('event: ')) event = line.slice(7);
              else if (line.startsWith('data: ')) data.push(line.slice(6));
            }
            events.push({ event, data: data.length > 0 ? JSON.parse(data.join('\n')) : null });
            wake.waiter?.();
          }
        }
      } catch {
        // aborted
      }
    })();
  } else {
    await response.text();
  }
  return {
    status: response.status,
    async next(predicate, timeoutMs = 5_000) {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const index = events.findIndex(predicate);
        if (index !== -1) return events.splice(index, 1)[0] as SseEvent;
        const remaining = deadline - Date.now();
        if (remaining <= 0) return null;
        await new Promise<void>((resolve) => {
          const timer = setTimeout(resolve, remaining);
          wake.waiter = () => {
            clearTimeout(timer);
            resolve();
          };
        });
        wake.waiter = null;
      }
    },
    close: () => controller.abort(),
  };
}

describe.each<StoreKind>(['memory', 'sqlite'])('gateway endpoints (%s store)', (store) => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startTokenServer(store);
  });
  afterAll(async () => server.close());

  const jwks = async (): Promise<{ keys: Array<Record<string, unknown>> }> => (await send(server, 'GET', '/.well-known/jwks.json')).body;

  describe('forward-auth GET /auth/verify', () => {
    it('a session cookie gets 200 with the user, the session and an internal at+jwt that verifies against the JWKS', async () => {
      const user = await newUser(server, { tag: 'fa' });
      const response = await send(server, 'GET', '/auth/verify', { headers: { cookie: cookieHeader(server, user.token) } });
      expect(response.status).toBe(200);
      expect(response.headers.get('cache-control')).toContain('no-store');
      expect(response.headers.get('x-auth-user-id')).toBe(user.userId);
      expect(response.headers.get('x-auth-session-id')).toBe(user.sessionId);
      const token = response.headers.get('x-auth-token');
      expect(token).toBeTruthy();

      const { tokens } = server.tessera.config;
      const { payload, protectedHeader } = await jwtVerify(token as string, createLocalJWKSet((await jwks()) as never), {
        issuer: tokens.issuer,
        audience: tokens.internalAudience,
        typ: 'at+jwt',
        algorithms: [tokens.algorithm],
        currentDate: new Date(server.clock.now()),
      });
      expect(protectedHeader.typ).toBe('at+jwt');
      expect(payload.sub).toBe(user.userId);
      expect(payload.sid).toBe(user.sessionId);
      expect(payload.aud).toBe(tokens.internalAudience);
      expect(typeof payload.jti).toBe('string');
      expect((payload.exp as number) - (payload.iat as number)).toBeLessThanOrEqual(tokens.internalTokenTtlMs / 1000);
      // It is not an access token for our own audience.
      await expect(
        jwtVerify(token as string, createLocalJWKSet((await jwks()) as never), { audience: tokens.audience, currentDate: new Date(server.clock.now()) }),
      ).rejects.toThrow();
    });

    it('no credential gets 401', async () => {
      const response = await send(server, 'GET', '/auth/verify');
      expect(response.status).toBe(401);
      expect(response.body.code).toBe('unauthenticated');
      expect(response.headers.get('x-auth-user-id')).toBeNull();
      expect(response.headers.get('x-auth-token')).toBeNull();
    });

    it('judges the original method: a forwarded POST with a cookie needs the CSRF token and a same-origin signal', async () => {
      const user = await newUser(server, { tag: 'fa-csrf' });
      const cookie = cookieHeader(server, user.token);

      const noToken = await send(server, 'GET', '/auth/verify', { headers: { cookie, 'x-forwarded-method': 'POST', 'sec-fetch-site': 'same-origin' } });
      expect(noToken.status).toBe(403);
      expect(noToken.body.code).toBe('csrf_rejected');
      expect(noToken.headers.get('x-auth-user-id')).toBeNull();

      // Lower case cannot sneak an unsafe method past the check.
      const lower = await send(server, 'GET', '/auth/verify', { headers: { cookie, 'x-forwarded-method': 'post', 'sec-fetch-site': 'same-origin' } });
      expect(lower.status).toBe(403);

      const ok = await send(server, 'GET', '/auth/verify', { headers: { ...browserHeaders(server, user.token, user.csrfToken), 'x-forwarded-method': 'POST' } });
      expect(ok.status).toBe(200);
      expect(ok.headers.get('x-auth-user-id')).toBe(user.userId);

      const crossSite = await send(server, 'GET', '/auth/verify', {
        headers: { cookie, 'x-original-method': 'DELETE', 'sec-fetch-site': 'cross-site', 'x-csrf-token': user.csrfToken },
      });
      expect(crossSite.status).toBe(403);
      expect(crossSite.body.code).toBe('csrf_rejected');

      const originalNoToken = await send(server, 'GET', '/auth/verify', { headers: { cookie, 'x-original-method': 'PUT', 'sec-fetch-site': 'same-origin' } });
      expect(originalNoToken.status).toBe(403);

      // Without Fetch Metadata the forwarded Origin decides.
      const trustedOrigin = await send(server, 'GET', '/auth/verify', {
        headers: { cookie, 'x-forwarded-method': 'PATCH', origin: server.origin, 'x-csrf-token': user.csrfToken },
      });
      expect(trustedOrigin.status).toBe(200);
      const evilOrigin = await send(server, 'GET', '/auth/verify', {
        headers: { cookie, 'x-forwarded-method': 'PATCH', origin: 'https://evil.example', 'x-csrf-token': user.csrfToken },
      });
      expect(evilOrigin.status).toBe(403);

      // A safe original method needs no token.
      const get = await send(server, 'GET', '/auth/verify', { headers: { cookie, 'x-forwarded-method': 'GET' } });
      expect(get.status).toBe(200);
    });

    it('a bearer token passes a forwarded POST without CSRF', async () => {
      const user = await newBearerUser(server, 'fa-bearer');
      const response = await send(server, 'GET', '/auth/verify', {
        headers: { ...bearer(user.accessToken), 'x-forwarded-method': 'POST', 'sec-fetch-site': 'cross-site' },
      });
      expect(response.status).toBe(200);
      expect(response.headers.get('x-auth-user-id')).toBe(user.userId);
      expect(response.headers.get('x-auth-session-id')).toBe(user.sessionId);
      expect(response.headers.get('x-auth-carrier')).toBe('bearer');
    });

    it('a malformed X-Forwarded-Method gets 400', async () => {
      const user = await newUser(server, { tag: 'fa-bad' });
      for (const method of ['P0ST', 'GET /admin', 'POST, GET', 'X'.repeat(40), '']) {
        const response = await send(server, 'GET', '/auth/verify', { headers: { cookie: cookieHeader(server, user.token), 'x-forwarded-method': method } });
        expect({ method, status: response.status }).toEqual({ method, status: 400 });
        expect(response.body.code).toBe('malformed_header');
      }
      const original = await send(server, 'GET', '/auth/verify', { headers: { cookie: cookieHeader(server, user.token), 'x-original-method': 'DEL;ETE' } });
      expect(original.status).toBe(400);
    });
  });

  describe('introspection POST /auth/introspect (RFC 7662)', () => {
    it('refuses callers without valid client credentials with 401 invalid_client', async () => {
      const user = await newBearerUser(server, 'intro-auth');
      const none = await postForm(server, '/auth/introspect', { token: user.accessToken }, {});
      expect(none.status).toBe(401);
      expect(none.body.code).toBe('invalid_client');
      expect(none.body.active).toBeUndefined();

      const wrong = await postForm(server, '/auth/introspect', { token: user.accessToken }, basicAuth(CLIENT.id, 'x'.repeat(32)));
      expect(wrong.status).toBe(401);
      expect(wrong.body.code).toBe('invalid_client');

      const unknown = await postForm(server, '/auth/introspect', { token: user.accessToken }, basicAuth('nobody', CLIENT.secret));
      expect(unknown.status).toBe(401);

      // A user's own credential is no client credential.
      const userCredential = await postForm(server, '/auth/introspect', { token: user.accessToken }, bearer(user.accessToken));
      expect(userCredential.status).toBe(401);

      // client_secret_post (RFC 6749 §2.3.1) works as well.
      const post = await postForm(server, '/auth/introspect', { token: user.accessToken, client_id: CLIENT.id, client_secret: CLIENT.secret }, {});
      expect(post.status).toBe(200);
      expect(post.body.active).toBe(true);
    });

    it('introspection and revocation take application/x-www-form-urlencoded only: a JSON body gets 415', async () => {
      const user = await newBearerUser(server, 'intro-json');
      const response = await send(server, 'POST', '/auth/introspect', { json: { token: user.accessToken }, headers: basicAuth() });
      expect(response.status).toBe(415);
      expect(response.body.active).toBeUndefined();
      const revoke = await send(server, 'POST', '/auth/revoke', { json: { token: user.accessToken }, headers: basicAuth() });
      expect(revoke.status).toBe(415);
      // Whatever the status, a refused body must not have revoked the token.
      expect((await send(server, 'GET', '/auth/session', { headers: bearer(user.accessToken) })).status).toBe(200);
    });

    it('answers active access and refresh tokens, then inactive after logout, and inactive for garbage', async () => {
      const user = await newBearerUser(server, 'intro');
      const access = await postForm(server, '/auth/introspect', { token: user.accessToken });
      expect(access.status).toBe(200);
      expect(access.headers.get('cache-control')).toContain('no-store');
      const claims = decodeJwtSegment(user.accessToken, 1);
      expect(access.body).toMatchObject({ active: true, token_type: 'access_token', sub: user.userId, sid: user.sessionId, jti: claims.jti, exp: claims.exp });

      const refresh = await postForm(server, '/auth/introspect', { token: user.refreshToken, token_type_hint: 'refresh_token' });
      expect(refresh.status).toBe(200);
      expect(refresh.body).toMatchObject({ active: true, token_type: 'refresh_token', sub: user.userId, sid: user.sessionId });
      expect(refresh.body.exp).toBeGreaterThan(server.clock.now() / 1000);
      // Without the hint too.
      const unhinted = await postForm(server, '/auth/introspect', { token: user.refreshToken });
      expect(unhinted.body).toMatchObject({ active: true, token_type: 'refresh_token' });

      for (const garbage of ['garbage', 'a.b.c', `${user.sessionId}.0.${'A'.repeat(43)}`, user.accessToken.slice(0, -4)]) {
        const response = await postForm(server, '/auth/introspect', { token: garbage });
        expect(response.status).toBe(200);
        expect(response.body).toEqual({ active: false });
      }

      expect((await send(server, 'POST', '/auth/logout', { headers: bearer(user.accessToken) })).status).toBe(204);
      const afterAccess = await postForm(server, '/auth/introspect', { token: user.accessToken });
      expect(afterAccess.body).toEqual({ active: false });
      const afterRefresh = await postForm(server, '/auth/introspect', { token: user.refreshToken, token_type_hint: 'refresh_token' });
      expect(afterRefresh.body).toEqual({ active: false });
    });

    it('a missing token is 400', async () => {
      const response = await postForm(server, '/auth/introspect', {});
      expect(response.status).toBe(400);
    });
  });

  describe('revocation POST /auth/revoke (RFC 7009)', () => {
    it('needs client credentials', async () => {
      const user = await newBearerUser(server, 'rev-auth');
      const response = await postForm(server, '/auth/revoke', { token: user.accessToken }, {});
      expect(response.status).toBe(401);
      expect(response.body.code).toBe('invalid_client');
      expect((await send(server, 'GET', '/auth/session', { headers: bearer(user.accessToken) })).status).toBe(200);
    });

    it('an unknown token gets 200', async () => {
      for (const token of ['unknown', 'a.b.c', 'x'.repeat(500)]) {
        const response = await postForm(server, '/auth/revoke', { token });
        expect(response.status).toBe(200);
      }
    });

    it('a revoked access token then gets 401; its session lives on', async () => {
      const user = await newBearerUser(server, 'rev-access');
      expect((await postForm(server, '/auth/revoke', { token: user.accessToken })).status).toBe(200);
      const me = await send(server, 'GET', '/auth/session', { headers: bearer(user.accessToken) });
      expect(me.status).toBe(401);
      expect(me.body.code).toBe('token_revoked');
      const refreshed = await refreshBearer(server, user.refreshToken);
      expect(refreshed.status).toBe(200);
    });

    it('a revoked refresh token ends its session (and with it the access tokens)', async () => {
      const user = await newBearerUser(server, 'rev-refresh');
      expect((await postForm(server, '/auth/revoke', { token: user.refreshToken, token_type_hint: 'refresh_token' })).status).toBe(200);
      expect(await server.tessera.stores.sessions.findSession(user.sessionId)).toBeNull();
      const refresh = await refreshBearer(server, user.refreshToken);
      expect(refresh.status).toBe(401);
      expect((await send(server, 'GET', '/auth/session', { headers: bearer(user.accessToken) })).status).toBe(401);
      expect((await send(server, 'GET', '/auth/verify', { headers: bearer(user.accessToken) })).status).toBe(401);
    });
  });

  describe('revocation feed GET /auth/revocations (SSE)', () => {
    it('refuses callers without client credentials', async () => {
      const user = await newUser(server, { tag: 'sse-auth' });
      const none = await send(server, 'GET', '/auth/revocations');
      expect(none.status).toBe(401);
      expect(none.body.code).toBe('invalid_client');
      const viaCookie = await send(server, 'GET', '/auth/revocations', { headers: { cookie: cookieHeader(server, user.token) } });
      expect(viaCookie.status).toBe(401);
      const wrong = await send(server, 'GET', '/auth/revocations', { headers: basicAuth(CLIENT.id, 'nope'.repeat(8)) });
      expect(wrong.status).toBe(401);
    });

    it('sends a snapshot, then a live `sid` revocation when a session signs out elsewhere', async () => {
      const user = await newUser(server, { tag: 'sse' });
      const stream = await openSse(server, basicAuth());
      try {
        expect(stream.status).toBe(200);
        const snapshot = await stream.next((e) => e.event === 'snapshot');
        expect(snapshot).not.toBeNull();
        expect(Array.isArray(snapshot?.data.revocations)).toBe(true);
        expect(typeof snapshot?.data.now).toBe('number');

        const logout = await user.browser.request('POST', '/auth/logout');
        expect(logout.status).toBe(204);
        const event = await stream.next((e) => e.event === 'revocation' && e.data?.value === user.sessionId);
        expect(event).not.toBeNull();
        expect(event?.data.kind).toBe('sid');
        expect(event?.data.expiresAt).toBeGreaterThan(server.clock.now());
      } finally {
        stream.close();
      }
    });

    it('the snapshot holds revocations made before the verifier connected', async () => {
      const user = await newBearerUser(server, 'sse-snap');
      expect((await postForm(server, '/auth/revoke', { token: user.accessToken })).status).toBe(200);
      const jti = decodeJwtSegment(user.accessToken, 1).jti;
      const stream = await openSse(server, basicAuth());
      try {
        const snapshot = await stream.next((e) => e.event === 'snapshot');
        expect(snapshot?.data.revocations.some((r: { kind: string; value: string }) => r.kind === 'jti' && r.value === jti)).toBe(true);
      } finally {
        stream.close();
      }
    });
  });

  describe('JWKS', () => {
    it('K-01 publishes only public sig keys with kid, alg and use, no duplicates, no oct; cacheable', async () => {
      // A second key (not signing yet) must be published the same way.
      await server.tessera.keyRing.rotate();
      const response = await send(server, 'GET', '/.well-known/jwks.json');
      expect(response.status).toBe(200);
      const cacheControl = response.headers.get('cache-control') ?? '';
      expect(cacheControl).toMatch(/\bpublic\b/);
      expect(cacheControl).toMatch(/\bmax-age=\d+/);
      expect(Number(/max-age=(\d+)/.exec(cacheControl)?.[1])).toBeGreaterThan(0);
      const { keys } = response.body as { keys: Array<Record<string, unknown>> };
      expect(keys.length).toBeGreaterThanOrEqual(2);
      const kids = keys.map((k) => k.kid);
      expect(new Set(kids).size).toBe(kids.length);
      for (const key of keys) {
        expect(typeof key.kid).toBe('string');
        expect((key.kid as string).length).toBeGreaterThan(0);
        expect(key.alg).toBe('ES256');
        expect(key.use).toBe('sig');
        expect(key.kty).toBe('EC');
        expect(key.crv).toBe('P-256');
        for (const secret of ['d', 'p', 'q', 'dp', 'dq', 'qi', 'k', 'oth']) expect(key).not.toHaveProperty(secret);
        expect(key.kty).not.toBe('oct');
        if (key.key_ops !== undefined) expect(key.key_ops).toEqual(['verify']);
      }
      // The signing key of a fresh token is among them.
      const user = await newBearerUser(server, 'jwks');
      expect(kids).toContain(decodeJwtSegment(user.accessToken, 0).kid);
    });
  });
});
