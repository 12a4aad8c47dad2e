/**
 * Issue 4: revocation latency across nodes and processes — from the revoke call to the moment
 * verifiers in other processes refuse the token. Target: p99 < 50 ms, on Redis and on PostgreSQL.
 *
 * Per store, two Tessera nodes share it (same TESSERA_SECRET, issuer and audience; for Redis the
 * users live in SQLite in a data directory both nodes share): node A takes the logouts, node B
 * serves the JWKS and the SSE revocation feed that 8 verifier processes follow
 * (bench/suites/support/revocation-verifier.mjs: `createVerifier` from tessera/verifier with a
 * client credential, pinned to the load core). So every revocation has to cross from A to B
 * through the store's bus (Redis pub/sub, PostgreSQL LISTEN/NOTIFY), then B's feed, then each
 * verifier's SSE client.
 *
 * One sample: a fresh bearer session signed in on A; its access token is handed to the 8
 * verifiers, each of which must accept it (then checks it every millisecond and after every feed
 * chunk); the harness reads the shared clock (performance.timeOrigin + performance.now()) and
 * sends `POST /auth/logout` with the token to A; each verifier reports when it first refused the
 * token (it must be `token_revoked`). Latency = refusal − revoke call start, 8 per sample,
 * BENCH_REVOCATIONS samples (default 50; 10 in quick mode), p50/p95/p99/max over all of them.
 * The verifiers' clocks are compared with the harness's by IPC ping-pong before measuring.
 */
import { request as httpRequest } from 'node:http';
import { setTimeout as sleep } from 'node:timers/promises';
import { expectResponse, request } from '../lib/http.mjs';
import { connectRedis } from '../lib/redis.mjs';
import { startHelper } from './support/children.mjs';
import {
  POSTGRES_URL,
  REDIS_URL,
  loginBearer,
  mapLimit,
  randomSecret,
  registerUser,
  tesseraEnv,
  uniquePostgresSchema,
  uniqueRedisPrefix,
} from './support/tessera-setup.mjs';

export const description = 'revocation latency: logout on node A → refusal in 8 verifier processes following node B (Redis, PostgreSQL)';

const BUDGET_MS = 50;
const VERIFIERS = 8;
const ISSUER = 'https://auth.bench.example';
const CLIENT_ID = 'bench-verifier';
const now = () => performance.timeOrigin + performance.now();

/** Nearest-rank percentile of sorted values. */
function percentile(sorted, p) {
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))];
}

/** Routes a helper's replies by id. */
function dispatcher(helper) {
  const waiting = new Map();
  helper.child.on('message', (message) => {
    const key = `${message?.type}:${message?.id}`;
    const waiter = waiting.get(key);
    if (waiter) {
      waiting.delete(key);
      waiter(message);
    }
  });
  return {
    expect(type, id, timeoutMs = 15_000) {
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => {
          waiting.delete(`${type}:${id}`);
          reject(new Error(`${helper.name}: no ${type} reply for ${id} within ${timeoutMs} ms`));
        }, timeoutMs);
        waiting.set(`${type}:${id}`, (message) => {
          clearTimeout(timer);
          resolve(message);
        });
      });
    },
    send: (message) => helper.child.send(message),
  };
}

/** POST /auth/logout with the bearer token over a fresh connection; resolves to the status. */
function logout(url, accessToken) {
  return new Promise((resolve, reject) => {
    const req = httpRequest(new URL('/auth/logout', url), { method: 'POST', headers: { authorization: `Bearer ${accessToken}` } }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode));
    });
    req.on('error', reject);
    req.end();
  });
}

/** Offset of each verifier's clock from the harness's (min-RTT of 20 ping-pongs). */
async function calibrate(verifiers) {
  const out = [];
  for (const v of verifiers) {
    let best = null;
    for (let i = 0; i < 20; i++) {
      const id = `c${i}`;
      const reply = v.io.expect('clock', id);
      const t1 = now();
      v.io.send({ type: 'clock', id });
      const { now: tc } = await reply;
      const t2 = now();
      const rtt = t2 - t1;
      if (best === null || rtt < best.rtt) best = { rtt, offset: tc - (t1 + t2) / 2 };
    }
    out.push(best);
  }
  return out;
}

async function runScenario(ctx, scenario, count) {
  const clientSecret = randomSecret(36);
  const common = {
    TESSERA_SECRET: randomSecret(),
    TESSERA_TOKEN_ISSUER: ISSUER,
    TESSERA_TOKEN_AUDIENCE: ISSUER,
    TESSERA_CLIENTS: `${CLIENT_ID}:${clientSecret}`,
    ...scenario.env,
  };
  const envA = await tesseraEnv(ctx, common);
  // Both nodes use one data directory (SQLite users where the store holds only sessions).
  const envB = { ...(await tesseraEnv(ctx, common)), TESSERA_DATA_DIR: envA.TESSERA_DATA_DIR };
  const nodeA = await ctx.startServer({ name: `tessera-${scenario.key}-a`, script: 'tessera.mjs', env: envA });
  const nodeB = await ctx.startServer({ name: `tessera-${scenario.key}-b`, script: 'tessera.mjs', env: envB });

  const verifiers = await Promise.all(
    Array.from({ length: VERIFIERS }, async (_, i) => {
      const helper = await startHelper(ctx, {
        name: `verifier-${scenario.key}-${i + 1}`,
        script: 'revocation-verifier.mjs',
        core: 'load',
        env: {
          BENCH_ISSUER: ISSUER,
          BENCH_AUDIENCE: ISSUER,
          BENCH_JWKS_URL: new URL('/.well-known/jwks.json', nodeB.url).href,
          BENCH_REVOCATIONS_URL: new URL('/auth/revocations', nodeB.url).href,
          BENCH_CLIENT_ID: CLIENT_ID,
          BENCH_CLIENT_SECRET: clientSecret,
        },
      });
      return { helper, io: dispatcher(helper) };
    }),
  );

  ctx.log(`  ${scenario.label}: signing in ${count} bearer sessions on node A`);
  const user = await registerUser(nodeA.url);
  const sessions = await mapLimit(Array.from({ length: count }), 4, () => loginBearer(nodeA.url, user));
  // Node B knows the sessions too (shared store) and accepts their tokens before the logout.
  const probe = await request(new URL('/auth/session', nodeB.url), { headers: { authorization: `Bearer ${sessions[0].accessToken}` } });
  expectResponse(probe.status === 200 && probe.body?.session?.id === sessions[0].sessionId, `${scenario.label}: node B GET /auth/session with a token from node A`, probe);

  const offsets = await calibrate(verifiers);
  const latencies = [];
  const logoutMs = [];
  const firsts = []; // per sample: the first of the 8 refusals (propagation to the fastest verifier)
  const spreads = []; // per sample: last − first refusal (fan-out across the 8 processes)
  for (let i = 0; i < sessions.length; i++) {
    const session = sessions[i];
    const id = `${scenario.key}-${i}`;
    const armed = await Promise.all(
      verifiers.map((v) => {
        const reply = v.io.expect('armed', id);
        v.io.send({ type: 'arm', id, token: session.accessToken });
        return reply;
      }),
    );
    for (const a of armed) {
      if (a.error || a.sid !== session.sessionId) throw new Error(`${scenario.label}: a verifier did not accept a fresh token before the logout (${a.error ?? a.sid})`);
    }
    const refusals = verifiers.map((v) => v.io.expect('refused', id, 15_000));
    await sleep(10);
    const start = now();
    const status = await logout(nodeA.url, session.accessToken);
    logoutMs.push(now() - start);
    if (status !== 204) throw new Error(`${scenario.label}: POST /auth/logout answered ${status}, expected 204`);
    const sample = [];
    for (const refusal of await Promise.all(refusals)) {
      if (refusal.code !== 'token_revoked' || refusal.at === null) {
        throw new Error(`${scenario.label}: sample ${i + 1}: a verifier ended with ${refusal.code}, expected token_revoked`);
      }
      sample.push(refusal.at - start);
    }
    latencies.push(...sample);
    firsts.push(Math.min(...sample));
    spreads.push(Math.max(...sample) - Math.min(...sample));
    await sleep(20 + Math.random() * 30);
  }
  // After the run: node B refuses the last token too (its session is gone everywhere).
  const after = await request(new URL('/auth/session', nodeB.url), { headers: { authorization: `Bearer ${sessions.at(-1).accessToken}` } });
  expectResponse(after.status === 401, `${scenario.label}: node B GET /auth/session with a logged-out token (expected 401)`, after);
  for (const v of verifiers) await v.helper.close();

  const sorted = [...latencies].sort((a, b) => a - b);
  const sortedFirsts = [...firsts].sort((a, b) => a - b);
  const sortedSpreads = [...spreads].sort((a, b) => a - b);
  const stats = {
    firstP50: percentile(sortedFirsts, 50),
    firstP99: percentile(sortedFirsts, 99),
    spreadP50: percentile(sortedSpreads, 50),
    spreadP99: percentile(sortedSpreads, 99),
    samples: latencies.length,
    p50: percentile(sorted, 50),
    p95: percentile(sorted, 95),
    p99: percentile(sorted, 99),
    max: sorted.at(-1),
    min: sorted[0],
    logoutP50: [...logoutMs].sort((a, b) => a - b)[Math.floor(logoutMs.length / 2)],
    clockOffsetMaxMs: Math.max(...offsets.map((o) => Math.abs(o.offset))),
    clockRttMaxMs: Math.max(...offsets.map((o) => o.rtt)),
  };
  ctx.log(
    `  ${scenario.label}: ${stats.samples} refusals: p50 ${stats.p50.toFixed(2)} ms, p95 ${stats.p95.toFixed(2)} ms, p99 ${stats.p99.toFixed(2)} ms, max ${stats.max.toFixed(2)} ms ` +
      `(logout answered in ${stats.logoutP50.toFixed(2)} ms median; clock offsets ≤ ${stats.clockOffsetMaxMs.toFixed(3)} ms)`,
  );
  return stats;
}

export async function run(ctx) {
  const count = Number(process.env.BENCH_REVOCATIONS ?? (ctx.options.quick ? 10 : 50));
  const redis = await connectRedis(REDIS_URL);
  ctx.onCleanup(() => redis.close());
  const schema = await uniquePostgresSchema(ctx, 'revocation');
  const prefix = uniqueRedisPrefix(ctx, redis, 'revocation');
  const scenarios = [
    { key: 'redis', label: 'Redis', env: { TESSERA_SESSION_STORE: REDIS_URL, TESSERA_REDIS_PREFIX: prefix } },
    { key: 'postgres', label: 'PostgreSQL', env: { TESSERA_SESSION_STORE: POSTGRES_URL, TESSERA_USER_STORE: POSTGRES_URL, TESSERA_POSTGRES_SCHEMA: schema } },
  ];
  const results = [];
  const ratios = [];
  const notes = [];
  const stats = {};
  for (const scenario of scenarios) {
    const s = await runScenario(ctx, scenario, count);
    stats[scenario.key] = s;
    const us = (ms) => Math.round(ms * 1000);
    for (const p of ['p50', 'p95', 'p99', 'max']) {
      results.push({ label: `${scenario.label}: revoke call → refusal in another process, ${p} (${s.samples} samples)`, value: us(s[p]), unit: 'µs' });
    }
    ratios.push({
      label: `${BUDGET_MS} ms budget ÷ p99, ${scenario.label}`,
      value: Number((BUDGET_MS / s.p99).toFixed(3)),
      target: 1,
      pass: s.p99 < BUDGET_MS,
    });
    notes.push(
      `${scenario.label}: per revocation, the first of the ${VERIFIERS} verifiers refused after ${s.firstP50.toFixed(2)} ms (p50; p99 ${s.firstP99.toFixed(2)} ms) and the last ` +
        `${s.spreadP50.toFixed(2)} ms later (p50; p99 ${s.spreadP99.toFixed(2)} ms): propagation to the feed vs fan-out across the verifier processes`,
    );
    notes.push(
      `${scenario.label}: logout answered in ${s.logoutP50.toFixed(2)} ms (median); fastest refusal ${s.min.toFixed(2)} ms; verifier clocks within ${s.clockOffsetMaxMs.toFixed(3)} ms of the harness's (ping-pong RTT ≤ ${s.clockRttMaxMs.toFixed(2)} ms)`,
    );
  }
  notes.push(
    `${count} revocations per store, each a fresh bearer session; 2 Tessera nodes pinned to the server core, ${VERIFIERS} verifier processes pinned to the load core, Redis/PostgreSQL and the harness unpinned`,
  );
  return { name: 'revocation-latency', description, results, ratios, notes, stats };
}
