import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CliIo } from '../../src/cli/io.js';
import { runCli } from '../../src/cli/main.js';
import { loadConfig } from '../../src/server/load-config.js';
import { type RunningServer, startServer } from '../../src/server/start.js';
import { PASSWORD, uniqueEmail, withBigLimits } from '../security/support.js';
import { pollUntil } from '../security/token-support.js';

/**
 * The `tessera` command, run in-process with a fake terminal, against the same SQLite data
 * directory as a running server — the CLI's writes must reach the server (external change
 * counter for sessions, the 1 s revocation sync for tokens). SQLite only: the memory store
 * cannot be shared between the CLI and a server, which is the point of these tests.
 */

interface CliRun {
  readonly code: number;
  readonly out: string;
  readonly err: string;
  /** How often the CLI read standard input. */
  readonly stdinReads: number;
}

interface HttpResult {
  readonly status: number;
  readonly body: any;
  readonly cookies: string[];
}

describe('tessera CLI', () => {
  let dataDir: string;
  let scratch: string;
  let server: RunningServer;

  const baseEnv = (): Record<string, string> => ({ TESSERA_DATA_DIR: dataDir, TESSERA_LOG_LEVEL: 'silent' });

  const cli = async (argv: string[], options: { stdin?: string; env?: Record<string, string> } = {}): Promise<CliRun> => {
    const out: string[] = [];
    const err: string[] = [];
    let stdinReads = 0;
    const io: CliIo = {
      out: (text) => void out.push(text),
      err: (text) => void err.push(text),
      readStdin: async () => {
        stdinReads++;
        return options.stdin ?? '';
      },
      promptSecret: async () => null,
      env: { ...baseEnv(), ...options.env },
    };
    const code = await runCli(argv, io);
    return { code, out: out.join('\n'), err: err.join('\n'), stdinReads };
  };

  const http = async (method: string, path: string, options: { json?: unknown; headers?: Record<string, string> } = {}): Promise<HttpResult> => {
    const headers: Record<string, string> = { ...options.headers };
    if (options.json !== undefined) headers['content-type'] = 'application/json';
    const response = await fetch(server.url + path, {
      method,
      headers,
      body: options.json === undefined ? undefined : JSON.stringify(options.json),
    });
    const text = await response.text();
    return { status: response.status, body: text ? JSON.parse(text) : null, cookies: response.headers.getSetCookie() };
  };

  /** Signs in over HTTP; returns the cookie (cookie carrier) or the tokens (bearer). */
  const signIn = async (email: string, carrier: 'cookie' | 'bearer', password = PASSWORD) => {
    const response = await http('POST', '/auth/login', { json: { email, password, carrier } });
    if (response.status !== 200) throw new Error(`login failed: ${response.status} ${JSON.stringify(response.body)}`);
    const cookieLine = response.cookies.find((line) => line.startsWith(`${server.tessera.cookieNames.session}=`));
    return {
      sessionId: response.body.session.id as string,
      cookie: cookieLine ? (cookieLine.split(';')[0] as string) : '',
      accessToken: response.body.access_token as string | undefined,
    };
  };

  const createUser = async (email: string): Promise<string> => {
    const run = await cli(['users', 'create', '--email', email, '--password-stdin'], { stdin: `${PASSWORD}\n` });
    if (run.code !== 0) throw new Error(`users create failed: ${run.err}`);
    return (JSON.parse(run.out) as { id: string }).id;
  };

  const sessionStatus = async (cookie: string): Promise<number> => (await http('GET', '/auth/session', { headers: { cookie } })).status;

  beforeAll(async () => {
    dataDir = mkdtempSync(join(tmpdir(), 'tessera-cli-'));
    scratch = mkdtempSync(join(tmpdir(), 'tessera-cli-scratch-'));
    server = await startServer({ env: { ...baseEnv(), PORT: '0', HOST: '127.0.0.1' }, overrides: withBigLimits() });
  });
  afterAll(async () => {
    await server?.close();
    rmSync(dataDir, { recursive: true, force: true });
    rmSync(scratch, { recursive: true, force: true });
  });

  describe('usage', () => {
    it('--help of every command exits 0 and names the command', async () => {
      const cases: Array<[string[], RegExp]> = [
        [['--help'], /Usage: tessera/],
        [['help'], /Usage: tessera/],
        [['-h'], /Usage: tessera/],
        [['serve', '--help'], /tessera serve/],
        [['users', '--help'], /tessera users create/],
        [['users', 'create', '--help'], /tessera users create/],
        [['sessions', '--help'], /tessera sessions list/],
        [['sessions', 'revoke', '--help'], /tessera sessions revoke/],
        [['keys', '--help'], /tessera keys list/],
        [['keys', 'rotate', '--help'], /tessera keys rotate/],
        [['init', '--help'], /tessera init/],
      ];
      for (const [argv, pattern] of cases) {
        const run = await cli(argv);
        expect({ argv, code: run.code }).toEqual({ argv, code: 0 });
        expect(run.out).toMatch(pattern);
      }
    });

    it('no command prints the usage and fails; unknown commands, actions and options exit 2', async () => {
      const none = await cli([]);
      expect(none.code).toBe(1);
      expect(none.out).toMatch(/Usage: tessera/);

      const unknown = await cli(['frobnicate']);
      expect(unknown.code).toBe(2);
      expect(unknown.err).toContain('frobnicate');

      for (const argv of [['users', 'frobnicate', '--email', 'a@example.com'], ['sessions', 'frobnicate'], ['keys', 'frobnicate'], ['users', 'list', '--bogus']]) {
        const run = await cli(argv);
        expect({ argv, code: run.code }).toEqual({ argv, code: 2 });
      }
      const missing = await cli(['sessions', 'revoke']);
      expect(missing.code).toBe(2);
      expect(missing.err).toMatch(/--id|--user/);
    });
  });

  describe('users', () => {
    it('users create --password-stdin prints the user, who can then sign in to the running server', async () => {
      const email = uniqueEmail('cli-create');
      const run = await cli(['users', 'create', '--email', email, '--password-stdin'], { stdin: `${PASSWORD}\n` });
      expect(run.code).toBe(0);
      expect(run.stdinReads).toBe(1);
      const printed = JSON.parse(run.out) as { id: string; email: string };
      expect(printed.email).toBe(email);
      expect(typeof printed.id).toBe('string');
      expect(run.out + run.err).not.toContain(PASSWORD);

      const login = await http('POST', '/auth/login', { json: { email, password: PASSWORD } });
      expect(login.status).toBe(200);
      expect(login.body.user.id).toBe(printed.id);
      // The trailing newline of stdin is not part of the password.
      const withNewline = await http('POST', '/auth/login', { json: { email, password: `${PASSWORD}\n` } });
      expect(withNewline.status).toBe(401);

      const listed = await cli(['users', 'list']);
      expect(listed.code).toBe(0);
      expect(listed.out.split('\n').map((line) => JSON.parse(line).email)).toContain(email);
    });

    it('a duplicate e-mail exits 1 with email_taken', async () => {
      const email = uniqueEmail('cli-dup');
      await createUser(email);
      const again = await cli(['users', 'create', '--email', email, '--password-stdin'], { stdin: 'another password entirely\n' });
      expect(again.code).toBe(1);
      expect(again.err).toContain('email_taken');
      expect(again.out).toBe('');
    });

    it('users create without --password-stdin and without a terminal exits 2 with a hint', async () => {
      const email = uniqueEmail('cli-notty');
      const run = await cli(['users', 'create', '--email', email]);
      expect(run.code).toBe(2);
      expect(run.err).toContain('--password-stdin');
      expect(run.stdinReads).toBe(0);
      expect((await http('POST', '/auth/login', { json: { email, password: PASSWORD } })).status).toBe(401);
    });

    it('a password that breaks the policy exits 1 with validation_failed', async () => {
      const run = await cli(['users', 'create', '--email', uniqueEmail('cli-weak'), '--password-stdin'], { stdin: 'short\n' });
      expect(run.code).toBe(1);
      expect(run.err).toContain('validation_failed');
    });

    it('users disable ends every session and refuses sign-in with 403 account_disabled', async () => {
      const email = uniqueEmail('cli-disable');
      await createUser(email);
      const cookieSession = await signIn(email, 'cookie');
      const bearerSession = await signIn(email, 'bearer');
      expect(await sessionStatus(cookieSession.cookie)).toBe(200);
      expect((await http('GET', '/auth/verify', { headers: { authorization: `Bearer ${bearerSession.accessToken}` } })).status).toBe(200);

      const run = await cli(['users', 'disable', '--email', email]);
      expect(run.code).toBe(0);
      expect(await sessionStatus(cookieSession.cookie)).toBe(401);
      expect((await http('GET', '/auth/verify', { headers: { authorization: `Bearer ${bearerSession.accessToken}` } })).status).toBe(401);
      const login = await http('POST', '/auth/login', { json: { email, password: PASSWORD } });
      expect(login.status).toBe(403);
      expect(login.body.code).toBe('account_disabled');

      expect((await cli(['users', 'enable', '--email', email])).code).toBe(0);
      expect((await http('POST', '/auth/login', { json: { email, password: PASSWORD } })).status).toBe(200);
      // Re-enabling does not resurrect the old sessions.
      expect(await sessionStatus(cookieSession.cookie)).toBe(401);

      const missing = await cli(['users', 'disable', '--email', uniqueEmail('nobody')]);
      expect(missing.code).toBe(1);
    });
  });

  describe('sessions', () => {
    it('sessions list --user shows the live sessions', async () => {
      const email = uniqueEmail('cli-list');
      await createUser(email);
      const a = await signIn(email, 'cookie');
      const b = await signIn(email, 'bearer');
      const run = await cli(['sessions', 'list', '--user', email]);
      expect(run.code).toBe(0);
      const rows = run.out.split('\n').map((line) => JSON.parse(line) as { id: string; carrier: string });
      expect(rows.map((r) => r.id).sort()).toEqual([a.sessionId, b.sessionId].sort());
      expect(rows.find((r) => r.id === a.sessionId)?.carrier).toBe('cookie');
      expect(rows.find((r) => r.id === b.sessionId)?.carrier).toBe('bearer');
      // Never a secret: no session token, no hash.
      expect(run.out).not.toContain(a.cookie.split('=')[1] as string);
      expect(run.out).not.toMatch(/secret|hash/i);
    });

    it('sessions revoke --id: the running server refuses that cookie on its next request', async () => {
      const email = uniqueEmail('cli-revoke-id');
      await createUser(email);
      const victim = await signIn(email, 'cookie');
      const other = await signIn(email, 'cookie');
      // Both validated (and cached) by the server first.
      expect(await sessionStatus(victim.cookie)).toBe(200);
      expect(await sessionStatus(other.cookie)).toBe(200);

      const run = await cli(['sessions', 'revoke', '--id', victim.sessionId]);
      expect(run.code).toBe(0);
      expect(await sessionStatus(victim.cookie)).toBe(401);
      expect(await sessionStatus(other.cookie)).toBe(200);

      const again = await cli(['sessions', 'revoke', '--id', victim.sessionId]);
      expect(again.code).toBe(1);
    });

    it('sessions revoke --user: every session refused, bearer tokens refused at /auth/verify within the revocation sync', async () => {
      const email = uniqueEmail('cli-revoke-user');
      await createUser(email);
      const cookieA = await signIn(email, 'cookie');
      const cookieB = await signIn(email, 'cookie');
      const bearerSession = await signIn(email, 'bearer');
      const token = bearerSession.accessToken as string;
      expect((await http('GET', '/auth/verify', { headers: { authorization: `Bearer ${token}` } })).status).toBe(200);
      const claims = server.tessera.tokens.verifier.verify(token);
      expect(server.tessera.revocationSet.isRevoked(claims)).toBe(false);

      const run = await cli(['sessions', 'revoke', '--user', email]);
      expect(run.code).toBe(0);
      expect(run.out).toContain('3');
      expect(await sessionStatus(cookieA.cookie)).toBe(401);
      expect(await sessionStatus(cookieB.cookie)).toBe(401);
      // The revocation entries the CLI wrote reach the server's verifier within its 1 s sync.
      const synced = await pollUntil(() => server.tessera.revocationSet.isRevoked(claims), 3_000);
      expect(synced).toBe(true);
      const verify = await http('GET', '/auth/verify', { headers: { authorization: `Bearer ${token}` } });
      expect(verify.status).toBe(401);
      expect(() => server.tessera.tokens.verifier.verify(token)).toThrow(expect.objectContaining({ code: 'token_revoked' }));
      const listed = await cli(['sessions', 'list', '--user', email]);
      expect(listed.out).toBe('');
    });
  });

  describe('keys', () => {
    it('keys list shows the current key; keys rotate adds a next key the server then publishes', async () => {
      const before = await cli(['keys', 'list']);
      expect(before.code).toBe(0);
      const keys = before.out.split('\n').map((line) => JSON.parse(line) as { kid: string; state: string; alg: string });
      expect(keys.filter((k) => k.state === 'current')).toHaveLength(1);
      const current = keys.find((k) => k.state === 'current');
      expect(current?.alg).toBe('ES256');
      const jwks = (await http('GET', '/.well-known/jwks.json')).body as { keys: Array<{ kid: string }> };
      expect(jwks.keys.map((k) => k.kid)).toContain(current?.kid);

      const rotated = await cli(['keys', 'rotate']);
      expect(rotated.code).toBe(0);
      const after = (await cli(['keys', 'list'])).out.split('\n').map((line) => JSON.parse(line) as { kid: string; state: string });
      const next = after.filter((k) => k.state === 'next');
      expect(next).toHaveLength(1);
      expect(rotated.out).toContain(next[0]?.kid as string);
      expect(after.find((k) => k.kid === current?.kid)?.state).toBe('current');

      // The server picks it up on its next key-ring refresh (every minute; forced here).
      await server.tessera.keyRing.refresh();
      const published = (await http('GET', '/.well-known/jwks.json')).body as { keys: Array<{ kid: string }> };
      expect(published.keys.map((k) => k.kid)).toContain(next[0]?.kid);
    });
  });

  describe('init and configuration errors', () => {
    it('init writes a configuration that loadConfig accepts (bearer carriers, SameSite strict)', async () => {
      const output = join(scratch, 'c.json');
      const run = await cli(['init', '--cross-domain', 'yes', '--distributed', 'no', '--high-security', 'yes', '--output', output]);
      expect(run.code).toBe(0);
      expect(existsSync(output)).toBe(true);
      const written = JSON.parse(readFileSync(output, 'utf8')) as Record<string, unknown>;
      expect(written).toHaveProperty('carriers');
      const config = loadConfig({ TESSERA_CONFIG: output, TESSERA_DATA_DIR: dataDir });
      expect(Object.values(config.carriers)).toContain('bearer');
      expect(config.cookie.sameSite).toBe('strict');
      expect(config.cookie.secure).toBe(true);
      expect(config.tokens.accessTokenTtlMs).toBeLessThanOrEqual(5 * 60_000);

      // It never overwrites silently.
      const again = await cli(['init', '--cross-domain', 'yes', '--distributed', 'no', '--high-security', 'yes', '--output', output]);
      expect(again.code).toBe(1);
      const bad = await cli(['init', '--cross-domain', 'maybe', '--distributed', 'no', '--high-security', 'no', '--output', join(scratch, 'd.json')]);
      expect(bad.code).toBe(2);
      expect(existsSync(join(scratch, 'd.json'))).toBe(false);
    });

    it('settings from a configuration file (publicUrl, cookie.secure) are honoured, not re-derived', async () => {
      const file = join(scratch, 'explicit.json');
      writeFileSync(file, JSON.stringify({ publicUrl: 'https://auth.example.com', cookie: { secure: true, sameSite: 'lax' } }));
      const config = loadConfig({ TESSERA_CONFIG: file, TESSERA_DATA_DIR: dataDir });
      expect(config.publicUrl).toBe('https://auth.example.com');
      expect(config.tokens.issuer).toBe('https://auth.example.com');
      expect(config.cookie.secure).toBe(true);
      // And the environment still wins over the file.
      const fromEnv = loadConfig({ TESSERA_CONFIG: file, TESSERA_DATA_DIR: dataDir, TESSERA_PUBLIC_URL: 'https://other.example.com' });
      expect(fromEnv.publicUrl).toBe('https://other.example.com');
    });

    it('a configuration error exits 78 with a message that names the variable', async () => {
      for (const argv of [['users', 'list'], ['keys', 'list'], ['sessions', 'list', '--user', 'a@example.com'], ['serve']]) {
        const run = await cli(argv, { env: { PORT: 'abc' } });
        expect({ argv, code: run.code }).toEqual({ argv, code: 78 });
        expect(run.err).toContain('PORT');
      }
      const badFile = join(scratch, 'bad.json');
      writeFileSync(badFile, '{"nonsense": true}');
      const file = await cli(['users', 'list'], { env: { TESSERA_CONFIG: badFile } });
      expect(file.code).toBe(78);
      expect(file.err).toContain('nonsense');
      const store = await cli(['users', 'list'], { env: { TESSERA_SESSION_STORE: 'mongodb://nope' } });
      expect(store.code).toBe(78);
      expect(store.err).toContain('TESSERA_SESSION_STORE');
    });
  });
});
