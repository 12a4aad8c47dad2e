import type { FastifyInstance, FastifyReply, FastifyRequest, RouteHandlerMethod, RouteOptions, preHandlerHookHandler } from 'fastify';
import { type AuthRequest, withRepeatedAuthorization } from '../core/request.js';
import type { Tessera } from '../core/tessera.js';
import { toProblemResponse } from './problem-response.js';
import { type AuthGuard, createAuthGuard, readCsrfFormField } from './shared.js';
import type { AuthInfo, MiddlewareOptions } from './types.js';

/**
 * Fastify preHandler hooks: `app.get('/x', { preHandler: requireAuth(tessera) }, handler)`.
 * preHandler runs after body parsing, so a form's `_csrf` is in `request.body` when the user
 * registered a urlencoded/multipart parser (e.g. @fastify/formbody). For a stable request shape
 * call `app.decorateRequest('auth', null)` once; routes without the hook then see null.
 *
 * `fuseAuthHooks` (an onRoute hook; Tessera's own server installs it) moves a Tessera hook that
 * is a route's *last* preHandler into the route's handler, where it does exactly the same work
 * without Fastify's hook runner (measured: about a tenth of a bearer request's cost here).
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

/** Marks Tessera's hooks; the value wraps a route handler in the same check. */
const FUSE = Symbol('tessera.fuseAuthHook');

/** What the in-memory decision returns for a request it refused (and answered). */
const REFUSED = Symbol('tessera.refused');

type FusableHook = preHandlerHookHandler & { [FUSE]?: (handler: RouteHandlerMethod) => RouteHandlerMethod };

/**
 * An onRoute hook: `app.addHook('onRoute', fuseAuthHooks)` before the routes are added. When a
 * route's last preHandler is `requireAuth`/`optionalAuth`, it leaves the hook chain and runs at
 * the start of the handler instead. Only the last one: it runs after every other hook either
 * way (instance hooks come before route hooks), so the order of everything the route does is
 * unchanged; a Tessera hook followed by other hooks stays a hook, since those may read
 * `request.auth`. Other routes are left alone, and running it twice changes nothing.
 */
export function fuseAuthHooks(route: RouteOptions): void {
  const own = route.preHandler as FusableHook | FusableHook[] | undefined;
  const hooks = own === undefined ? [] : Array.isArray(own) ? own : [own];
  const fuse = hooks.at(-1)?.[FUSE];
  if (fuse === undefined) return;
  // A new array, never an edit: Fastify may share the options object (e.g. its HEAD twin of a GET).
  route.preHandler = hooks.slice(0, -1) as RouteOptions['preHandler'];
  route.handler = fuse(route.handler);
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
  const toAuthRequest = (request: FastifyRequest): AuthRequest => ({
    method: request.method,
    headers: withRepeatedAuthorization(request.headers, request.raw.rawHeaders),
    ip: request.ip,
    csrfFormField: readCsrfFormField(request.headers, request.body),
  });
  /**
   * The decision from memory: the caller, null (anonymous), `undefined` (ask the store), or
   * REFUSED when the request was refused and has been answered.
   */
  const decideNow = (request: FastifyRequest, reply: FastifyReply): AuthInfo | null | undefined | typeof REFUSED => {
    try {
      return guard.authenticateNow(toAuthRequest(request));
    } catch (error) {
      refuse(reply, error);
      return REFUSED;
    }
  };
  const hook: FusableHook = function tesseraAuth(request, reply, done) {
    const decided = decideNow(request, reply);
    if (decided === REFUSED) return;
    if (decided !== undefined) {
      request.auth = decided;
      done();
      return;
    }
    guard.authenticate(toAuthRequest(request)).then(
      (auth) => {
        request.auth = auth;
        done();
      },
      (error: unknown) => refuse(reply, error),
    );
  };
  hook[FUSE] = (handler) =>
    function tesseraAuthThen(this: FastifyInstance, request: FastifyRequest, reply: FastifyReply): unknown {
      const decided = decideNow(request, reply);
      // Answered; `undefined` tells Fastify the handler took care of the reply (as a hook that
      // never calls done() does).
      if (decided === REFUSED) return undefined;
      if (decided !== undefined) {
        request.auth = decided;
        // The handler's own result, untouched: Fastify treats it exactly as without fusion.
        return handler.call(this, request, reply);
      }
      // After a store read the handler runs later, so Fastify gets a promise. A handler that
      // returned nothing (it sends through `reply`, maybe later) resolves to `reply`, which is
      // itself a thenable that settles when the response has been sent: Fastify then waits for
      // it instead of answering an empty 200. A thrown error rejects, and Fastify's error
      // handler answers it, as for a throwing handler.
      return guard.authenticate(toAuthRequest(request)).then(
        (auth) => {
          request.auth = auth;
          const result: unknown = handler.call(this, request, reply);
          return result === undefined ? reply : result;
        },
        (error: unknown) => {
          refuse(reply, error);
          return reply;
        },
      );
    } as RouteHandlerMethod;
  return hook;
}
