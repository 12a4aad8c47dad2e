import type { NextFunction, Request, RequestHandler, Response } from 'express';
import { withRepeatedAuthorization } from '../core/request.js';
import type { Tessera } from '../core/tessera.js';
import { toProblemResponse, writeNodeProblem } from './problem-response.js';
import { type AuthGuard, createAuthGuard, readCsrfFormField } from './shared.js';
import type { AuthInfo, MiddlewareOptions } from './types.js';

/**
 * Express 5 middleware. Types only: Express is the user's dependency, and the middleware index
 * loads every adapter, so a runtime import here would make Express a dependency of everyone.
 * `_csrf` is read from `req.body` if the user's body parser (`express.urlencoded()`, multer)
 * ran before; the stream itself is never touched.
 */

declare global {
  // Express's documented way to add request properties is merging into its global namespace.
  // eslint-disable-next-line @typescript-eslint/no-namespace
  namespace Express {
    interface Request {
      /** The caller (set by Tessera's requireAuth/optionalAuth); null when anonymous. */
      auth?: AuthInfo | null;
    }
  }
}

/** Middleware that answers 401 unless the request carries a valid credential. */
export function requireAuth(tessera: Tessera, options?: MiddlewareOptions): RequestHandler {
  const guard = createAuthGuard(tessera, options, 'required');
  return async function requireTesseraAuth(req, res, next) {
    await run(guard, tessera, req, res, next);
  };
}

/** Middleware that lets anonymous requests through (`req.auth = null`) but refuses a bad credential. */
export function optionalAuth(tessera: Tessera, options?: MiddlewareOptions): RequestHandler {
  const guard = createAuthGuard(tessera, options, 'optional');
  return async function optionalTesseraAuth(req, res, next) {
    await run(guard, tessera, req, res, next);
  };
}

async function run(guard: AuthGuard, tessera: Tessera, req: Request, res: Response, next: NextFunction): Promise<void> {
  let auth: AuthInfo | null;
  try {
    // req.ip honours the app's 'trust proxy' setting, so it is the client the user configured.
    auth = await guard.authenticate({ method: req.method, headers: withRepeatedAuthorization(req.headers, req.rawHeaders), ip: req.ip ?? null, csrfFormField: readCsrfFormField(req.headers, req.body) });
  } catch (error) {
    writeNodeProblem(res, toProblemResponse(error, tessera));
    return;
  }
  req.auth = auth;
  next();
}
