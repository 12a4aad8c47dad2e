/**
 * Middleware that protects a user's own routes with Tessera, one namespace per framework:
 * `import { express } from 'tessera/middleware'; app.use(express.requireAuth(tessera))`.
 * Every adapter only imports its framework's types, so none of them needs the others installed.
 */

/** node:http and connect-style middleware. */
export * as nodeHttp from './node-http.js';
/** Express 5 middleware. */
export * as express from './express.js';
/** Fastify preHandler hooks. */
export * as fastify from './fastify.js';
/** Hono middleware. */
export * as hono from './hono.js';
/** Turning a refused request into a problem response (for custom adapters). */
export { type ProblemResponse, toProblemResponse } from './problem-response.js';
export type { AuthInfo, AuthSession, AuthUser, MiddlewareOptions } from './types.js';
