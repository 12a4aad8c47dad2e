/**
 * Set-up shared by the token and scale-out suites: Tessera configured for a benchmark (rate
 * limits raised, since the set-up registers and signs in many users from one IP), bearer sign-in
 * over HTTP, a unique PostgreSQL schema and Redis key prefix per run (removed afterwards), and
 * the pids of the PostgreSQL backends serving one process (for the CPU columns).
 */
import { randomBytes } from 'node:crypto';
import { readdirSync, readFileSync, readlinkSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import pg from 'pg';
import { expectResponse, request } from '../../lib/http.mjs';

export const POSTGRES_URL = process.env.BENCH_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
export const REDIS_URL = process.env.BENCH_REDIS_URL ?? 'redis://127.0.0.1:6379';

const BIG = { limit: 100_000_000, windowMs: 60_000 };

/**
 * The environment of a benchmark Tessera: a fresh data directory (SQLite unless the caller names
 * other stores), silent logs, a TESSERA_CONFIG file that only raises the rate limits, and 1 h
 * access tokens (the longest allowed) so a token signed at set-up outlives a long, noisy run.
 * Everything else is Tessera's default. `extra` adds to or overrides it.
 */
export async function tesseraEnv(ctx, extra = {}) {
  const dir = await ctx.tempDir('tessera-bench-');
  const configFile = join(dir, 'bench-config.json');
  await writeFile(configFile, JSON.stringify({ rateLimit: { loginPerIp: BIG, loginPerAccount: BIG, registerPerIp: BIG } }));
  return {
    TESSERA_DATA_DIR: join(dir, 'data'),
    HOST: '127.0.0.1',
    PORT: '0',
    TESSERA_LOG_LEVEL: 'silent',
    TESSERA_CONFIG: configFile,
    TESSERA_ACCESS_TOKEN_TTL: '1h',
    ...extra,
  };
}

/** A secret of `bytes` random bytes, base64url (TESSERA_SECRET wants ≥ 43 characters). */
export const randomSecret = (bytes = 48) => randomBytes(bytes).toString('base64url');

/** Registers a fresh user; returns `{ email, password }`. */
export async function registerUser(url) {
  const email = `bench-${randomBytes(6).toString('hex')}@example.com`;
  const password = `Bench-${randomBytes(18).toString('base64url')}`;
  const registered = await request(new URL('/auth/register', url), { method: 'POST', json: { email, password } });
  expectResponse(registered.status === 201, 'Tessera POST /auth/register', registered);
  return { email, password, userId: registered.body.user.id };
}

/** Signs `user` in with the bearer carrier; returns `{ accessToken, refreshToken, sessionId }`. */
export async function loginBearer(url, user) {
  const login = await request(new URL('/auth/login', url), { method: 'POST', json: { email: user.email, password: user.password, carrier: 'bearer' } });
  expectResponse(
    login.status === 200 && typeof login.body?.access_token === 'string' && typeof login.body?.refresh_token === 'string',
    'Tessera POST /auth/login (bearer)',
    login,
  );
  return { accessToken: login.body.access_token, refreshToken: login.body.refresh_token, sessionId: login.body.session.id, user };
}

/** Throws unless `GET /auth/session` with the bearer token is 200 with `email`; returns the body. */
export async function expectBearerSignedIn(url, accessToken, email, when) {
  const who = await request(new URL('/auth/session', url), { headers: { authorization: `Bearer ${accessToken}` } });
  expectResponse(
    who.status === 200 && who.body?.user?.email === email && who.body?.session?.carrier === 'bearer',
    `Tessera GET /auth/session with the bearer token ${when} (expected 200 with the signed-in user)`,
    who,
  );
  return who.body;
}

/** Registers a user, signs in with the bearer carrier and checks the token is accepted. */
export async function signInBearer(url) {
  const user = await registerUser(url);
  const session = await loginBearer(url, user);
  await expectBearerSignedIn(url, session.accessToken, user.email, 'before measuring');
  return session;
}

/** Runs `fn` over `items` with at most `limit` in flight; resolves to the results in order. */
export async function mapLimit(items, limit, fn) {
  const results = new Array(items.length);
  let next = 0;
  const lanes = Array.from({ length: Math.min(limit, items.length) }, async () => {
    while (next < items.length) {
      const i = next++;
      results[i] = await fn(items[i], i);
    }
  });
  await Promise.all(lanes);
  return results;
}

/**
 * A PostgreSQL schema unique to this run (Tessera creates it on start); dropped with CASCADE
 * after the suite, servers closed first (the clean-up is registered before any server starts).
 */
export async function uniquePostgresSchema(ctx, label) {
  const schema = `tessera_bench_${label}_${randomBytes(4).toString('hex')}`;
  const client = new pg.Client({ connectionString: POSTGRES_URL, connectionTimeoutMillis: 3_000 });
  try {
    await client.connect();
    await client.query('SELECT 1');
  } catch (error) {
    throw new Error(`PostgreSQL is not reachable at ${POSTGRES_URL} (${error.message}). Start it or set BENCH_POSTGRES_URL.`, { cause: error });
  } finally {
    await client.end().catch(() => {});
  }
  ctx.onCleanup(async () => {
    const admin = new pg.Client({ connectionString: POSTGRES_URL });
    await admin.connect();
    try {
      await admin.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
      ctx.log(`  dropped PostgreSQL schema ${schema}`);
    } finally {
      await admin.end();
    }
  });
  return schema;
}

/**
 * A Redis key prefix unique to this run; every key under it is deleted after the suite (servers
 * closed first). `redis` is a handle from bench/lib/redis.mjs.
 */
export function uniqueRedisPrefix(ctx, redis, label) {
  const prefix = `tb-${label}-${randomBytes(4).toString('hex')}:`;
  ctx.onCleanup(async () => {
    const deleted = await redis.deleteKeys(prefix);
    ctx.log(`  deleted ${deleted} Redis key(s) under ${prefix}`);
  });
  return prefix;
}

/** Pids of every process whose command name is `name` (from /proc/<pid>/stat); [] off Linux. */
export function processesNamed(name) {
  if (process.platform !== 'linux') return [];
  const pids = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      if (stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')')) === name) pids.push(Number(entry));
    } catch {
      // gone meanwhile
    }
  }
  return pids;
}

/**
 * The CPU group of the PostgreSQL backends serving process `pid` during a measurement (see
 * bench/suites/support/measure-custom.mjs): every postgres process is a candidate at the start,
 * and the members are the backends connected to `pid` at the end.
 */
export function postgresBackendsOf(pid) {
  return { before: () => processesNamed('postgres'), after: () => postgresBackendPids(pid) };
}

/**
 * The pids of the PostgreSQL backends serving process `pid`: its TCP connections to port 5432
 * (socket inodes from /proc/<pid>/fd, local ports from /proc/net/tcp{,6}) matched to
 * pg_stat_activity.client_port. Linux only; [] elsewhere.
 */
export async function postgresBackendPids(pid, port = Number(new URL(POSTGRES_URL).port || 5432)) {
  if (process.platform !== 'linux') return [];
  const inodes = new Set();
  for (const fd of readdirSync(`/proc/${pid}/fd`)) {
    try {
      const target = readlinkSync(`/proc/${pid}/fd/${fd}`);
      const match = /^socket:\[(\d+)\]$/.exec(target);
      if (match) inodes.add(match[1]);
    } catch {
      // closed meanwhile
    }
  }
  const ports = [];
  for (const file of ['/proc/net/tcp', '/proc/net/tcp6']) {
    let text;
    try {
      text = readFileSync(file, 'utf8');
    } catch {
      continue;
    }
    for (const line of text.split('\n').slice(1)) {
      const fields = line.trim().split(/\s+/);
      if (fields.length < 10) continue;
      const local = Number.parseInt(fields[1].split(':')[1], 16);
      const remote = Number.parseInt(fields[2].split(':')[1], 16);
      if (remote === port && inodes.has(fields[9])) ports.push(local);
    }
  }
  if (ports.length === 0) return [];
  const client = new pg.Client({ connectionString: POSTGRES_URL });
  await client.connect();
  try {
    const { rows } = await client.query('SELECT pid FROM pg_stat_activity WHERE client_port = ANY($1::int[])', [ports]);
    return rows.map((row) => row.pid);
  } finally {
    await client.end();
  }
}
