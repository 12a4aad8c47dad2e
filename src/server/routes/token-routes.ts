import type { FastifyInstance } from 'fastify';
import { readCookie } from '../../core/cookie-header.js';
import { AuthenticationError, TesseraError } from '../../core/errors.js';
import type { RouteContext } from '../app.js';
import { parseBody } from '../body.js';
import { serializeClearedTokenCookies, serializeTokenCookies } from '../cookies.js';
import { sendProblem, toProblem } from '../problem.js';

/**
 * Refresh (bearer: JSON body; hybrid: the path-scoped refresh cookie, CSRF-protected) and the
 * public JWKS.
 */
export function registerTokenRoutes(app: FastifyInstance, ctx: RouteContext): void {
  const { tessera } = ctx;
  const { config } = tessera;

  app.post('/auth/refresh', async (request, reply) => {
    try {
      if (request.body !== undefined && request.body !== null) {
        // Bearer: the token is in a JSON body, which a cross-site page cannot send without a
        // preflight, and nothing ambient is involved, so no CSRF check is needed.
        const body = parseBody(request.body, { refresh_token: { type: 'string', maxLength: 200 } });
        const { pair } = await tessera.tokens.refresh(body.refresh_token, 'bearer');
        return reply.header('cache-control', 'no-store').header('pragma', 'no-cache').send({
          access_token: pair.accessToken,
          token_type: 'Bearer',
          expires_in: pair.expiresIn,
          refresh_token: pair.refreshToken,
        });
      }
      // Hybrid: the refresh cookie is ambient, so CSRF applies, bound to its session.
      const token = readCookie(request.headers, tessera.cookieNames.refresh);
      if (token === null) throw new AuthenticationError('refresh_token_invalid', 'No refresh token was presented.');
      const sessionId = token.slice(0, token.indexOf('.'));
      tessera.authenticator.assertCsrf(ctx.toAuthRequest(request), sessionId);
      const { pair, session } = await tessera.tokens.refresh(token, 'hybrid');
      reply.header('set-cookie', serializeTokenCookies(tessera.cookieNames, pair, session.expiresAt - tessera.clock.now(), config));
      return reply.header('cache-control', 'no-store').send({ expires_in: pair.expiresIn, csrfToken: tessera.csrfTokenFor(session.id) });
    } catch (error) {
      // OAuth clients look for `error: "invalid_grant"` (RFC 6749 §5.2); keep our stable code too.
      const problem = toProblem(error);
      if (error instanceof TesseraError && (problem.code === 'refresh_token_invalid' || problem.code === 'refresh_token_reused')) {
        if (request.body === undefined || request.body === null) reply.header('set-cookie', serializeClearedTokenCookies(tessera.cookieNames, config));
        return sendProblem(reply, { ...problem, error: 'invalid_grant' } as typeof problem, error);
      }
      throw error;
    }
  });

  app.get('/.well-known/jwks.json', async (_request, reply) =>
    // Verifiers may cache for 5 minutes; the next key is published an hour before it signs.
    reply.header('cache-control', 'public, max-age=300').send(tessera.keyRing.jwks()),
  );
}
