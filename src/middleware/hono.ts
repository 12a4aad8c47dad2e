import type { Context, MiddlewareHandler, Next } from 'hono';
import type { ContentfulStatusCode } from 'hono/utils/http-status';
import type { Tessera } from '../core/tessera.js';
import { toProblemResponse } from './problem-response.js';
import { type AuthGuard, createAuthGuard, mayNeedFormToken, readCsrfFormField } from './shared.js';
import type { AuthInfo, MiddlewareOptions } from './types.js';

/**
 * Hono middleware: `app.use('/app/*', requireAuth(tessera))`, then `c.get('auth')`. Types only
 * from Hono (the middleware index loads every adapter). Hono parses no body before handlers, so
 * for an unsafe form post without an `X-CSRF-Token` header we read the form with
 * `c.req.parseBody()`: Hono caches the raw bytes and the parsed form on the request, so the
 * user's handler can still call `parseBody()`, `formData()` or `text()` afterwards.
 */

/** The variables this middleware sets; use as `new Hono<TesseraEnv>()` for typed `c.get('auth')`. */
export interface TesseraEnv {
  Variables: { auth: AuthInfo | null };
}

/** Middleware that answers 401 unless the request carries a valid credential. */
export function requireAuth(tessera: Tessera, options?: MiddlewareOptions): MiddlewareHandler<TesseraEnv> {
  const guard = createAuthGuard(tessera, options, 'required');
  return async function requireTesseraAuth(c, next) {
    return run(guard, tessera, c, next);
  };
}

/** Middleware that lets anonymous requests through (`auth` null) but refuses a bad credential. */
export function optionalAuth(tessera: Tessera, options?: MiddlewareOptions): MiddlewareHandler<TesseraEnv> {
  const guard = createAuthGuard(tessera, options, 'optional');
  return async function optionalTesseraAuth(c, next) {
    return run(guard, tessera, c, next);
  };
}

async function run(guard: AuthGuard, tessera: Tessera, c: Context<TesseraEnv>, next: Next): Promise<Response | undefined> {
  let auth: AuthInfo | null;
  try {
    // Fetch `Headers` join a repeated header with ", ", so two Authorization headers arrive as
    // one value the strict token parser refuses (H-01) — no rawHeaders check needed here.
    const headers = c.req.header();
    // `all: true` turns a repeated `_csrf` into an array, which readCsrfFormField refuses.
    const body = mayNeedFormToken(guard, c.req.method, headers) ? await c.req.parseBody({ all: true }).catch(() => undefined) : undefined;
    // No portable client address in Hono (it depends on the runtime); the core does not need one.
    auth = await guard.authenticate({ method: c.req.method, headers, ip: null, csrfFormField: readCsrfFormField(headers, body) });
  } catch (error) {
    const problem = toProblemResponse(error, tessera);
    // Problems are always 4xx/5xx with a body, which is what ContentfulStatusCode means.
    return c.body(problem.body, problem.status as ContentfulStatusCode, problem.headers);
  }
  c.set('auth', auth);
  await next();
  return undefined;
}
