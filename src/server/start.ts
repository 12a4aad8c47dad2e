import { type AddressInfo, createServer as createNetServer } from 'node:net';
import type { FastifyInstance } from 'fastify';
import type { ConfigOverrides, TesseraConfig } from '../core/config.js';
import type { Tessera } from '../core/tessera.js';
import type { Stores } from '../stores/types.js';
import type { Clock } from '../core/clock.js';
import { buildServer } from './app.js';
import { loadConfig } from './load-config.js';
import { type Observability, createObservability } from './observability.js';
import { openTessera } from './open-tessera.js';

/** A running server and how to stop it. */
export interface RunningServer {
  readonly app: FastifyInstance;
  readonly tessera: Tessera;
  readonly observability: Observability;
  /** The URL it listens on. */
  readonly url: string;
  /** Stops accepting, finishes in-flight requests, stops the sweeper, closes the stores. */
  close(): Promise<void>;
}

/** Options for `startServer` (tests pass stores and overrides; `tessera serve` passes none). */
export interface StartOptions {
  readonly env?: Readonly<Record<string, string | undefined>>;
  readonly overrides?: ConfigOverrides;
  readonly config?: TesseraConfig;
  readonly stores?: Stores;
  readonly observability?: Observability;
  /** Injected clock (tests move time instead of sleeping). */
  readonly clock?: Clock;
  readonly heartbeatMs?: number;
  /**
   * Adds the embedding app's own routes and plugins to Tessera's Fastify instance before it
   * listens — how an app puts itself and Tessera on one origin (cookies, CSRF).
   */
  readonly configure?: (app: FastifyInstance, tessera: Tessera) => void | Promise<void>;
}

/** Asks the OS for a free port on `host`. */
function findFreePort(host: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createNetServer();
    probe.once('error', reject);
    probe.listen(0, host, () => {
      const { port } = probe.address() as AddressInfo;
      probe.close(() => resolve(port));
    });
  });
}

/** Loads the configuration, opens the stores, and listens. */
export async function startServer(options: StartOptions = {}): Promise<RunningServer> {
  let env = options.env ?? process.env;
  // PORT=0 asks for any free port; the public URL (a trusted CSRF origin) must name the real
  // one, so pick the port before the configuration is built.
  if (!options.config && env.PORT === '0' && !env.TESSERA_PUBLIC_URL) {
    env = { ...env, PORT: String(await findFreePort(env.HOST || '127.0.0.1')) };
  }
  const config = options.config ?? loadConfig(env, options.overrides);
  const observability = options.observability ?? createObservability(config.logLevel);
  const tessera = await openTessera({ env, config, stores: options.stores, events: observability.events, clock: options.clock });
  const { stores } = tessera;
  let app: FastifyInstance;
  let address: string;
  try {
    app = await buildServer(tessera, observability, { heartbeatMs: options.heartbeatMs ?? config.feedHeartbeatMs });
    await options.configure?.(app, tessera);
    address = await app.listen({ host: config.host, port: config.port });
  } catch (error) {
    // A failed start (wrong key-encryption secret, port taken) must not leak open connections.
    await stores.close();
    throw error;
  }

  const warn = (what: string) => (error: unknown) => observability.logger.warn({ err: error }, `${what} failed`);
  const sweeper = setInterval(() => void tessera.sweep().catch(warn('sweep')), config.session.sweepIntervalMs);
  // Key rotation is checked every minute; revocations written by other processes (the CLI,
  // other nodes) are picked up every second and pushed to this node's verifiers and feed.
  const keyTimer = setInterval(() => void tessera.keyRing.refresh().catch(warn('key refresh')), 60_000);
  let seenCounter: number | null = null;
  const syncTimer = setInterval(() => {
    const counter = stores.sessions.externalChangeCounter();
    // Stores that cannot tell (null) are polled every time; SQLite only when another process wrote.
    if (counter !== null && counter === seenCounter) return;
    seenCounter = counter;
    void tessera.syncRevocations().catch(warn('revocation sync'));
  }, 1_000);
  for (const timer of [sweeper, keyTimer, syncTimer]) timer.unref();

  let closing: Promise<void> | null = null;
  return {
    app,
    tessera,
    observability,
    url: address.replace('0.0.0.0', '127.0.0.1'),
    close() {
      closing ??= (async () => {
        for (const timer of [sweeper, keyTimer, syncTimer]) clearInterval(timer);
        // Node closes idle keep-alive sockets only once, when close() is called; a request in
        // flight at that moment leaves its socket open (for up to keepAliveTimeout) after the
        // response. Keep closing idle sockets until every in-flight request has finished.
        const reapIdle = setInterval(() => app.server.closeIdleConnections(), 25);
        try {
          await app.close();
        } finally {
          clearInterval(reapIdle);
        }
        await stores.close();
      })();
      return closing;
    },
  };
}
