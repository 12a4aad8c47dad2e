import type { FastifyReply, FastifyRequest, preHandlerAsyncHookHandler } from 'fastify';
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
export function requireAuth(tessera: Tessera, options?: MiddlewareOptions): preHandlerAsyncHookHandler {
  const guard = createAuthGuard(tessera, options, 'required');
  return async function requireTesseraAuth(request, reply) {
    return run(guard, tessera, request, reply);
  };
}

/** preHandler hook that lets anonymous requests through (`request.auth = null`) but refuses a bad credential. */
export function optionalAuth(tessera: Tessera, options?: MiddlewareOptions): preHandlerAsyncHookHandler {
  const guard = createAuthGuard(tessera, options, 'optional');
  return async function optionalTesseraAuth(request, reply) {
    return run(guard, tessera, request, reply);
  };
}

async function run(guard: AuthGuard, tessera: Tessera, request: FastifyRequest, reply: FastifyReply): Promise<FastifyReply | undefined> {
  let auth: AuthInfo | null;
  try {
    const csrfFormField = readCsrfFormField(request.headers, request.body);
    auth = await guard.authenticate({ method: request.method, headers: request.headers, ip: request.ip, csrfFormField });
  } catch (error) {
    const problem = toProblemResponse(error, tessera);
    // Returning the reply after send() is how an async hook ends the request in Fastify.
    return reply.code(problem.status).headers(problem.headers).send(problem.body);
  }
  request.auth = auth;
  return undefined;
}
