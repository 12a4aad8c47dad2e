/**
 * Tessera embedded in this app's process, on the app's own Fastify instance.
 *
 * Why embed rather than run `tessera serve` next to the app: the cookie and hybrid carriers need
 * Tessera and the app on ONE origin (the cookies, the CSRF token and the same-origin check are
 * all per origin). `startServer()` listens at once, and Fastify cannot take routes after it
 * listens, so this module assembles the same pieces from the library entry instead:
 * `openTessera` (configuration, stores, master secret — exactly as `tessera serve` reads them),
 * `buildServer` (Tessera's routes and hosted pages, not listening yet), then the caller adds its
 * routes, then `listen()`.
 *
 * The same file is in examples/ssr-cookie/ and examples/spa-hybrid/ so that each example can be
 * copied on its own.
 */
import { createServer as createNetServer } from 'node:net';
import { buildServer, createObservability, loadConfig, openTessera } from '../../dist/index.js';

/** Asks the OS for a free port (for PORT=0), so the public URL can name the real port. */
function findFreePort(host) {
  return new Promise((resolve, reject) => {
    const probe = createNetServer();
    probe.once('error', reject);
    probe.listen(0, host, () => {
      const { port } = probe.address();
      probe.close(() => resolve(port));
    });
  });
}

/**
 * Opens Tessera from `env` (the variables `tessera serve` reads: TESSERA_DATA_DIR, HOST, PORT,
 * TESSERA_PUBLIC_URL, TESSERA_ACCESS_TOKEN_TTL, …) and builds its Fastify app without listening.
 *
 * @param {Record<string, string | undefined>} env
 * @param {import('../../dist/index.js').ConfigOverrides} [overrides] settings that have no variable (e.g. rate limits)
 * @returns {Promise<{ app: import('fastify').FastifyInstance, tessera: import('../../dist/index.js').Tessera, listen(): Promise<string>, close(): Promise<void> }>}
 */
export async function embedTessera(env, overrides = {}) {
  // The public URL is a trusted CSRF origin and must name the port we really listen on, so
  // PORT=0 becomes a concrete free port before the configuration is read (as startServer does).
  if (env.PORT === '0' && !env.TESSERA_PUBLIC_URL) {
    env = { ...env, PORT: String(await findFreePort(env.HOST || '127.0.0.1')) };
  }
  const config = loadConfig(env, overrides);
  const observability = createObservability(config.logLevel);
  const tessera = await openTessera({ env, config, events: observability.events });
  let app;
  try {
    app = await buildServer(tessera, observability);
    // A stable request shape: routes without Tessera's hook see `request.auth === null`.
    app.decorateRequest('auth', null);
  } catch (error) {
    await tessera.stores.close();
    throw error;
  }

  // The housekeeping startServer does for a long-running process: sweep expired rows, rotate
  // signing keys on schedule, and pick up revocations written by other processes (the
  // `tessera sessions revoke` command, other nodes) so access tokens stop working at once.
  const warn = (what) => (error) => observability.logger.warn({ err: error }, `${what} failed`);
  let seenCounter = null;
  const syncRevocations = () => {
    // SQLite tells whether another process wrote since last time; other stores (null) are asked every time.
    const counter = tessera.stores.sessions.externalChangeCounter();
    if (counter !== null && counter === seenCounter) return;
    seenCounter = counter;
    void tessera.syncRevocations().catch(warn('revocation sync'));
  };
  const timers = [
    setInterval(() => void tessera.sweep().catch(warn('sweep')), config.session.sweepIntervalMs),
    setInterval(() => void tessera.keyRing.refresh().catch(warn('key refresh')), 60_000),
    setInterval(syncRevocations, 1_000),
  ];
  for (const timer of timers) timer.unref();

  let closing = null;
  return {
    app,
    tessera,
    async listen() {
      const address = await app.listen({ host: config.host, port: config.port });
      return address.replace('0.0.0.0', '127.0.0.1');
    },
    close() {
      closing ??= (async () => {
        for (const timer of timers) clearInterval(timer);
        // Idle keep-alive sockets would hold close() open: keep closing them until in-flight
        // requests are done.
        const reapIdle = setInterval(() => app.server.closeIdleConnections(), 25);
        try {
          await app.close();
        } finally {
          clearInterval(reapIdle);
        }
        await tessera.stores.close();
      })();
      return closing;
    },
  };
}
