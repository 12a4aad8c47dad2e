import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AuthenticationError, ForbiddenError } from '../../src/core/errors.js';
import type { AuthRequest } from '../../src/core/request.js';
import { type TestServer, startTestServer } from '../helpers/server.js';
import { send } from '../helpers/http.js';
import { cookieHeader, newUser, register, uniqueEmail, withBigLimits } from './support.js';

/**
 * The synchronous path (`authenticateNow`) answers most requests from memory. It must apply
 * every rule the async path applies — expiry, revocation, disabled users, CSRF, token
 * revocation — and hand anything it cannot decide to the async path (`undefined`), never a
 * stale "yes". Each case runs against both stores that cache (memory, SQLite).
 */
describe.each(['memory', 'sqlite'] as const)('authenticateNow, the synchronous path (%s store)', (store) => {
  let server: TestServer;
  let userId: string;
  const MINUTE = 60_000;

  beforeAll(async () => {
    server = await startTestServer({ store, overrides: withBigLimits() });
    userId = await register(server, uniqueEmail('now'));
  });
  afterAll(() => server.close());

  const cookieRequest = (token: string, method = 'GET', extra: Record<string, string> = {}): AuthRequest => ({
    method,
    headers: { cookie: `${server.tessera.cookieNames.session}=${token}`, ...extra },
    ip: null,
  });
  const bearerRequest = (token: string): AuthRequest => ({ method: 'GET', headers: { authorization: `Bearer ${token}` }, ip: null });
  const newCookieSession = async (): Promise<{ token: string; sessionId: string }> => {
    const { session, token } = await server.tessera.sessions.createSession(userId, 'cookie', { ip: null, userAgent: null });
    return { token, sessionId: session.id };
  };

  it('defers a credential it has not verified yet, and decides it from memory afterwards', async () => {
    const { token, sessionId } = await newCookieSession();
    const { authenticator } = server.tessera;
    expect(authenticator.authenticateNow(cookieRequest(token))).toBeUndefined();
    const first = await authenticator.authenticate(cookieRequest(token));
    expect(first?.session.id).toBe(sessionId);
    const now = authenticator.authenticateNow(cookieRequest(token));
    expect(now?.session.id).toBe(sessionId);
    expect(now?.user.id).toBe(userId);
    expect(now?.carrier).toBe('cookie');
  });

  it('never vouches for a guess: a wrong secret for a cached session is deferred, then refused', async () => {
    const { token } = await newCookieSession();
    await server.tessera.authenticator.authenticate(cookieRequest(token));
    const [id, secret] = token.split('.') as [string, string];
    const wrong = `${id}.${secret.slice(0, -2)}${secret.endsWith('AA') ? 'BB' : 'AA'}`;
    expect(server.tessera.authenticator.authenticateNow(cookieRequest(wrong))).toBeUndefined();
    await expect(server.tessera.authenticator.authenticate(cookieRequest(wrong))).rejects.toMatchObject({ code: 'invalid_session' });
  });

  it('applies CSRF to an unsafe method of a cached cookie session', async () => {
    const { token, sessionId } = await newCookieSession();
    await server.tessera.authenticator.authenticate(cookieRequest(token));
    expect(() => server.tessera.authenticator.authenticateNow(cookieRequest(token, 'POST'))).toThrow(ForbiddenError);
    const sameOrigin = { origin: server.tessera.config.publicUrl, 'x-csrf-token': server.tessera.csrfTokenFor(sessionId) };
    expect(server.tessera.authenticator.authenticateNow(cookieRequest(token, 'POST', sameOrigin))?.session.id).toBe(sessionId);
    // Someone else's CSRF token is no token.
    const other = await newCookieSession();
    const foreign = { origin: server.tessera.config.publicUrl, 'x-csrf-token': server.tessera.csrfTokenFor(other.sessionId) };
    expect(() => server.tessera.authenticator.authenticateNow(cookieRequest(token, 'POST', foreign))).toThrow(ForbiddenError);
  });

  it('a revoked session is no longer decided from memory and is refused', async () => {
    const { token, sessionId } = await newCookieSession();
    await server.tessera.authenticator.authenticate(cookieRequest(token));
    await server.tessera.sessions.revokeSession(sessionId);
    expect(server.tessera.authenticator.authenticateNow(cookieRequest(token))).toBeUndefined();
    await expect(server.tessera.authenticator.authenticate(cookieRequest(token))).rejects.toBeInstanceOf(AuthenticationError);
  });

  it('refuses a cached session past its idle timeout, and defers one whose renewal write is due', async () => {
    const { token } = await newCookieSession();
    await server.tessera.authenticator.authenticate(cookieRequest(token));
    const { touchIntervalMs, idleTimeoutMs } = server.tessera.config.session;
    server.clock.advance(touchIntervalMs);
    expect(server.tessera.authenticator.authenticateNow(cookieRequest(token))).toBeUndefined(); // renewal is a write
    expect(await server.tessera.authenticator.authenticate(cookieRequest(token))).not.toBeNull();
    expect(server.tessera.authenticator.authenticateNow(cookieRequest(token))).not.toBeUndefined();
    server.clock.advance(idleTimeoutMs + MINUTE);
    expect(() => server.tessera.authenticator.authenticateNow(cookieRequest(token))).toThrow(AuthenticationError);
  });

  it('bearer: a verified token of a cached session is decided from memory; revoking the session refuses it at once', async () => {
    const { session } = await server.tessera.sessions.createSession(userId, 'bearer', { ip: null, userAgent: null });
    const user = await server.tessera.stores.users.findUserById(userId);
    const pair = await server.tessera.tokens.issuePair(session, user!);
    const request = bearerRequest(pair.accessToken);
    expect((await server.tessera.authenticator.authenticate(request))?.carrier).toBe('bearer');
    const now = server.tessera.authenticator.authenticateNow(request);
    expect(now?.session.id).toBe(session.id);
    expect(now?.claims?.sid).toBe(session.id);
    await server.tessera.sessions.revokeSession(session.id);
    expect(() => server.tessera.authenticator.authenticateNow(request)).toThrow(AuthenticationError);
  });

  it('a malformed Authorization header is refused synchronously, never deferred', () => {
    expect(() => server.tessera.authenticator.authenticateNow({ method: 'GET', headers: { authorization: 'Basic abc' }, ip: null })).toThrow(AuthenticationError);
    expect(() => server.tessera.authenticator.authenticateNow(bearerRequest('not.a.jwt'))).toThrow(AuthenticationError);
  });

  it('no credential at all is a definite null', () => {
    expect(server.tessera.authenticator.authenticateNow({ method: 'GET', headers: {}, ip: null })).toBeNull();
  });
});

describe('GET /auth/session answered from memory stays true to the session', () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer({ store: 'sqlite', overrides: withBigLimits() });
  });
  afterAll(() => server.close());

  it('the reused document follows renewal (lastSeenAt) and ends with the session', async () => {
    const user = await newUser(server, { tag: 'doc' });
    const headers = { cookie: cookieHeader(server, user.token) };
    const first = await send(server, 'GET', '/auth/session', { headers });
    const second = await send(server, 'GET', '/auth/session', { headers });
    expect(first.status).toBe(200);
    expect(second.text).toBe(first.text);
    expect(second.headers.get('content-type')).toMatch(/^application\/json/);
    server.clock.advance(server.tessera.config.session.touchIntervalMs);
    const renewed = await send(server, 'GET', '/auth/session', { headers });
    expect(renewed.body.session.lastSeenAt).toBe(new Date(server.clock.now()).toISOString());
    expect(renewed.body.session.lastSeenAt).not.toBe(first.body.session.lastSeenAt);
    const again = await send(server, 'GET', '/auth/session', { headers });
    expect(again.text).toBe(renewed.text);
    await server.tessera.sessions.revokeSession(user.sessionId);
    expect((await send(server, 'GET', '/auth/session', { headers })).status).toBe(401);
  });
});
