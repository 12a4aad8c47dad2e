import Fastify, { type FastifyInstance, type FastifyRequest } from 'fastify';
import type { AuthContext } from '../core/authenticate.js';
import { AuthenticationError } from '../core/errors.js';
import type { AuthRequest, RequestHeaders } from '../core/request.js';
import type { Tessera } from '../core/tessera.js';
import { serializeClearedCookie } from './cookies.js';
import type { Observability } from './observability.js';
import { createProblem, rawProblemResponse, sendProblem, toProblem } from './problem.js';
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
 * Node keeps only the first of several `Authorization` headers. Two credentials in one request
 * are ambiguous, and "first one wins" would let a proxy and a client disagree about who the
 * caller is, so a repeated header is handed to the core as a list, which it refuses.
 */
function withRepeatedAuthorization(request: FastifyRequest): RequestHeaders {
  const raw = request.raw.rawHeaders;
  let count = 0;
  for (let i = 0; i < raw.length; i += 2) if ((raw[i] as string).length === 13 && (raw[i] as string).toLowerCase() === 'authorization') count++;
  if (count < 2) return request.headers;
  const values = raw.filter((_, i) => i % 2 === 1 && (raw[i - 1] as string).toLowerCase() === 'authorization');
  return { ...request.headers, authorization: values };
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
    headers: withRepeatedAuthorization(request),
    ip: request.ip ?? null,
  });

  // Label children resolved once: inc({ result }) would hash the labels on every request.
  const validations = {
    valid: observability.metrics.sessionValidations.labels({ result: 'valid' }),
    invalid: observability.metrics.sessionValidations.labels({ result: 'invalid' }),
    refused: observability.metrics.sessionValidations.labels({ result: 'refused' }),
    missing: observability.metrics.sessionValidations.labels({ result: 'missing' }),
  };
  const requireAuthOf = async (request: AuthRequest): Promise<AuthContext> => {
    let context: AuthContext | null;
    try {
      context = await tessera.authenticator.authenticate(request);
    } catch (error) {
      (error instanceof AuthenticationError ? validations.invalid : validations.refused).inc();
      throw error;
    }
    if (!context) {
      validations.missing.inc();
      throw new AuthenticationError('unauthenticated', 'Sign in first.');
    }
    validations.valid.inc();
    return context;
  };
  const requireAuth = (request: FastifyRequest): Promise<AuthContext> => requireAuthOf(toAuthRequest(request));
  const closeCallbacks: Array<() => void> = [];
  let closing = false;
  app.addHook('preClose', (done) => {
    closing = true;
    for (const callback of closeCallbacks.splice(0)) callback();
    done();
  });
  // A request arriving on a kept-alive connection while the server drains is told so, and its
  // connection is closed so the client reconnects to a live node.
  app.addHook('onRequest', (_request, reply, done) => {
    if (!closing) return done();
    reply.header('connection', 'close');
    void sendProblem(reply, createProblem(503, 'not_ready', 'The server is shutting down.'));
  });

  const clearSessionCookie = serializeClearedCookie(tessera.cookieNames.session, config);
  app.setErrorHandler((error, request, reply) => {
    const problem = toProblem(error);
    if (problem.status >= 500 && problem.code !== 'store_unavailable') {
      observability.logger.error({ err: error, route: request.routeOptions.url }, 'request failed');
    }
    return sendProblem(reply, problem, error, clearSessionCookie);
  });
  app.setNotFoundHandler((_request, reply) => sendProblem(reply, createProblem(404, 'not_found', 'No such endpoint.')));

  // prom-client hashes a label object on every observe(); the few route × method × status
  // combinations are resolved to their child series once and reused (hot path).
  const { requestDuration } = observability.metrics;
  const series = new Map<string, { observe(value: number): void }>();
  app.addHook('onResponse', (request, reply, done) => {
    const route = request.routeOptions.url ?? 'unmatched';
    const key = `${route} ${request.method} ${reply.statusCode}`;
    let child = series.get(key);
    if (!child) {
      child = requestDuration.labels({ route, method: request.method, status: String(reply.statusCode) });
      if (series.size < 1000) series.set(key, child);
    }
    child.observe(reply.elapsedTime / 1000);
    done();
  });

  const context: RouteContext = {
    tessera,
    observability,
    toAuthRequest,
    requireAuth,
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
