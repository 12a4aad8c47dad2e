import { parseArgs } from 'node:util';
import { startServer } from '../server/start.js';
import type { CliIo } from './io.js';

const HELP = `Usage: tessera serve [--port N] [--host HOST]

Starts the server. Options override PORT and HOST; everything else comes from the environment
(TESSERA_DATA_DIR, TESSERA_PUBLIC_URL, ... — see the README). SIGTERM or SIGINT finishes
in-flight requests, then closes the store.`;

/** `tessera serve`: runs until SIGTERM/SIGINT. */
export async function runServe(argv: readonly string[], io: CliIo): Promise<number> {
  const { values } = parseArgs({
    args: [...argv],
    options: { port: { type: 'string' }, host: { type: 'string' }, help: { type: 'boolean', short: 'h' } },
    strict: true,
  });
  if (values.help) {
    io.out(HELP);
    return 0;
  }
  const env = { ...io.env, ...(values.port ? { PORT: values.port } : {}), ...(values.host ? { HOST: values.host } : {}) };
  const server = await startServer({ env });
  io.out(`Tessera listening on ${server.url} (public URL ${server.tessera.config.publicUrl}, data in ${server.tessera.config.dataDir})`);
  await new Promise<void>((resolve) => {
    const stop = (signal: string): void => {
      io.out(`${signal} received: finishing in-flight requests…`);
      process.off('SIGTERM', onTerm);
      process.off('SIGINT', onInt);
      server.close().then(resolve, (error: unknown) => {
        io.err(`error while closing: ${error instanceof Error ? error.message : String(error)}`);
        resolve();
      });
    };
    const onTerm = (): void => stop('SIGTERM');
    const onInt = (): void => stop('SIGINT');
    process.on('SIGTERM', onTerm);
    process.on('SIGINT', onInt);
  });
  io.out('Tessera stopped.');
  return 0;
}
