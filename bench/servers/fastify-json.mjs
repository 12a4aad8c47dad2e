/**
 * Diagnostic baseline for the breakdown suite: a bare Fastify 5 route answering `GET /` with a
 * given JSON document (BENCH_RESPONSE_BODY — Tessera's own `GET /auth/session` answer, captured
 * by the harness) and `Cache-Control: no-store`, as Tessera does, but with no authentication at
 * all. The object is serialised on every request, as Tessera's is. The gap between this and the
 * hello-world is what the response itself costs; the gap between this and Tessera is what
 * authenticating and building the answer cost.
 *
 * BENCH_METRICS=1 adds the same Prometheus work Tessera does per request (a counter increment
 * and an `onResponse` histogram observation labelled by route, method and status, both through
 * label children resolved once, as src/server/app.ts does).
 */
import Fastify from 'fastify';
import { Counter, Histogram, Registry } from 'prom-client';
import { failStartup, serveUntilStopped } from '../lib/processes.mjs';

try {
  const document = JSON.parse(process.env.BENCH_RESPONSE_BODY ?? '{"hello":"world"}');
  const app = Fastify({ logger: false });
  let count = () => {};
  if (process.env.BENCH_METRICS === '1') {
    const registry = new Registry();
    const counter = new Counter({ name: 'validations_total', help: 'x', labelNames: ['result'], registers: [registry] });
    const histogram = new Histogram({
      name: 'http_request_duration_seconds',
      help: 'x',
      labelNames: ['route', 'method', 'status'],
      buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1],
      registers: [registry],
    });
    // As Tessera does it: label children resolved once, not a label object hashed per request.
    const valid = counter.labels({ result: 'valid' });
    count = () => valid.inc();
    const series = new Map();
    app.addHook('onResponse', (request, reply, done) => {
      const route = request.routeOptions.url ?? 'unmatched';
      const key = `${route} ${request.method} ${reply.statusCode}`;
      let child = series.get(key);
      if (!child) {
        child = histogram.labels({ route, method: request.method, status: String(reply.statusCode) });
        series.set(key, child);
      }
      child.observe(reply.elapsedTime / 1000);
      done();
    });
  }
  app.get('/', async (_request, reply) => {
    count();
    // A fresh copy each time, so nothing is cached that Tessera could not cache either.
    return reply.header('cache-control', 'no-store').send({ user: { ...document.user }, session: { ...document.session } });
  });
  const address = await app.listen({ host: '127.0.0.1', port: Number(process.env.PORT ?? 0) });
  serveUntilStopped(address, () => app.close());
} catch (error) {
  failStartup(error);
}
