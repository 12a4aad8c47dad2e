/**
 * Tessera as bench/servers/tessera.mjs runs it (`startServer` from dist/, configured by the
 * environment), with one change a profile suggested, to price it before anyone edits src/.
 * Diagnostic only: never a headline figure. BENCH_TESSERA_DIAGNOSTIC selects it:
 *
 *   redis-autopipeline  ioredis `enableAutoPipelining` on (set through `Redis.defaultOptions`
 *                       before the store creates its client): commands issued in the same
 *                       event-loop turn go to Redis in one write instead of one write each
 */
import { failStartup, serveUntilStopped } from '../lib/processes.mjs';

const dist = new URL('../../dist/', import.meta.url);

try {
  const diagnostic = process.env.BENCH_TESSERA_DIAGNOSTIC;
  if (diagnostic === 'redis-autopipeline') {
    const { default: Redis } = await import('ioredis');
    Redis.defaultOptions.enableAutoPipelining = true;
  } else {
    throw new Error(`unknown BENCH_TESSERA_DIAGNOSTIC "${diagnostic}"`);
  }
  const { startServer } = await import(new URL('server/start.js', dist).href);
  const server = await startServer({ env: process.env });
  serveUntilStopped(server.url, () => server.close(), { diagnostic, sessionStore: server.tessera.config.sessionStore });
} catch (error) {
  failStartup(error);
}
