import { loadConfig } from '../server/load-config.js';
import { createObservability } from '../server/observability.js';
import { openConfiguredStores } from '../server/open-stores.js';
import { loadOrCreateMasterSecret } from '../server/secrets.js';
import { type Tessera, createTessera } from '../core/tessera.js';
import type { CliIo } from './io.js';

/** Opens the configured stores for an admin command; auth events are logged to stderr. */
export async function openTesseraForCli(io: CliIo): Promise<Tessera> {
  const config = loadConfig(io.env);
  const stores = await openConfiguredStores(config);
  const observability = createObservability(io.env.TESSERA_LOG_LEVEL ?? 'warn', process.stderr);
  return createTessera({
    config,
    stores,
    masterSecret: loadOrCreateMasterSecret(config.dataDir, io.env),
    keyEncryptionSecret: io.env.TESSERA_KEY_ENCRYPTION_SECRET,
    events: observability.events,
  });
}
