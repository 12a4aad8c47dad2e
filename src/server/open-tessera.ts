import type { ConfigOverrides } from '../core/config.js';
import type { AuthEventSink } from '../core/events.js';
import { type Tessera, createTessera } from '../core/tessera.js';
import { loadConfig } from './load-config.js';
import { openConfiguredStores } from './open-stores.js';
import { loadOrCreateMasterSecret } from './secrets.js';

/**
 * Opens Tessera from the environment exactly as `tessera serve` does (configuration, stores,
 * master secret), without an HTTP server: for apps that embed it with the middleware, and for
 * the CLI. Close it with `tessera.stores.close()`.
 */
export async function openTessera(
  options: { env?: Readonly<Record<string, string | undefined>>; overrides?: ConfigOverrides; events?: AuthEventSink } = {},
): Promise<Tessera> {
  const env = options.env ?? process.env;
  const config = loadConfig(env, options.overrides);
  const stores = await openConfiguredStores(config);
  try {
    return await createTessera({
      config,
      stores,
      masterSecret: loadOrCreateMasterSecret(config.dataDir, env),
      keyEncryptionSecret: env.TESSERA_KEY_ENCRYPTION_SECRET,
      ...(options.events ? { events: options.events } : {}),
    });
  } catch (error) {
    await stores.close();
    throw error;
  }
}
