import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import Fastify, { type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify';
import type { AuthContext } from '../core/authenticate.js';
import { AuthenticationError } from '../core/errors.js';
import { type AuthRequest, withRepeatedAuthorization } from '../core/request.js';
import type { Tessera } from '../core/tessera.js';
import { fuseAuthHooks } from '../middleware/fastify.js';
import { serializeClearedCookie } from './cookies.js';
import type { Observability } from './observability.js';
import { UNMATCHED_ROUTE, markRoute, recordRequestLatency } from './request-latency.js';
import { createProblem, problemHeaders, rawProblemResponse, sendProblem, toProblem } from './problem.js';
import { registerAccountRoutes } from './routes/account-routes.js';
import { registerHealthRoutes } from './routes/health-routes.js';
import { registerSessionRoutes } from './routes/session-routes.js';
import { registerGatewayRoutes } from './routes/gateway-routes.js';
import { registerTokenRoutes } from './routes/token-routes.js';
import { registerPages } from './pages/index.js';

/**
 * The HTTP server: Fastify with our error mapping, strict body parsing and the auth routes.
 * Routes stay thin; every rule lives in the core.
 */

/** What route modules get. */
export interface RouteContext {
  readonly tessera: Tessera;
  readonly observability: Observability;
  /** The core's view of a Fastify request. */
  toAuthRequest(request: FastifyRequest): AuthRequest;
  /** The caller, or a 401 `unauthenticated` (CSRF enforced for cookie-carried unsafe methods). */
  requireAuth(request: FastifyRequest): Promise<AuthContext>;
  /**
   * `requireAuth` without waiting when memory alone can decide (see `authenticateNow`), else
   * `undefined`: hot routes answer synchronously and fall back to `requireAuth`.
   */
  requireAuthNow(request: FastifyRequest): AuthContext | undefined;
  /** The same for an already-built core request. */
  requireAuthNowOf(request: AuthRequest): AuthContext | undefined;
  /** The same for an already-built core request (forward-auth judges the original request). */
  requireAuthOf(request: AuthRequest): Promise<AuthContext>;
  /** Interval of SSE heartbeats. */
  readonly heartbeatMs: number;
  /** Runs `callback` when the server closes (ends long-lived streams so close() can finish). */
  onClose(callback: () => void): void;
}

/** Options of the HTTP server. */
export interface ServerOptions {
  readonly heartbeatMs?: number;
}

/**
 * From the start of shutdown, a request arriving on a kept-alive connection is answered 503
 * `not_ready` before Fastify routes it, and its connection is closed so the client reconnects
 * to a live node; requests already in flight finish normally. Taking over the server's
 * `request` listener at close costs nothing until then, where an onRequest hook would cost
 * every request for the whole life of the server.
 */
function refuseNewRequests(server: Server): void {
  const problem = createProblem(503, 'not_ready', 'The server is shutting down.');
  const body = JSON.stringify(problem);
  const headers = { ...problemHeaders(problem, undefined), 'content-length': String(Buffer.byteLength(body)), connection: 'close' };
  server.removeAllListeners('request');
  server.on('request', (_request: IncomingMessage, response: ServerResponse) => {
    response.writeHead(503, headers).end(body);
  });
}

/** Builds the Fastify app (not listening yet). */
export async function buildServer(tessera: Tessera, observability: Observability, options: ServerOptions = {}): Promise<FastifyInstance> {
  const { config } = tessera;
  const app = Fastify({
    logger: false,
    bodyLimit: config.bodyLimitBytes,
    trustProxy: config.trustProxy,
    onProtoPoisoning: 'error',
    onConstructorPoisoning: 'error',
    // Our own 503 during shutdown (below), so it is a problem document like every other error.
    return503OnClosing: false,
    // Fastify answers bad URLs itself, echoing the path; route them through our problem mapping.
    frameworkErrors: (error, _request, reply) => {
      void sendProblem(reply, toProblem(error), error);
    },
    routerOptions: { maxParamLength: 200 },
    // Errors Node raises before a request object exists (malformed request line, oversized
    // headers) still get a problem document instead of Node's bare 400/431.
    clientErrorHandler: (error, socket) => {
      if (!socket.writable) return;
      const code = (error as NodeJS.ErrnoException).code;
      const response =
        code === 'HPE_HEADER_OVERFLOW'
          ? rawProblemResponse(431, 'headers_too_large', 'The request headers are too large.')
          : code === 'ERR_HTTP_REQUEST_TIMEOUT'
            ? rawProblemResponse(408, 'bad_request', 'The request took too long.')
            : rawProblemResponse(400, 'bad_request', 'The request is malformed.');
      socket.end(response);
    },
  });

  // JSON only: text/plain is a "simple" content type a cross-site form or no-cors
  // fetch can send without a CORS preflight, so it must not reach the API.
  app.removeContentTypeParser('text/plain');

  const toAuthRequest = (request: FastifyRequest): AuthRequest => ({
    method: request.method,
    headers: withRepeatedAuthorization(request.headers, request.raw.rawHeaders),
    ip: request.ip ?? null,
  });

  // Label children resolved once: inc({ result }) would hash the labels on every request.
  const validations = {
    valid: observability.metrics.sessionValidations.labels({ result: 'valid' }),
    invalid: observability.metrics.sessionValidations.labels({ result: 'invalid' }),
    refused: observability.metrics.sessionValidations.labels({ result: 'refused' }),
    missing: observability.metrics.sessionValidations.labels({ result: 'missing' }),
  };
  const countFailure = (error: unknown): void => {
    (error instanceof AuthenticationError ? validations.invalid : validations.refused).inc();
  };
  const required = (context: AuthContext | null): AuthContext => {
    if (!context) {
      validations.missing.inc();
      throw new AuthenticationError('unauthenticated', 'Sign in first.');
    }
    validations.valid.inc();
    return context;
  };
  const requireAuthOf = async (request: AuthRequest): Promise<AuthContext> => {
    let context: AuthContext | null;
    try {
      context = await tessera.authenticator.authenticate(request);
    } catch (error) {
      countFailure(error);
      throw error;
    }
    return required(context);
  };
  const requireAuthNowOf = (request: AuthRequest): AuthContext | undefined => {
    let context: AuthContext | null | undefined;
    try {
      context = tessera.authenticator.authenticateNow(request);
    } catch (error) {
      countFailure(error);
      throw error;
    }
    return context === undefined ? undefined : required(context);
  };
  const requireAuthNow = (request: FastifyRequest): AuthContext | undefined => requireAuthNowOf(toAuthRequest(request));
  const requireAuth = (request: FastifyRequest): Promise<AuthContext> => requireAuthOf(toAuthRequest(request));
  const closeCallbacks: Array<() => void> = [];
  app.addHook('preClose', (done) => {
    for (const callback of closeCallbacks.splice(0)) callback();
    refuseNewRequests(app.server);
    done();
  });

  const clearSessionCookie = serializeClearedCookie(tessera.cookieNames.session, config);
  app.setErrorHandler((error, request, reply) => {
    // Errors before the handler ran (body parsing, a route hook) still count under the route.
    markRoute(request.raw, request.routeOptions.url);
    const problem = toProblem(error);
    if (problem.status >= 500 && problem.code !== 'store_unavailable') {
      observability.logger.error({ err: error, route: request.routeOptions.url }, 'request failed');
    }
    return sendProblem(reply, problem, error, clearSessionCookie);
  });
  // Request latency comes from Node's HTTP diagnostics channels (request-latency.ts); here
  // each route only names itself on the raw request. Its handler is wrapped once, at
  // registration: a property write per request instead of an onResponse hook.
  const stopLatency = recordRequestLatency(app.server, observability.metrics.requestDuration);
  app.addHook('onClose', (_instance, done) => {
    stopLatency();
    done();
  });
  app.addHook('onRoute', (route) => {
    // An app's route guarded by the middleware (`startServer({ configure })`) gets the check in
    // its handler rather than a hook of its own: the same work without the hook runner.
    fuseAuthHooks(route);
    const label = route.url;
    const handler = route.handler;
    route.handler = function labelled(this: FastifyInstance, request: FastifyRequest, reply: FastifyReply) {
      markRoute(request.raw, label);
      return handler.call(this, request, reply);
    };
    // A route with hooks of its own (e.g. the requireAuth middleware) names itself in its first
    // hook, so a request that hook refuses still counts under the route: the hook is wrapped,
    // not joined by another one (each hook in the chain costs every request).
    for (const phase of ['onRequest', 'preParsing', 'preValidation', 'preHandler'] as const) {
      const own: unknown = route[phase];
      if (own === undefined) continue;
      type Hook = (this: unknown, request: FastifyRequest, a: unknown, b: unknown, c: unknown) => unknown;
      const hooks = (Array.isArray(own) ? [...own] : [own]) as Hook[];
      const first = hooks[0];
      if (first === undefined) continue;
      // Fixed arity (reply, done — or reply, payload, done for preParsing), not a rest/spread
      // pair, which would allocate an array and take the generic call path on every request.
      hooks[0] = function labelledHook(this: unknown, request: FastifyRequest, a: unknown, b: unknown, c: unknown): unknown {
        markRoute(request.raw, label);
        return first.call(this, request, a, b, c);
      };
      (route as unknown as Record<string, unknown>)[phase] = hooks;
      break;
    }
  });
  app.setNotFoundHandler((request, reply) => {
    markRoute(request.raw, UNMATCHED_ROUTE);
    return sendProblem(reply, createProblem(404, 'not_found', 'No such endpoint.'));
  });

  const context: RouteContext = {
    tessera,
    observability,
    toAuthRequest,
    requireAuth,
    requireAuthNow,
    requireAuthNowOf,
    requireAuthOf,
    heartbeatMs: options.heartbeatMs ?? 15_000,
    onClose: (callback) => void closeCallbacks.push(callback),
  };
  registerAccountRoutes(app, context);
  registerSessionRoutes(app, context);
  registerTokenRoutes(app, context);
  registerGatewayRoutes(app, context);
  registerHealthRoutes(app, context);
  registerPages(app, context);
  return app;
}
