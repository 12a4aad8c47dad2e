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
 */
import { pino } from 'pino';
import { Registry } from 'prom-client';
import { failStartup, serveUntilStopped } from '../lib/processes.mjs';

const dist = new URL('../../dist/', import.meta.url);

function noopObservability() {
  const noop = { inc() {}, observe() {} };
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
  else if (variant !== 'default') throw new Error(`unknown BENCH_TESSERA_VARIANT "${variant}"`);
  const server = await startServer(options);
  serveUntilStopped(server.url, () => server.close(), {
    variant,
    sessionStore: server.tessera.config.sessionStore,
    dataDir: server.tessera.config.dataDir,
  });
} catch (error) {
  failStartup(error);
}
