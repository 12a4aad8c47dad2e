import { parseArgs } from 'node:util';
import { normalizeEmail } from '../core/email.js';
import type { CliIo } from './io.js';
import { openTesseraForCli } from './open-tessera.js';

const HELP = `Usage:
  tessera sessions list --user EMAIL
  tessera sessions revoke --id SESSION_ID
  tessera sessions revoke --user EMAIL

list prints one JSON object per live session. revoke ends one session, or every session of a
user; a running server refuses the revoked sessions on their next request.`;

/** `tessera sessions …`. */
export async function runSessionsCommand(argv: readonly string[], io: CliIo): Promise<number> {
  const [action, ...rest] = argv;
  const { values } = parseArgs({
    args: rest,
    options: { user: { type: 'string' }, id: { type: 'string' }, help: { type: 'boolean', short: 'h' } },
    strict: true,
  });
  if (values.help || action === undefined || action === '--help' || action === '-h') {
    io.out(HELP);
    return action === undefined ? 2 : 0;
  }
  if (action !== 'list' && action !== 'revoke') {
    io.err(`Unknown action "sessions ${action}".\n\n${HELP}`);
    return 2;
  }
  if (action === 'list' ? !values.user : !values.user === !values.id) {
    io.err(action === 'list' ? 'sessions list needs --user EMAIL.' : 'sessions revoke needs exactly one of --id ID or --user EMAIL.');
    return 2;
  }
  const tessera = await openTesseraForCli(io);
  try {
    if (values.id) {
      const revoked = await tessera.sessions.revokeSession(values.id);
      if (!revoked) {
        io.err('No such session.');
        return 1;
      }
      io.out('Revoked 1 session.');
      return 0;
    }
    const user = await tessera.stores.users.findUserByEmail(normalizeEmail(values.user as string));
    if (!user) {
      io.err(`No user with e-mail ${values.user}.`);
      return 1;
    }
    if (action === 'list') {
      for (const session of await tessera.sessions.listUserSessions(user.id)) {
        io.out(JSON.stringify({
          id: session.id,
          carrier: session.carrier,
          createdAt: new Date(session.createdAt).toISOString(),
          lastSeenAt: new Date(session.lastSeenAt).toISOString(),
          ip: session.ip,
          userAgent: session.userAgent,
        }));
      }
      return 0;
    }
    const ids = await tessera.sessions.revokeUser(user.id);
    tessera.events({ type: 'logout_all', userId: user.id, count: ids.length });
    io.out(`Revoked ${ids.length} session${ids.length === 1 ? '' : 's'}.`);
    return 0;
  } finally {
    await tessera.stores.close();
  }
}
