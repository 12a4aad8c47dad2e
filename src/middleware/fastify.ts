import type { FastifyReply, preHandlerHookHandler } from 'fastify';
import type { AuthRequest } from '../core/request.js';
import type { Tessera } from '../core/tessera.js';
import { toProblemResponse } from './problem-response.js';
import { type AuthGuard, createAuthGuard, readCsrfFormField } from './shared.js';
import type { AuthInfo, MiddlewareOptions } from './types.js';

/**
 * Fastify preHandler hooks: `app.get('/x', { preHandler: requireAuth(tessera) }, handler)`.
 * preHandler runs after body parsing, so a form's `_csrf` is in `request.body` when the user
 * registered a urlencoded/multipart parser (e.g. @fastify/formbody). For a stable request shape
 * call `app.decorateRequest('auth', null)` once; routes without the hook then see null.
 */

declare module 'fastify' {
  interface FastifyRequest {
    /** The caller (set by Tessera's requireAuth/optionalAuth); null when anonymous. */
    auth: AuthInfo | null;
  }
}

/** preHandler hook that answers 401 unless the request carries a valid credential. */
export function requireAuth(tessera: Tessera, options?: MiddlewareOptions): preHandlerHookHandler {
  return createHook(tessera, createAuthGuard(tessera, options, 'required'));
}

/** preHandler hook that lets anonymous requests through (`request.auth = null`) but refuses a bad credential. */
export function optionalAuth(tessera: Tessera, options?: MiddlewareOptions): preHandlerHookHandler {
  return createHook(tessera, createAuthGuard(tessera, options, 'optional'));
}

/**
 * A callback-style hook rather than an async one: a request memory alone can decide (the usual
 * case: a cached session, an already verified token) continues in the same tick, without the
 * promise hops an async hook costs every request. The rest wait for the store.
 */
function createHook(tessera: Tessera, guard: AuthGuard): preHandlerHookHandler {
  const refuse = (reply: FastifyReply, error: unknown): void => {
    const problem = toProblemResponse(error, tessera);
    void reply.code(problem.status).headers(problem.headers).send(problem.body);
  };
  return function tesseraAuth(request, reply, done) {
    let authRequest: AuthRequest;
    let decided: AuthInfo | null | undefined;
    try {
      authRequest = { method: request.method, headers: request.headers, ip: request.ip, csrfFormField: readCsrfFormField(request.headers, request.body) };
      decided = guard.authenticateNow(authRequest);
    } catch (error) {
      refuse(reply, error);
      return;
    }
    if (decided !== undefined) {
      request.auth = decided;
      done();
      return;
    }
    guard.authenticate(authRequest).then(
      (auth) => {
        request.auth = auth;
        done();
      },
      (error: unknown) => refuse(reply, error),
    );
  };
}
