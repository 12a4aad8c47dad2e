import type { IncomingMessage, ServerResponse } from 'node:http';
import { type AuthRequest, withRepeatedAuthorization } from '../core/request.js';
import type { Tessera } from '../core/tessera.js';
import { toProblemResponse, writeNodeProblem } from './problem-response.js';
import { type AuthGuard, createAuthGuard, readCsrfFormField } from './shared.js';
import type { AuthInfo, MiddlewareOptions } from './types.js';

/**
 * node:http and connect-style middleware. Called with `next` it is middleware; called without
 * it from a plain handler it resolves to the caller. Either way, a refused request has already
 * been answered with a problem document when the promise resolves: `next` is not called, the
 * promise resolves to null and `res.writableEnded` is true, so check it before writing.
 */

/** A Node request as the middleware sees it: `body` if a body parser ran, `auth` once decided. */
export interface RequestWithAuth extends IncomingMessage {
  body?: unknown;
  /** The caller, null when anonymous (optionalAuth); absent until the middleware ran or when it refused. */
  auth?: AuthInfo | null;
}

/** The returned middleware: resolves to the caller, or null (anonymous, or refused and answered). */
export type NodeAuthMiddleware = (req: RequestWithAuth, res: ServerResponse, next?: (error?: unknown) => void) => Promise<AuthInfo | null>;

/** Middleware that answers 401 unless the request carries a valid credential. */
export function requireAuth(tessera: Tessera, options?: MiddlewareOptions): NodeAuthMiddleware {
  const guard = createAuthGuard(tessera, options, 'required');
  return async function requireTesseraAuth(req, res, next) {
    return run(guard, tessera, req, res, next);
  };
}

/** Middleware that lets anonymous requests through (`req.auth = null`) but refuses a bad credential. */
export function optionalAuth(tessera: Tessera, options?: MiddlewareOptions): NodeAuthMiddleware {
  const guard = createAuthGuard(tessera, options, 'optional');
  return async function optionalTesseraAuth(req, res, next) {
    return run(guard, tessera, req, res, next);
  };
}

async function run(guard: AuthGuard, tessera: Tessera, req: RequestWithAuth, res: ServerResponse, next?: (error?: unknown) => void): Promise<AuthInfo | null> {
  let auth: AuthInfo | null;
  try {
    auth = await guard.authenticate(toAuthRequest(req));
  } catch (error) {
    writeNodeProblem(res, toProblemResponse(error, tessera));
    return null;
  }
  req.auth = auth;
  // Outside the try: an error thrown further down the chain is not ours to turn into a 401.
  next?.();
  return auth;
}

/** The core's view of a Node request; the body is only read if a parser already produced it. */
export function toAuthRequest(req: RequestWithAuth): AuthRequest {
  return {
    // A server request always has a method; if not, '' is unsafe, so CSRF still applies.
    method: req.method ?? '',
    headers: withRepeatedAuthorization(req.headers, req.rawHeaders),
    ip: req.socket.remoteAddress ?? null,
    csrfFormField: readCsrfFormField(req.headers, req.body),
  };
}
