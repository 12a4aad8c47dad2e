import { createObservability } from '../server/observability.js';
import { openTessera } from '../server/open-tessera.js';
import type { Tessera } from '../core/tessera.js';
import type { CliIo } from './io.js';

/** Opens the configured stores for an admin command; auth events are logged to stderr. */
export async function openTesseraForCli(io: CliIo): Promise<Tessera> {
  const observability = createObservability(io.env.TESSERA_LOG_LEVEL ?? 'warn', process.stderr);
  return openTessera({ env: io.env, events: observability.events });
}
