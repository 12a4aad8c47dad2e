/**
 * Redis memory per session (issue: ≤ 400 bytes with 100,000 sessions). Sessions are created
 * through Tessera's own Redis store — the real createSession script, real session ids with
 * routing tags, a 111-character Chrome User-Agent and an IPv4 address, cookie lifetimes — and
 * the figure is the growth of Redis's `used_memory` divided by the number of sessions, so it
 * includes everything a session costs: its key, value and TTL entry, the hash-table buckets and
 * its share of the per-user index. `MEMORY USAGE` of sample keys is reported as a cross-check
 * (it leaves out the buckets and the TTL entry).
 *
 * Two distributions: one session per user (the worst case: every session pays a whole index
 * key) and 2.5 per user on average (1, 2, 3, 4 sessions in turn). Runs on BENCH_REDIS_URL
 * (default the local Redis) under a unique 8-character key prefix (as long as the default
 * `tessera:`, since key length is part of the figure), deleted afterwards; needs `npm run build`
 * (npm run bench does it).
 */
import { randomBytes } from 'node:crypto';
import { openRedisStores } from '../../dist/stores/redis/index.js';
import { generateId, generateSessionToken } from '../../dist/core/session-token.js';
import { connectRedis } from '../lib/redis.mjs';

export const description = 'Redis memory per session: 100,000 sessions, 111-char User-Agent, IPv4 (INFO used_memory delta)';

const BUDGET_BYTES = 400;
const USER_AGENT =
  'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0.0.0 Safari/537.36';
const MINUTE = 60_000;
const random = (size) => randomBytes(size);

async function usedMemory(client) {
  const info = await client.info('memory');
  const match = /used_memory:(\d+)/.exec(info);
  if (!match) throw new Error('INFO memory has no used_memory');
  return Number(match[1]);
}

/** A cookie session as Tessera creates it: 12 h absolute lifetime, 30 min idle timeout. */
function cookieSession(userId, n, now) {
  return {
    id: generateSessionToken(random, userId).sessionId,
    userId,
    carrier: 'cookie',
    secretHash: randomBytes(32).toString('base64url'),
    createdAt: now,
    expiresAt: now + 720 * MINUTE,
    idleTimeoutMs: 30 * MINUTE,
    ip: `203.0.${(n >> 8) & 255}.${n & 255}`,
    userAgent: USER_AGENT,
  };
}

/** Creates `count` sessions for users holding `perUser(i)` sessions each; returns a sample of ids. */
async function fill(stores, count, perUser) {
  const now = Date.now();
  const sample = [];
  let created = 0;
  let user = 0;
  while (created < count) {
    const batch = [];
    while (batch.length < 1000 && created < count) {
      const userId = generateId(random);
      const sessions = Math.min(perUser(user++), count - created);
      for (let j = 0; j < sessions; j++) batch.push(cookieSession(userId, created++, now));
    }
    await Promise.all(batch.map((s) => stores.sessions.createSession(s)));
    if (sample.length < 200) sample.push(batch[0].id, batch[batch.length - 1].id);
  }
  return { sample, users: user };
}

async function measureScenario(ctx, redis, redisUrl, scenario, count) {
  // Unique, but exactly as long as the default `tessera:`: key length is part of the figure.
  const prefix = `b${randomBytes(3).toString('hex')}:`;
  // Registered first, so even a failed run deletes its keys.
  ctx.onCleanup(async () => {
    const deleted = await redis.deleteKeys(prefix);
    ctx.log(`  deleted ${deleted} Redis key(s) under ${prefix}`);
  });
  const stores = openRedisStores({ url: redisUrl, keyPrefix: prefix });
  try {
    await stores.ready();
    // Load the scripts (their cache is server memory too) before the baseline is taken.
    const warm = cookieSession(generateId(random), 0, Date.now());
    await stores.sessions.createSession(warm);
    await stores.sessions.deleteSession(warm.id);
    const before = await usedMemory(redis.client);
    const { sample, users } = await fill(stores, count, scenario.perUser);
    const after = await usedMemory(redis.client);
    const perSession = (after - before) / count;

    const { createKeyLayout } = await import('../../dist/stores/redis/redis-keys.js');
    const keys = createKeyLayout(prefix);
    let sessionUsage = 0;
    let valueLength = 0;
    for (const id of sample) {
      sessionUsage += Number(await redis.client.memoryUsage(keys.session(id).key));
      valueLength += Number(await redis.client.strLen(keys.session(id).key));
    }
    ctx.log(`  ${scenario.label}: ${count} sessions of ${users} users, ${perSession.toFixed(1)} B/session`);
    return {
      perSession,
      users,
      sessionUsage: sessionUsage / sample.length,
      valueLength: valueLength / sample.length,
    };
  } finally {
    await stores.close();
    await redis.deleteKeys(prefix);
  }
}

/** Runs the suite. */
export async function run(ctx) {
  const redisUrl = process.env.BENCH_REDIS_URL ?? 'redis://127.0.0.1:6379';
  const redis = await connectRedis(redisUrl);
  ctx.onCleanup(() => redis.close());
  const count = ctx.options.quick ? 20_000 : 100_000;
  const scenarios = [
    { key: 'one', label: '1 session per user', perUser: () => 1 },
    { key: 'mixed', label: '2.5 sessions per user (1–4)', perUser: (i) => 1 + (i % 4) },
  ];
  const results = [];
  const ratios = [];
  const notes = [];
  for (const scenario of scenarios) {
    const m = await measureScenario(ctx, redis, redisUrl, scenario, count);
    results.push({ label: `Redis bytes per session, ${scenario.label} (INFO used_memory delta)`, value: Math.round(m.perSession), unit: 'B' });
    ratios.push({
      label: `${BUDGET_BYTES} B budget ÷ bytes per session, ${scenario.label}`,
      value: Number((BUDGET_BYTES / m.perSession).toFixed(3)),
      target: 1,
      pass: m.perSession <= BUDGET_BYTES,
    });
    if (scenario.key === 'one') {
      results.push({ label: 'MEMORY USAGE of a session key (no TTL entry, no buckets)', value: Math.round(m.sessionUsage), unit: 'B' });
      results.push({ label: 'session value length (STRLEN)', value: Math.round(m.valueLength), unit: 'B' });
    }
  }
  if (ctx.options.quick) notes.push(`QUICK: ${count} sessions instead of 100,000`);
  notes.push('shared Redis: other clients writing during the run would add to the delta');
  return { name: 'redis-memory', description, notes, results, ratios };
}
