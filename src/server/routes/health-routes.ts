import type { FastifyInstance } from 'fastify';
import type { RouteContext } from '../app.js';
import { createProblem, sendProblem } from '../problem.js';

/** Liveness, readiness (the store answers) and Prometheus metrics. */
export function registerHealthRoutes(app: FastifyInstance, ctx: RouteContext): void {
  const { tessera, observability } = ctx;

  app.get('/healthz', async (_request, reply) => reply.header('cache-control', 'no-store').send({ status: 'ok' }));

  app.get('/readyz', async (_request, reply) => {
    try {
      await tessera.stores.ping();
    } catch {
      return sendProblem(reply, createProblem(503, 'not_ready', 'The store is unreachable.'));
    }
    return reply.header('cache-control', 'no-store').send({ status: 'ready' });
  });

  app.get('/metrics', async (_request, reply) => {
    const body = await observability.registry.metrics();
    return reply.header('content-type', observability.registry.contentType).header('cache-control', 'no-store').send(body);
  });
}
