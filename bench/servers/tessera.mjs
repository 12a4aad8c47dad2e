/**
 * Tessera as `tessera serve` runs it: `startServer` from the build (dist/), configured by the
 * environment the harness passes (TESSERA_DATA_DIR = a fresh temp dir, so the zero-config
 * SQLite store; HOST, PORT=0, TESSERA_LOG_LEVEL=silent).
 *
 * BENCH_TESSERA_VARIANT selects a diagnostic variant for profiling (never used for the
 * headline figures):
 *   default     exactly what `tessera serve` runs
 *   no-metrics  the same server with no-op Prometheus metrics (no prom-client work per request,
 *               no default process metrics), to price the metrics layer
 *   core-route  Tessera as shipped, plus a second, bare Fastify app (no hooks, one route) on
 *               another port whose `GET /auth/session` calls the same core — authenticate(),
 *               toPublicUser(), toSessionView() — and answers the same document; the harness
 *               loads that port (and signs in through the real one, `info.tesseraUrl`), so the
 *               difference to the shipped server prices the server layer around the core
 */
import Fastify from 'fastify';
import { pino } from 'pino';
import { Registry } from 'prom-client';
import { failStartup, serveUntilStopped } from '../lib/processes.mjs';

const dist = new URL('../../dist/', import.meta.url);

function noopObservability() {
  // Shaped like prom-client's Counter/Histogram as far as the server uses them (label children too).
  const noop = { inc() {}, observe() {}, labels: () => noop, startTimer: () => () => 0, reset() {} };
  return {
    logger: pino({ level: 'silent' }),
    registry: new Registry(),
    events: () => undefined,
    metrics: { logins: noop, loginFailures: noop, sessionValidations: noop, requestDuration: noop },
  };
}

try {
  const { startServer } = await import(new URL('server/start.js', dist).href);
  const variant = process.env.BENCH_TESSERA_VARIANT || 'default';
  const options = { env: process.env };
  if (variant === 'no-metrics') options.observability = noopObservability();
  else if (variant !== 'default' && variant !== 'core-route') throw new Error(`unknown BENCH_TESSERA_VARIANT "${variant}"`);
  const server = await startServer(options);
  const info = { variant, sessionStore: server.tessera.config.sessionStore, dataDir: server.tessera.config.dataDir, tesseraUrl: server.url };
  if (variant === 'core-route') {
    const { toPublicUser } = await import(new URL('core/accounts.js', dist).href);
    const { toSessionView } = await import(new URL('server/views.js', dist).href);
    const { tessera } = server;
    const bare = Fastify({ logger: false });
    bare.get('/auth/session', async (request, reply) => {
      const auth = await tessera.authenticator.authenticate({ method: request.method, headers: request.headers, ip: request.ip ?? null });
      if (!auth) return reply.code(401).send({ code: 'unauthenticated' });
      return reply
        .header('cache-control', 'no-store')
        .send({ user: toPublicUser(auth.user), session: toSessionView(auth.session, tessera.sessions) });
    });
    const bareUrl = await bare.listen({ host: '127.0.0.1', port: 0 });
    serveUntilStopped(bareUrl, async () => {
      await bare.close();
      await server.close();
    }, info);
  } else {
    serveUntilStopped(server.url, () => server.close(), info);
  }
} catch (error) {
  failStartup(error);
}
