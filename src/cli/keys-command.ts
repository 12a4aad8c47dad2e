import { parseArgs } from 'node:util';
import type { CliIo } from './io.js';
import { openTesseraForCli } from './open-tessera.js';

const HELP = `Usage:
  tessera keys list
  tessera keys rotate [--immediate]

list prints the signing keys with their state: next (published, not signing yet), current
(signing), retired (published until its last token expires). rotate creates a new key that is
published at once and starts signing after the pre-publication delay (TESSERA_KEY_PREPUBLISH,
default 1h), so verifiers caching the JWKS already know it. --immediate makes it sign at once
(after a suspected key compromise; verifiers refetch the JWKS on the unknown kid). Running
servers pick the change up within a minute.`;

/** `tessera keys …`. */
export async function runKeysCommand(argv: readonly string[], io: CliIo): Promise<number> {
  const [action, ...rest] = argv;
  const { values } = parseArgs({
    args: rest,
    options: { immediate: { type: 'boolean' }, help: { type: 'boolean', short: 'h' } },
    strict: true,
  });
  if (values.help || action === undefined || action === '--help' || action === '-h') {
    io.out(HELP);
    return action === undefined ? 2 : 0;
  }
  if (action !== 'list' && action !== 'rotate') {
    io.err(`Unknown action "keys ${action}".\n\n${HELP}`);
    return 2;
  }
  const tessera = await openTesseraForCli(io);
  try {
    if (action === 'rotate') {
      const key = await tessera.keyRing.rotate({ immediate: values.immediate === true });
      tessera.events({ type: 'key_created', kid: key.kid, activatesAt: key.activatesAt });
      io.out(`Created key ${key.kid} (${key.alg}), signing from ${new Date(key.activatesAt).toISOString()}.`);
      return 0;
    }
    const iso = (ms: number | null): string | null => (ms === null ? null : new Date(ms).toISOString());
    for (const key of tessera.keyRing.list()) {
      io.out(JSON.stringify({ kid: key.kid, alg: key.alg, state: key.state, createdAt: iso(key.createdAt), activatesAt: iso(key.activatesAt), retiredAt: iso(key.retiredAt), unpublishAt: iso(key.unpublishAt) }));
    }
    return 0;
  } finally {
    await tessera.stores.close();
  }
}
