import { spawn } from 'node:child_process';
import { chmodSync, existsSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { type TestServer, startTestServer } from '../helpers/server.js';
import { REPO_ROOT, requireBuild } from '../support/processes.js';

/**
 * examples/cli-bearer against a running Tessera (in-process, hand-moved clock): every command
 * as a real child process (`node examples/cli-bearer/cli.mjs …`) with its own credentials
 * directory, checking what it stores, with which mode, and what it does when its refresh token
 * turns out to have been used by someone else.
 */

const PASSWORD = 'correct horse battery staple';
const CLI = join(REPO_ROOT, 'examples/cli-bearer/cli.mjs');

let server: TestServer;
const homes: string[] = [];

interface CliRun {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs the CLI to completion with an explicit environment (nothing inherited but PATH). */
function runCli(args: readonly string[], env: Record<string, string>, input?: string): Promise<CliRun> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CLI, ...args], {
      cwd: REPO_ROOT,
      env: { PATH: process.env.PATH ?? '', HOME: env.TESSERA_CLI_HOME ?? tmpdir(), ...env },
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString('utf8')));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString('utf8')));
    child.once('error', reject);
    child.once('close', (code) => resolve({ code, stdout, stderr }));
    child.stdin.end(input ?? '');
  });
}

/** A fresh credentials directory (below a fresh parent, so the CLI creates it itself). */
function newHome(): string {
  const parent = mkdtempSync(join(tmpdir(), 'tessera-cli-example-'));
  homes.push(parent);
  return join(parent, 'tessera-cli');
}

let counter = 0;

/** A registered user and a CLI environment pointing at the server. */
async function newUser(): Promise<{ email: string; userId: string; env: Record<string, string>; credentials: string }> {
  const email = `cli-${process.pid}-${++counter}@example.com`;
  const response = await fetch(`${server.url}/auth/register`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ email, password: PASSWORD }),
  });
  expect(response.status).toBe(201);
  const { user } = (await response.json()) as { user: { id: string } };
  const home = newHome();
  return { email, userId: user.id, env: { TESSERA_URL: server.url, TESSERA_CLI_HOME: home }, credentials: join(home, 'credentials.json') };
}

function stored(path: string): { url: string; email: string; refresh_token: string; session_id: string } {
  return JSON.parse(readFileSync(path, 'utf8'));
}

async function login(user: { email: string; env: Record<string, string> }): Promise<CliRun> {
  const run = await runCli(['login', '--email', user.email], { ...user.env, TESSERA_PASSWORD: PASSWORD });
  expect(run.code, run.stderr).toBe(0);
  return run;
}

/** Ids of the user's live sessions, asked of the server itself. */
async function liveSessions(userId: string): Promise<string[]> {
  return (await server.tessera.sessions.listUserSessions(userId)).map((session) => session.id);
}

beforeAll(async () => {
  requireBuild();
  server = await startTestServer();
});

afterAll(async () => {
  await server?.close();
});

afterEach(() => {
  for (const home of homes.splice(0)) rmSync(home, { recursive: true, force: true });
});

describe('examples/cli-bearer', () => {
  it('login keeps only the refresh token, in a 0600 file inside a 0700 directory, and prints no token', async () => {
    const user = await newUser();
    const run = await login(user);
    expect(run.stdout).toContain(`as ${user.email}`);
    const file = stored(user.credentials);
    expect(file.url).toBe(server.url);
    expect(file.email).toBe(user.email);
    expect(file.refresh_token).toMatch(/^[\w-]+\.\d+\.[\w-]+$/);
    expect(Object.keys(file)).not.toContain('access_token');
    expect(statSync(user.credentials).mode & 0o777).toBe(0o600);
    expect(statSync(join(user.credentials, '..')).mode & 0o777).toBe(0o700);
    expect(run.stdout + run.stderr).not.toContain(file.refresh_token);
    expect(await liveSessions(user.userId)).toContain(file.session_id);
  });

  it('reads the password from stdin when TESSERA_PASSWORD is not set', async () => {
    const user = await newUser();
    const run = await runCli(['login', '--email', user.email], user.env, `${PASSWORD}\n`);
    expect(run.code, run.stderr).toBe(0);
    expect(existsSync(user.credentials)).toBe(true);
  });

  it('a wrong password stores nothing (exit 1)', async () => {
    const user = await newUser();
    const run = await runCli(['login', '--email', user.email], { ...user.env, TESSERA_PASSWORD: 'not the password' });
    expect(run.code).toBe(1);
    expect(run.stderr).toContain('Wrong e-mail address or password');
    expect(existsSync(user.credentials)).toBe(false);
  });

  it('whoami and refresh each rotate the refresh token first; the access token never reaches the disk', async () => {
    const user = await newUser();
    await login(user);
    const first = stored(user.credentials).refresh_token;

    const whoami = await runCli(['whoami'], user.env);
    expect(whoami.code, whoami.stderr).toBe(0);
    expect(whoami.stdout).toContain(user.email);
    expect(whoami.stdout).toContain(user.userId);
    expect(whoami.stdout).toContain('(bearer)');
    const second = stored(user.credentials).refresh_token;
    expect(second).not.toBe(first);

    const refresh = await runCli(['refresh'], user.env);
    expect(refresh.code, refresh.stderr).toBe(0);
    expect(refresh.stdout).toMatch(/valid for \d+ s/);
    const third = stored(user.credentials).refresh_token;
    expect(third).not.toBe(second);
    expect(statSync(user.credentials).mode & 0o777).toBe(0o600);
    expect(readFileSync(user.credentials, 'utf8')).not.toMatch(/eyJ/); // no JWT in the file
  });

  it('logout ends the session on the server and deletes the credentials', async () => {
    const user = await newUser();
    await login(user);
    const { session_id: sessionId } = stored(user.credentials);
    const run = await runCli(['logout'], user.env);
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).toContain('Logged out');
    expect(existsSync(user.credentials)).toBe(false);
    expect(await liveSessions(user.userId)).not.toContain(sessionId);

    const after = await runCli(['whoami'], user.env);
    expect(after.code).toBe(3);
    expect(after.stderr).toContain('not logged in');
  });

  it('logging in again ends the session this machine held before', async () => {
    const user = await newUser();
    await login(user);
    const before = stored(user.credentials).session_id;
    await login(user);
    const now = stored(user.credentials).session_id;
    expect(now).not.toBe(before);
    const live = await liveSessions(user.userId);
    expect(live).toContain(now);
    expect(live).not.toContain(before);
  });

  it('refresh_token_reused: a copy used elsewhere ends the session; the CLI deletes its credentials and asks for a new login', async () => {
    const user = await newUser();
    await login(user);
    const { refresh_token: copied, session_id: sessionId } = stored(user.credentials);

    // Someone who copied credentials.json refreshes first...
    const thief = await fetch(`${server.url}/auth/refresh`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ refresh_token: copied }),
    });
    expect(thief.status).toBe(200);
    // ...and once the grace window for concurrent refreshes has passed, the CLI presents the
    // same (now spent) token: that is reuse.
    server.clock.advance(server.tessera.config.tokens.refreshGraceMs + 1_000);

    const run = await runCli(['whoami'], user.env);
    expect(run.code).toBe(3);
    expect(run.stderr).toContain('used twice');
    expect(run.stderr).toContain('Log in with');
    expect(existsSync(user.credentials)).toBe(false);
    // The whole session is over, for the thief too.
    expect(await liveSessions(user.userId)).not.toContain(sessionId);
    const thiefTokens = (await thief.json()) as { refresh_token: string };
    const thiefAgain = await fetch(`${server.url}/auth/refresh`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ refresh_token: thiefTokens.refresh_token }),
    });
    expect(thiefAgain.status).toBe(401);

    const again = await login(user);
    expect(again.stdout).toContain('Logged in');
  });

  it('never sends one server\'s refresh token to another server', async () => {
    const user = await newUser();
    await login(user);
    const before = readFileSync(user.credentials, 'utf8');
    const run = await runCli(['whoami'], { ...user.env, TESSERA_URL: 'http://127.0.0.1:9' });
    expect(run.code).toBe(2);
    expect(run.stderr).toContain(`belong to ${server.url}`);
    expect(readFileSync(user.credentials, 'utf8')).toBe(before);
  });

  it('refuses plain http to another machine, and explains its usage', async () => {
    const home = newHome();
    const remote = await runCli(['whoami'], { TESSERA_URL: 'http://auth.example.com', TESSERA_CLI_HOME: home });
    expect(remote.code).toBe(2);
    expect(remote.stderr).toContain('plain http');
    const usage = await runCli([], { TESSERA_CLI_HOME: home });
    expect(usage.code).toBe(2);
    expect(usage.stderr).toContain('Usage:');
    const noEmail = await runCli(['login'], { TESSERA_URL: server.url, TESSERA_CLI_HOME: home, TESSERA_PASSWORD: PASSWORD });
    expect(noEmail.code).toBe(2);
  });

  it('repairs a credentials file others can read, with a warning', async () => {
    const user = await newUser();
    await login(user);
    chmodSync(user.credentials, 0o644);
    const run = await runCli(['whoami'], user.env);
    expect(run.code, run.stderr).toBe(0);
    expect(run.stderr).toContain('readable by other users');
    expect(statSync(user.credentials).mode & 0o777).toBe(0o600);
  });
});
