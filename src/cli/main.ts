#!/usr/bin/env node
import { isTesseraError } from '../core/errors.js';
import { runServe } from './serve-command.js';
import { runSessionsCommand } from './sessions-command.js';
import { runUsersCommand } from './users-command.js';
import { runKeysCommand } from './keys-command.js';
import { runInit } from './init-command.js';
import { type CliIo, processIo } from './io.js';

/** The `tessera` command: serve, users, sessions. */

const HELP = `Usage: tessera <command> [options]

Commands:
  init                         Answer three questions, get a configuration that fits
  serve                        Start the server (PORT, HOST, TESSERA_DATA_DIR, ...)
  users create --email EMAIL   Create a user (password from --password-stdin or a prompt)
  users list                   List users
  users disable --email EMAIL  Disable a user and end all their sessions (enable: users enable)
  sessions list --user EMAIL   List a user's live sessions
  sessions revoke --id ID      End one session
  sessions revoke --user EMAIL End every session of a user
  keys list                    Signing keys and their state (next, current, retired)
  keys rotate [--immediate]    Create a new signing key

Run "tessera <command> --help" for a command's options.
Configuration comes from the environment (see the README); the CLI uses the same store as the server.`;

/** Runs the CLI with `argv` (without node and script); returns the exit code. */
export async function runCli(argv: readonly string[], io: CliIo = processIo()): Promise<number> {
  const [command, ...rest] = argv;
  try {
    switch (command) {
      case 'serve':
        return await runServe(rest, io);
      case 'users':
        return await runUsersCommand(rest, io);
      case 'sessions':
        return await runSessionsCommand(rest, io);
      case 'keys':
        return await runKeysCommand(rest, io);
      case 'init':
        return await runInit(rest, io);
      case undefined:
      case 'help':
      case '--help':
      case '-h':
        io.out(HELP);
        return command === undefined ? 1 : 0;
      default:
        io.err(`Unknown command "${command}".\n\n${HELP}`);
        return 2;
    }
  } catch (error) {
    if (isTesseraError(error)) {
      io.err(`tessera: ${error.message} (${error.code})`);
      return error.code === 'configuration_error' ? 78 : 1;
    }
    if (error instanceof TypeError && (error as NodeJS.ErrnoException).code?.startsWith('ERR_PARSE_ARGS')) {
      io.err(`tessera: ${error.message}. Run with --help for usage.`);
      return 2;
    }
    throw error;
  }
}

// Run when executed directly (not when imported by tests).
if (import.meta.url === `file://${process.argv[1]}` || process.argv[1]?.endsWith('/cli/main.js')) {
  runCli(process.argv.slice(2)).then(
    (code) => {
      if (code !== 0 || !['serve'].includes(process.argv[2] ?? '')) process.exitCode = code;
    },
    (error: unknown) => {
      process.stderr.write(`tessera: unexpected error: ${error instanceof Error ? error.message : String(error)}\n`);
      process.exitCode = 1;
    },
  );
}
