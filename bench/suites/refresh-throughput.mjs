/**
 * Issue 4: bearer refreshes per second (`POST /auth/refresh` with a JSON body) on the two
 * scale-out stores, with the bare Fastify hello-world as the reference (no target was set):
 *
 *   PostgreSQL  TESSERA_SESSION_STORE = TESSERA_USER_STORE = postgres://…, a schema of its own
 *   Redis       TESSERA_SESSION_STORE = redis://…, a key prefix of its own; users in SQLite
 *
 * Each Tessera gets BENCH_REFRESH_SESSIONS bearer sessions (default 2,000; 200 in quick mode: 8
 * per user), signed in over HTTP before measuring. The load generator is autocannon in a child of
 * this suite pinned to the load core (bench/suites/support/refresh-load-worker.mjs): each request
 * takes the least recently used idle session and presents its latest refresh token, and each 200
 * answer's new refresh token replaces it — a real rotation chain per session, no session ever
 * in flight twice, consecutive requests on different sessions. Every refresh is a full rotation:
 * load the session and user, compare-and-set the generation, touch the session, sign a new
 * access token. The hello-world runs on the same load generator.
 *
 * Checks: before measuring, a refresh answers 200 with a new pair whose access token works and
 * whose predecessor two generations back is refused as reused (so rotation is real); after
 * measuring, sampled sessions of the pool refresh with their latest token (no chain was broken).
 */
import { expectResponse, request } from '../lib/http.mjs';
import { noiseNotes } from '../lib/measure.mjs';
import { connectRedis } from '../lib/redis.mjs';
import { ask, startHelper } from './support/children.mjs';
import { measureCustom } from './support/measure-custom.mjs';
import {
  POSTGRES_URL,
  REDIS_URL,
  expectBearerSignedIn,
  loginBearer,
  mapLimit,
  postgresBackendsOf,
  randomSecret,
  registerUser,
  tesseraEnv,
  uniquePostgresSchema,
  uniqueRedisPrefix,
} from './support/tessera-setup.mjs';

export const description = 'bearer refreshes/s (full rotation) on PostgreSQL and on Redis, Fastify hello-world as reference';

const SESSIONS_PER_USER = 8;

async function refresh(url, refreshToken) {
  return request(new URL('/auth/refresh', url), { method: 'POST', json: { refresh_token: refreshToken } });
}

/** Rotation is real: a new pair works, and a token two generations back is refused as reused. */
async function checkRotation(url, user, label) {
  const first = await loginBearer(url, user);
  const second = await refresh(url, first.refreshToken);
  expectResponse(second.status === 200 && second.body.refresh_token !== first.refreshToken, `${label} POST /auth/refresh`, second);
  await expectBearerSignedIn(url, second.body.access_token, user.email, `(${label}, refreshed access token)`);
  const third = await refresh(url, second.body.refresh_token);
  expectResponse(third.status === 200, `${label} second POST /auth/refresh`, third);
  const reused = await refresh(url, first.refreshToken);
  expectResponse(reused.status === 401 && reused.body?.code === 'refresh_token_reused', `${label} POST /auth/refresh with a token two generations old (expected 401 refresh_token_reused)`, reused);
  const afterReuse = await refresh(url, third.body.refresh_token);
  expectResponse(afterReuse.status === 401, `${label} POST /auth/refresh after reuse detection (expected 401: the session is ended)`, afterReuse);
}

/** Registers users and signs in `count` bearer sessions; returns their refresh tokens. */
async function createSessions(ctx, url, count, label) {
  const started = Date.now();
  const users = await mapLimit(Array.from({ length: Math.ceil(count / SESSIONS_PER_USER) }), 4, () => registerUser(url));
  const logins = Array.from({ length: count }, (_, i) => users[i % users.length]);
  let done = 0;
  const sessions = await mapLimit(logins, 4, async (user) => {
    const session = await loginBearer(url, user);
    if (++done % 500 === 0) ctx.log(`    ${label}: ${done}/${count} sessions`);
    return session;
  });
  ctx.log(`  ${label}: ${users.length} users, ${sessions.length} bearer sessions signed in over HTTP in ${((Date.now() - started) / 1000).toFixed(0)} s`);
  return { users, tokens: sessions.map((s) => s.refreshToken) };
}

export async function run(ctx) {
  const sessionCount = Number(process.env.BENCH_REFRESH_SESSIONS ?? (ctx.options.quick ? 200 : 2_000));
  const redis = await connectRedis(REDIS_URL);
  ctx.onCleanup(() => redis.close());
  const redisPid = await redis.serverPid();
  const schema = await uniquePostgresSchema(ctx, 'refresh');
  const prefix = uniqueRedisPrefix(ctx, redis, 'refresh');
  const secret = randomSecret();

  ctx.log('  starting servers');
  const hello = await ctx.startServer({ name: 'fastify-hello', script: 'fastify-hello.mjs' });
  const pgServer = await ctx.startServer({
    name: 'tessera-postgres',
    script: 'tessera.mjs',
    env: await tesseraEnv(ctx, { TESSERA_SESSION_STORE: POSTGRES_URL, TESSERA_USER_STORE: POSTGRES_URL, TESSERA_POSTGRES_SCHEMA: schema, TESSERA_SECRET: secret }),
  });
  const redisServer = await ctx.startServer({
    name: 'tessera-redis',
    script: 'tessera.mjs',
    env: await tesseraEnv(ctx, { TESSERA_SESSION_STORE: REDIS_URL, TESSERA_REDIS_PREFIX: prefix, TESSERA_SECRET: secret }),
  });
  const worker = await startHelper(ctx, { name: 'refresh-load', script: 'refresh-load-worker.mjs', core: 'load' });
  let nextId = 0;
  const load = {
    pid: worker.pid,
    async run(options) {
      const reply = await ask(worker, { type: 'run', id: ++nextId, options }, 'result');
      if (reply.error) throw new Error(`refresh load generator: ${reply.error}`);
      return reply.result;
    },
  };

  const helloCheck = await request(new URL('/', hello.url));
  expectResponse(helloCheck.status === 200 && helloCheck.body?.hello === 'world', 'Fastify hello-world GET /', helloCheck);
  const stores = [
    { key: 'postgres', label: 'Tessera refresh (PostgreSQL)', server: pgServer },
    { key: 'redis', label: 'Tessera refresh (Redis)', server: redisServer },
  ];
  for (const store of stores) {
    ctx.log(`  ${store.label}: signing in ${sessionCount} sessions`);
    const { users, tokens } = await createSessions(ctx, store.server.url, sessionCount, store.key);
    await checkRotation(store.server.url, users[0], store.label);
    const origin = new URL(store.server.url).origin;
    const pool = await ask(worker, { type: 'pool', id: ++nextId, origin, tokens }, 'pool-ok');
    if (pool.size !== sessionCount) throw new Error(`${store.label}: the pool holds ${pool.size} sessions, expected ${sessionCount}`);
    store.origin = origin;
  }
  ctx.log('  checked: refresh rotates (new pair works, a token two generations old is refused as reused and ends its session)');


  const figures = await measureCustom(ctx, load, [
    { key: 'hello', label: 'Fastify hello-world', server: hello, load: { url: hello.url } },
    {
      key: 'postgres',
      label: 'Tessera refresh (PostgreSQL)',
      server: pgServer,
      load: { url: pgServer.url, refreshPool: stores[0].origin },
      pidGroups: { postgres: postgresBackendsOf(pgServer.pid), redis: [] },
    },
    {
      key: 'redis',
      label: 'Tessera refresh (Redis)',
      server: redisServer,
      load: { url: redisServer.url, refreshPool: stores[1].origin },
      pidGroups: { postgres: [], redis: redisPid ? [redisPid] : [] },
    },
  ]);

  // Every chain is intact: sampled sessions refresh with the latest token the pool holds.
  const states = {};
  for (const store of stores) {
    const state = await ask(worker, { type: 'pool-state', id: ++nextId, origin: store.origin }, 'pool-state');
    for (const token of state.sample) {
      const answer = await refresh(store.server.url, token);
      expectResponse(answer.status === 200, `${store.label}: a pooled session after measuring (expected its latest refresh token to work)`, answer);
    }
    states[store.key] = state;
  }

  const result = (key, label, unit) => ({ label, value: Math.round(figures[key].median), unit, detail: figures[key] });
  const cost = (key) => figures[key].serverCpuUsPerRequest;
  const ref = (key) => figures[key].median / figures.hello.median;
  const notes = [
    `reference ratios (no target set): PostgreSQL ${ref('postgres').toFixed(3)}× and Redis ${ref('redis').toFixed(3)}× the bare Fastify hello-world`,
    `server CPU per request: hello-world ${cost('hello')?.toFixed(1)} µs, refresh on PostgreSQL ${cost('postgres')?.toFixed(1)} µs (+ PostgreSQL backends), on Redis ${cost('redis')?.toFixed(1)} µs (+ Redis)`,
    `${sessionCount} sessions per store (${SESSIONS_PER_USER} per user), refreshed round-robin, least recently used first: ${states.postgres.refreshed} refreshes on PostgreSQL and ${states.redis.refreshed} on Redis in all; ` +
      `${figures.postgres.resynced + figures.redis.resynced} sessions re-synchronised after runs, ${states.postgres.retired + states.redis.retired} retired`,
    'CPU columns: median share of one core per round (postgres = the backends serving this Tessera\'s pool, redis = redis-server, others = every other process)',
  ];
  notes.push(...noiseNotes(figures.noise));
  return {
    name: 'refresh-throughput',
    description,
    notes,
    results: [
      result('hello', 'Fastify 5 hello-world: GET / (reference, same load generator)', 'req/s'),
      result('postgres', 'Tessera POST /auth/refresh, sessions + users in PostgreSQL', 'refreshes/s'),
      result('redis', 'Tessera POST /auth/refresh, sessions in Redis, users in SQLite', 'refreshes/s'),
    ],
    ratios: [],
    reference: { postgresVsHello: ref('postgres'), redisVsHello: ref('redis') },
  };
}
