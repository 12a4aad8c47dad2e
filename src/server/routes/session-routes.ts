import type { FastifyInstance, FastifyReply } from 'fastify';
import { toPublicUser } from '../../core/accounts.js';
import type { AuthContext } from '../../core/authenticate.js';
import { ForbiddenError, NotFoundError } from '../../core/errors.js';
import { isSessionId } from '../../core/session-token.js';
import type { RouteContext } from '../app.js';
import { serializeClearedCookie, serializeClearedTokenCookies } from '../cookies.js';
import { toSessionListItem, toSessionView } from '../views.js';
import type { Session, User } from '../../core/model.js';

const JSON_TYPE = 'application/json; charset=utf-8';
const DOCUMENT_CACHE_SIZE = 10_000;

/** Who am I, the device list, sign-out, revocation and the CSRF token. */
export function registerSessionRoutes(app: FastifyInstance, ctx: RouteContext): void {
  const { tessera } = ctx;
  const { config, sessions } = tessera;
  const clearSessionCookie = serializeClearedCookie(tessera.cookieNames.session, config);
  const clearTokenCookies = serializeClearedTokenCookies(tessera.cookieNames, config);

  /** 204, clearing whatever cookies carried the session that just ended. */
  const noContent = (reply: FastifyReply, auth: AuthContext): FastifyReply => {
    if (auth.carrier === 'cookie') reply.header('set-cookie', clearSessionCookie);
    if (auth.carrier === 'hybrid') reply.header('set-cookie', clearTokenCookies);
    return reply.code(204).header('cache-control', 'no-store').send();
  };

  /** Ends the caller's session: the session (and with it every token by `sid`) and the presented token's `jti`. */
  const endCurrentSession = async (auth: AuthContext): Promise<void> => {
    await sessions.revokeSession(auth.session.id);
    if (auth.claims) {
      await tessera.revoke([{ kind: 'jti', value: auth.claims.jti, expiresAt: auth.claims.exp * 1000 + config.tokens.clockSkewMs }]);
    }
    tessera.events({ type: 'logout', userId: auth.user.id, sessionId: auth.session.id });
  };

  // "Who am I" is the most frequent authenticated call. Its document changes only when the
  // session is renewed (lastSeenAt) or the user record changes, so it is serialized once per
  // state and reused. Keyed by session id and checked field by field, not by object identity:
  // stores without a session cache (Redis, PostgreSQL) hand out a fresh object per request.
  const documents = new Map<string, { session: Session; user: User; body: string }>();
  const sameDocument = (cached: { session: Session; user: User }, session: Session, user: User): boolean =>
    (cached.session === session ||
      (cached.session.lastSeenAt === session.lastSeenAt &&
        cached.session.expiresAt === session.expiresAt &&
        cached.session.idleTimeoutMs === session.idleTimeoutMs &&
        cached.session.createdAt === session.createdAt &&
        cached.session.carrier === session.carrier)) &&
    (cached.user === user || (cached.user.id === user.id && cached.user.email === user.email && cached.user.createdAt === user.createdAt));
  const sessionDocument = (auth: AuthContext): string => {
    const { session, user } = auth;
    const cached = documents.get(session.id);
    if (cached !== undefined && sameDocument(cached, session, user)) return cached.body;
    const body = JSON.stringify({ user: toPublicUser(user), session: toSessionView(session, sessions) });
    // Bounded like the session cache: a flood of distinct sessions only costs re-serializing.
    if (documents.size >= DOCUMENT_CACHE_SIZE) documents.clear();
    documents.set(session.id, { session, user, body });
    return body;
  };
  const sendSessionDocument = (reply: FastifyReply, auth: AuthContext): FastifyReply =>
    reply.header('cache-control', 'no-store').type(JSON_TYPE).send(sessionDocument(auth));

  // Not async: a session already validated is answered in the same tick, without promise hops.
  app.get('/auth/session', (request, reply) => {
    const auth = ctx.requireAuthNow(request);
    // The fallback resolves to nothing: the reply is already sent, so Fastify has nothing to add.
    if (auth === undefined) {
      return ctx.requireAuth(request).then((later) => {
        sendSessionDocument(reply, later);
      });
    }
    sendSessionDocument(reply, auth);
    return undefined;
  });

  app.get('/auth/csrf', async (request, reply) => {
    const auth = await ctx.requireAuth(request);
    return reply.header('cache-control', 'no-store').send({ csrfToken: tessera.csrfTokenFor(auth.session.id) });
  });

  app.get('/auth/sessions', async (request, reply) => {
    const auth = await ctx.requireAuth(request);
    const list = await sessions.listUserSessions(auth.user.id);
    return reply
      .header('cache-control', 'no-store')
      .send({ sessions: list.map((session) => toSessionListItem(session, auth.session.id)) });
  });

  app.post('/auth/logout', async (request, reply) => {
    const auth = await ctx.requireAuth(request);
    await endCurrentSession(auth);
    return noContent(reply, auth);
  });

  app.post('/auth/logout-all', async (request, reply) => {
    const auth = await ctx.requireAuth(request);
    const revoked = await sessions.revokeUser(auth.user.id);
    tessera.events({ type: 'logout_all', userId: auth.user.id, count: revoked.length });
    return noContent(reply, auth);
  });

  app.delete<{ Params: { id: string } }>('/auth/sessions/:id', async (request, reply) => {
    const auth = await ctx.requireAuth(request);
    const { id } = request.params;
    if (id === auth.session.id) {
      await endCurrentSession(auth);
      return noContent(reply, auth);
    }
    // Ending another device needs a recent password proof (ASVS 5.0 7.5.2), so a stolen
    // session cannot lock the owner out of their own account.
    if (tessera.clock.now() - auth.session.authenticatedAt > config.session.reauthenticationWindowMs) {
      throw new ForbiddenError('reauthentication_required', 'Confirm your password (POST /auth/reauthenticate) first.');
    }
    if (!isSessionId(id) || !(await sessions.revokeUserSession(auth.user.id, id))) {
      throw new NotFoundError('No such session.');
    }
    tessera.events({ type: 'session_revoked', userId: auth.user.id, sessionId: id, by: 'user' });
    return reply.code(204).header('cache-control', 'no-store').send();
  });
}
