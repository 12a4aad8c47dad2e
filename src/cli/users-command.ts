import { parseArgs } from 'node:util';
import { normalizeEmail } from '../core/email.js';
import type { CliIo } from './io.js';
import { openTesseraForCli } from './open-tessera.js';

const HELP = `Usage:
  tessera users create --email EMAIL [--password-stdin]
  tessera users list [--limit N] [--offset N]
  tessera users disable --email EMAIL
  tessera users enable --email EMAIL

create reads the password from standard input with --password-stdin (for scripts), otherwise
prompts for it without echo. disable ends every session of the user at once.`;

/** `tessera users …`. */
export async function runUsersCommand(argv: readonly string[], io: CliIo): Promise<number> {
  const [action, ...rest] = argv;
  const { values } = parseArgs({
    args: rest,
    options: {
      email: { type: 'string' },
      'password-stdin': { type: 'boolean' },
      limit: { type: 'string' },
      offset: { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
    strict: true,
  });
  if (values.help || action === undefined || action === '--help' || action === '-h') {
    io.out(HELP);
    return action === undefined ? 2 : 0;
  }
  if (!['create', 'list', 'disable', 'enable'].includes(action)) {
    io.err(`Unknown action "users ${action}".\n\n${HELP}`);
    return 2;
  }
  if (action !== 'list' && !values.email) {
    io.err(`users ${action} needs --email EMAIL.`);
    return 2;
  }
  let password: string | null = null;
  if (action === 'create') {
    password = values['password-stdin'] ? (await io.readStdin()).replace(/\r?\n$/, '') : await io.promptSecret('Password: ');
    if (password === null) {
      io.err('No terminal to prompt on: pass the password on standard input with --password-stdin.');
      return 2;
    }
  }
  const tessera = await openTesseraForCli(io);
  try {
    if (action === 'create') {
      const user = await tessera.accounts.createUser(values.email as string, password as string);
      io.out(JSON.stringify({ id: user.id, email: user.email }));
      return 0;
    }
    if (action === 'list') {
      const users = await tessera.stores.users.listUsers(Number(values.limit ?? 100), Number(values.offset ?? 0));
      for (const user of users) {
        io.out(JSON.stringify({ id: user.id, email: user.email, disabled: user.disabled, createdAt: new Date(user.createdAt).toISOString() }));
      }
      return 0;
    }
    const user = await tessera.stores.users.findUserByEmail(normalizeEmail(values.email as string));
    if (!user) {
      io.err(`No user with e-mail ${values.email}.`);
      return 1;
    }
    await tessera.accounts.setUserDisabled(user.id, action === 'disable');
    io.out(`${action === 'disable' ? 'Disabled' : 'Enabled'} ${user.email}.`);
    return 0;
  } finally {
    await tessera.stores.close();
  }
}
