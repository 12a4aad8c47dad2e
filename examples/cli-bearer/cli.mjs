#!/usr/bin/env node
/**
 * A command-line client on the BEARER carrier: no cookies, no CSRF (nothing is sent
 * automatically, so there is nothing to forge); an access token in an `Authorization: Bearer`
 * header and a rotating refresh token kept on disk.
 *
 *   node examples/cli-bearer/cli.mjs login --email ada@example.com   (password: TESSERA_PASSWORD or stdin)
 *   node examples/cli-bearer/cli.mjs whoami
 *   node examples/cli-bearer/cli.mjs refresh
 *   node examples/cli-bearer/cli.mjs logout
 *
 * Environment: TESSERA_URL (default http://127.0.0.1:3000, where `npm start` listens),
 * TESSERA_CLI_HOME (default ~/.config/tessera-cli, or $XDG_CONFIG_HOME/tessera-cli),
 * TESSERA_PASSWORD, TESSERA_CLI_ALLOW_HTTP=1 (send credentials over plain http to a host other
 * than this machine — don't).
 *
 * What is kept where, and why:
 *  - the refresh token: `credentials.json`, mode 0600 in a 0700 directory (like ~/.ssh). It is
 *    the long-lived secret; it rotates on every use, so a copy someone took stops working the
 *    moment either side uses it again — and Tessera then ends the whole session (reuse
 *    detection, RFC 9700 §4.14.2);
 *  - the access token: memory only, for one command. Every command refreshes first, so no
 *    short-lived token ever touches the disk;
 *  - no token is ever printed or put in an error message.
 *
 * Exit codes: 0 done, 1 failed (server or network), 2 usage or configuration, 3 not signed in
 * (log in again).
 */
import { chmodSync, mkdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';

const USAGE = `Usage: node examples/cli-bearer/cli.mjs <command>

Commands:
  login --email <address>   sign in (password from TESSERA_PASSWORD, else stdin)
  whoami                    show who is signed in
  refresh                   rotate the tokens now
  logout                    end this session on the server and forget it here

Environment: TESSERA_URL (default http://127.0.0.1:3000), TESSERA_CLI_HOME (where credentials.json lives)`;

const USER_AGENT = `tessera-cli-example/0.1 (Node.js ${process.versions.node})`;

/** A failure with the exit code it maps to; its message is what the user sees. */
class CliError extends Error {
  constructor(message, exitCode = 1) {
    super(message);
    this.exitCode = exitCode;
  }
}

/** The server is not signed in to (any more): the stored credentials are gone. */
function signInAgain(why) {
  const error = new CliError(`${why} Log in with: node examples/cli-bearer/cli.mjs login --email <address>`, 3);
  error.reason = why;
  return error;
}

// --- where Tessera is ---------------------------------------------------------------------

/**
 * TESSERA_URL as an origin. A refresh token sent over plain http to another machine can be read
 * on the way, so that needs an explicit opt-in; http to this machine (development) is fine.
 */
function serverUrl(env) {
  const raw = env.TESSERA_URL || 'http://127.0.0.1:3000';
  let url;
  try {
    url = new URL(raw);
  } catch {
    throw new CliError(`TESSERA_URL="${raw}" is not a URL (e.g. https://auth.example.com).`, 2);
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') throw new CliError('TESSERA_URL must be an http(s) URL.', 2);
  const loopback = ['localhost', '127.0.0.1', '[::1]'].includes(url.hostname);
  if (url.protocol === 'http:' && !loopback && env.TESSERA_CLI_ALLOW_HTTP !== '1') {
    throw new CliError(`Refusing to send credentials over plain http to ${url.host}: use https, or set TESSERA_CLI_ALLOW_HTTP=1.`, 2);
  }
  return url.origin + url.pathname.replace(/\/+$/, '');
}

// --- the credentials file -----------------------------------------------------------------

function credentialsDir(env) {
  if (env.TESSERA_CLI_HOME) return env.TESSERA_CLI_HOME;
  return join(env.XDG_CONFIG_HOME || join(homedir(), '.config'), 'tessera-cli');
}

/** The stored credentials, or null. */
function readCredentials(path) {
  let text;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    if (error.code === 'ENOENT') return null;
    throw new CliError(`Cannot read ${path} (${error.code}).`);
  }
  // Like ssh with a private key: a refresh token others can read is no longer a secret.
  if (process.platform !== 'win32' && (statSync(path).mode & 0o077) !== 0) {
    process.stderr.write(`warning: ${path} was readable by other users; its mode is now 0600. Consider logging out and in again.\n`);
    chmodSync(path, 0o600);
  }
  try {
    const parsed = JSON.parse(text);
    if (typeof parsed.refresh_token === 'string' && typeof parsed.url === 'string') return parsed;
  } catch {
    // handled below
  }
  throw new CliError(`${path} is damaged. Delete it and log in again.`);
}

/**
 * Writes the credentials atomically with mode 0600: a new file created with that mode (never a
 * moment with default permissions), then renamed over the old one, so a crash leaves either
 * the old or the new refresh token — never half a file.
 */
function writeCredentials(path, dir, credentials) {
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const temporary = `${path}.${process.pid}.tmp`;
  try {
    writeFileSync(temporary, `${JSON.stringify(credentials, null, 2)}\n`, { mode: 0o600, flag: 'wx' });
    chmodSync(temporary, 0o600); // in case the umask was stricter than needed or the fs ignores mode
    renameSync(temporary, path);
  } catch (error) {
    rmSync(temporary, { force: true });
    throw new CliError(`Cannot write ${path} (${error.code ?? error.message}).`);
  }
}

function deleteCredentials(path) {
  rmSync(path, { force: true });
}

// --- HTTP ---------------------------------------------------------------------------------

/** Calls Tessera; resolves to `{ status, body }`, problem documents included. */
async function call(base, method, path, { json, accessToken } = {}) {
  const headers = { accept: 'application/json', 'user-agent': USER_AGENT };
  if (json !== undefined) headers['content-type'] = 'application/json';
  if (accessToken) headers.authorization = `Bearer ${accessToken}`;
  let response;
  try {
    response = await fetch(base + path, { method, headers, body: json === undefined ? undefined : JSON.stringify(json), redirect: 'error' });
  } catch (error) {
    throw new CliError(`Cannot reach Tessera at ${base} (${error.cause?.code ?? error.message}).`);
  }
  return { status: response.status, body: parseJson(await response.text()) };
}

/** The JSON value of `text`, or null (an empty body, or a proxy's HTML error page). */
function parseJson(text) {
  try {
    return text ? JSON.parse(text) : null;
  } catch {
    return null;
  }
}

/** A readable line for a refusal (the server's stable code and generic text, never a token). */
function failure(response, what) {
  const code = response.body?.code ? ` ${response.body.code}` : '';
  const detail = response.body?.detail ? `: ${response.body.detail}` : '';
  const retry = response.body?.code === 'rate_limited' ? ' Wait a moment and try again.' : '';
  return new CliError(`${what} failed (${response.status}${code})${detail}${retry}`);
}

/**
 * Spends the stored refresh token for a new pair, and stores the new refresh token BEFORE using
 * the access token: the old one is now spent, so losing the new one would lose the session.
 * Returns the access token (kept in memory by the caller) and its lifetime.
 */
async function refreshTokens(context) {
  const { base, path, dir } = context;
  const stored = readCredentials(path);
  if (!stored) throw signInAgain('You are not logged in.');
  if (stored.url !== base) {
    // Never hand one server's refresh token to another.
    throw new CliError(`The stored credentials belong to ${stored.url}, not ${base}. Log out there, or set TESSERA_URL=${stored.url}.`, 2);
  }
  const response = await call(base, 'POST', '/auth/refresh', { json: { refresh_token: stored.refresh_token } });
  if (response.status === 401) {
    deleteCredentials(path);
    if (response.body?.code === 'refresh_token_reused') {
      // An older refresh token of this session was used after it had been replaced: someone
      // else has (or had) a copy. Tessera has ended the session for everyone; so do we.
      throw signInAgain('Your refresh token was used twice — possibly copied from this machine — so Tessera ended the session to be safe. The stored credentials were deleted.');
    }
    throw signInAgain('Your session has ended (signed out, revoked or expired).');
  }
  if (response.status !== 200 || typeof response.body?.refresh_token !== 'string') throw failure(response, 'Refreshing the session');
  writeCredentials(path, dir, { ...stored, refresh_token: response.body.refresh_token, refreshed_at: new Date().toISOString() });
  return { accessToken: response.body.access_token, expiresIn: response.body.expires_in };
}

// --- password input -----------------------------------------------------------------------

/** The password from TESSERA_PASSWORD, a hidden prompt on a terminal, or the first line of piped stdin. */
async function readPassword(env) {
  if (env.TESSERA_PASSWORD) return env.TESSERA_PASSWORD;
  const { stdin, stderr } = process;
  if (!stdin.isTTY) {
    let input = '';
    stdin.setEncoding('utf8');
    for await (const chunk of stdin) input += chunk;
    return input.split(/\r?\n/)[0] ?? '';
  }
  stderr.write('Password: ');
  stdin.setRawMode(true);
  stdin.setEncoding('utf8');
  return new Promise((resolve, reject) => {
    let password = '';
    const finish = (error) => {
      stdin.setRawMode(false);
      stdin.pause();
      stdin.off('data', onData);
      stderr.write('\n');
      if (error) reject(error);
      else resolve(password);
    };
    const onData = (chunk) => {
      for (const char of chunk) {
        if (char === '\r' || char === '\n' || char === '\u0004') return finish();
        if (char === '\u0003') return finish(new CliError('Cancelled.', 2));
        if (char === '\u007f' || char === '\b') password = password.slice(0, -1);
        else password += char;
      }
    };
    stdin.on('data', onData);
    stdin.resume();
  });
}

// --- commands -----------------------------------------------------------------------------

async function login(context, email) {
  if (!email) throw new CliError('login needs --email <address>.', 2);
  const password = await readPassword(context.env);
  if (!password) throw new CliError('No password given (set TESSERA_PASSWORD or type it on stdin).', 2);
  const previous = readCredentials(context.path);
  const response = await call(context.base, 'POST', '/auth/login', { json: { email, password, carrier: 'bearer' } });
  if (response.status === 401) throw new CliError('Wrong e-mail address or password.', 1);
  if (response.status !== 200 || typeof response.body?.refresh_token !== 'string') throw failure(response, 'Logging in');
  const { body } = response;
  writeCredentials(context.path, context.dir, {
    url: context.base,
    email: body.user.email,
    user_id: body.user.id,
    session_id: body.session?.id ?? null,
    refresh_token: body.refresh_token,
    refreshed_at: new Date().toISOString(),
  });
  // The session this machine held before is ended, so logging in twice leaves no orphaned
  // session in the device list. Best effort: it may be long gone.
  if (previous?.url === context.base) await endSession(context.base, previous.refresh_token).catch(() => undefined);
  return `Logged in to ${context.base} as ${body.user.email}. Credentials saved in ${context.path}.`;
}

/** Ends the session of a refresh token that is no longer stored (refresh, then log out with the access token). */
async function endSession(base, refreshToken) {
  const refreshed = await call(base, 'POST', '/auth/refresh', { json: { refresh_token: refreshToken } });
  if (refreshed.status === 200) await call(base, 'POST', '/auth/logout', { accessToken: refreshed.body.access_token });
}

async function whoami(context) {
  const { accessToken } = await refreshTokens(context);
  const response = await call(context.base, 'GET', '/auth/session', { accessToken });
  if (response.status !== 200) throw failure(response, 'Asking who you are');
  const { user, session } = response.body;
  return `${user.email}\n  user:    ${user.id}\n  session: ${session.id} (${session.carrier}), expires ${session.expiresAt}`;
}

async function refresh(context) {
  const { expiresIn } = await refreshTokens(context);
  return `Tokens rotated: a new refresh token is saved; the new access token is valid for ${expiresIn} s.`;
}

async function logout(context) {
  const stored = readCredentials(context.path);
  if (!stored) return 'You are not logged in; nothing is stored.';
  if (stored.url !== context.base) {
    throw new CliError(`The stored credentials belong to ${stored.url}, not ${context.base}: run logout with TESSERA_URL=${stored.url}.`, 2);
  }
  // From here on the credentials are forgotten whatever happens: a user who asked to log out
  // must not stay signed in on this machine because the server could not be reached.
  try {
    const { accessToken } = await refreshTokens(context);
    const response = await call(context.base, 'POST', '/auth/logout', { accessToken });
    if (response.status !== 204 && response.status !== 401) throw failure(response, 'Logging out');
    return 'Logged out: the session has ended on the server and the credentials were deleted.';
  } catch (error) {
    // The session was already over, which is what the user wanted; still say why.
    if (error.exitCode === 3) return `${error.reason} You are logged out.`;
    throw new CliError(`${error.message}\nThe credentials were deleted here anyway; the session stays in your device list until it expires or you revoke it there.`, error.exitCode ?? 1);
  } finally {
    deleteCredentials(context.path);
  }
}

// --- main ---------------------------------------------------------------------------------

async function main(argv, env) {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: { email: { type: 'string' }, help: { type: 'boolean', short: 'h' } },
  });
  const command = positionals[0];
  if (values.help) return { output: USAGE };
  if (!command) throw new CliError(USAGE, 2);
  const dir = credentialsDir(env);
  const context = { env, base: serverUrl(env), dir, path: join(dir, 'credentials.json') };
  switch (command) {
    case 'login':
      return { output: await login(context, values.email) };
    case 'whoami':
      return { output: await whoami(context) };
    case 'refresh':
      return { output: await refresh(context) };
    case 'logout':
      return { output: await logout(context) };
    default:
      throw new CliError(`Unknown command "${command}".\n\n${USAGE}`, 2);
  }
}

let exitCode;
try {
  const { output } = await main(process.argv.slice(2), process.env);
  if (output) process.stdout.write(`${output}\n`);
  exitCode = 0;
} catch (error) {
  if (error instanceof CliError) {
    process.stderr.write(`${error.message}\n`);
    exitCode = error.exitCode;
  } else if (error?.code?.startsWith?.('ERR_PARSE_ARGS')) {
    process.stderr.write(`${error.message}\n\n${USAGE}\n`);
    exitCode = 2;
  } else {
    throw error;
  }
}
// Exit as soon as the output is flushed: Node's fetch keeps an idle keep-alive connection and
// its timers around for a while, which would otherwise delay every command by ~0.5 s.
const flushed = (stream) => new Promise((resolve) => stream.write('', resolve));
await Promise.all([flushed(process.stdout), flushed(process.stderr)]);
process.exit(exitCode);
