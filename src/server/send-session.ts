import type { FastifyReply } from 'fastify';
import { toPublicUser } from '../core/accounts.js';
import type { Session, User } from '../core/model.js';
import type { Tessera } from '../core/tessera.js';
import { serializeSessionCookie, serializeTokenCookies } from './cookies.js';
import { toSessionView } from './views.js';

/**
 * Hands a fresh session to the client in the form its carrier needs (DESIGN §4, login):
 *   cookie — the session cookie + `{user, session, csrfToken}`
 *   bearer — `{access_token, token_type, expires_in, refresh_token, user, session}` (RFC 6749 §5.1)
 *   hybrid — access and refresh cookies + `{user, session, csrfToken, expires_in}`
 * The session token of a bearer or hybrid session is never sent: those clients prove
 * themselves with tokens only.
 */
export async function sendNewSession(
  reply: FastifyReply,
  tessera: Tessera,
  result: { session: Session; user: User; token: string },
): Promise<FastifyReply> {
  const { session, user, token } = result;
  const remaining = session.expiresAt - tessera.clock.now();
  const base = { user: toPublicUser(user), session: toSessionView(session, tessera.sessions) };
  reply.code(200).header('cache-control', 'no-store').header('pragma', 'no-cache');
  if (session.carrier === 'cookie') {
    reply.header('set-cookie', serializeSessionCookie(tessera.cookieNames.session, token, remaining, tessera.config));
    return reply.send({ ...base, csrfToken: tessera.csrfTokenFor(session.id) });
  }
  const pair = await tessera.tokens.issuePair(session, user);
  if (session.carrier === 'bearer') {
    return reply.send({
      access_token: pair.accessToken,
      token_type: 'Bearer',
      expires_in: pair.expiresIn,
      refresh_token: pair.refreshToken,
      ...base,
    });
  }
  reply.header('set-cookie', serializeTokenCookies(tessera.cookieNames, pair, remaining, tessera.config));
  return reply.send({ ...base, csrfToken: tessera.csrfTokenFor(session.id), expires_in: pair.expiresIn });
}
