import type { Clock } from '../core/clock.js';
import type { ConfigOverrides, TesseraConfig } from '../core/config.js';
import type { Stores } from '../stores/types.js';
import type { AuthEventSink } from '../core/events.js';
import { type Tessera, createTessera } from '../core/tessera.js';
import { loadConfig } from './load-config.js';
import { openConfiguredStores } from './open-stores.js';
import { loadOrCreateMasterSecret } from './secrets.js';

/** Options of openTessera; everything but `env` is for tests and embedding. */
export interface OpenTesseraOptions {
  readonly env?: Readonly<Record<string, string | undefined>>;
  readonly overrides?: ConfigOverrides;
  /** A complete configuration (then `env` only supplies secrets). */
  readonly config?: TesseraConfig;
  /** Stores to use instead of the configured ones (closed on failure all the same). */
  readonly stores?: Stores;
  readonly events?: AuthEventSink;
  readonly clock?: Clock;
}

/**
 * Opens Tessera from the environment exactly as `tessera serve` does (configuration, stores,
 * master secret), without an HTTP server: for apps that embed it with the middleware, and for
 * the CLI. Close it with `tessera.stores.close()`.
 */
export async function openTessera(options: OpenTesseraOptions = {}): Promise<Tessera> {
  const env = options.env ?? process.env;
  const config = options.config ?? loadConfig(env, options.overrides);
  const stores = options.stores ?? (await openConfiguredStores(config));
  try {
    return await createTessera({
      config,
      stores,
      masterSecret: loadOrCreateMasterSecret(config.dataDir, env),
      keyEncryptionSecret: env.TESSERA_KEY_ENCRYPTION_SECRET,
      ...(options.events ? { events: options.events } : {}),
      ...(options.clock ? { clock: options.clock } : {}),
    });
  } catch (error) {
    await stores.close();
    throw error;
  }
}
