/**
 * Tessera as `tessera serve` runs it: `startServer` from the build (dist/), configured by the
 * environment the harness passes (TESSERA_DATA_DIR = a fresh temp dir, so the zero-config
 * SQLite store; HOST, PORT=0, TESSERA_LOG_LEVEL=silent).
 */
import { failStartup, serveUntilStopped } from '../lib/processes.mjs';

const dist = new URL('../../dist/', import.meta.url);

try {
  const { startServer } = await import(new URL('server/start.js', dist).href);
  const server = await startServer({ env: process.env });
  const info = { sessionStore: server.tessera.config.sessionStore, dataDir: server.tessera.config.dataDir, tesseraUrl: server.url };
  serveUntilStopped(server.url, () => server.close(), info);
} catch (error) {
  failStartup(error);
}
