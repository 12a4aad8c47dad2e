/**
 * Redis memory per session (issue: ≤ 400 bytes with 100,000 sessions). Sessions are created
 * through Tessera's own Redis store — the real createSession script, real session ids with
 * routing tags, a 111-character Chrome User-Agent and an IPv4 address, cookie lifetimes — and
 * the figure is the growth of Redis's `used_memory` divided by the number of sessions, so it
 * includes everything a session costs: its key, value and TTL entry, the hash-table buckets and
 * its share of the session indexes. `MEMORY USAGE` of one session key is reported for
 * reference (it leaves out the buckets and the TTL entry), with the value's length and the
 * indexes' encoding and share per session.
 *
 * Two distributions, each with its own target: one session per user and 2.5 per user on
 * average (1, 2, 3, 4 sessions in turn). Indexes are shared by all users whose routing tags
 * start with the same `indexTagChars` (default 2) characters, so both should cost about the
 * same. Runs on BENCH_REDIS_URL (default the local Redis) under a unique 8-character key prefix
 * (as long as the default `tessera:`, since key length is part of the figure), deleted
 * afterwards; needs `npm run build` (npm run bench does it).
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

/**
 * Waits until `used_memory` has stopped moving (Redis shrinks the keyspace's hash tables in its
 * cron a moment after the previous scenario's keys went; a baseline taken before that would
 * spare the next scenario the cost of growing them again). Returns the settled figure.
 */
async function settledMemory(client) {
  let last = await usedMemory(client);
  let steady = 0;
  for (let i = 0; i < 60 && steady < 3; i++) {
    await new Promise((resolve) => setTimeout(resolve, 250));
    const now = await usedMemory(client);
    steady = now === last ? steady + 1 : 0;
    last = now;
  }
  return last;
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
    const before = await settledMemory(redis.client);
    const { sample, users } = await fill(stores, count, scenario.perUser);
    const after = await usedMemory(redis.client);
    const perSession = (after - before) / count;

    const { createKeyLayout } = await import('../../dist/stores/redis/redis-keys.js');
    const keys = createKeyLayout(prefix);
    const one = keys.session(sample[0]);
    const sessionUsage = Number(await redis.client.memoryUsage(one.key));
    const valueLength = Number(await redis.client.strLen(one.key));
    // Every index key, its encoding and its MEMORY USAGE (SAMPLES 0: the whole hash).
    const indexKeys = (await redis.keys(prefix)).filter((key) => keys.indexRef(key) !== null);
    const encodings = new Map();
    let indexUsage = 0;
    for (const key of indexKeys) {
      const encoding = await redis.client.sendCommand(['OBJECT', 'ENCODING', key]);
      encodings.set(encoding, (encodings.get(encoding) ?? 0) + 1);
      indexUsage += Number(await redis.client.sendCommand(['MEMORY', 'USAGE', key, 'SAMPLES', '0']));
    }
    const encodingText = [...encodings].map(([name, n]) => `${n} ${name}`).join(', ');
    ctx.log(`  ${scenario.label}: ${count} sessions of ${users} users, ${perSession.toFixed(1)} B/session`);
    ctx.log(`    ${indexKeys.length} index keys (${encodingText}), ${(indexUsage / count).toFixed(1)} B/session of MEMORY USAGE`);
    ctx.log(`    MEMORY USAGE ${one.key} = ${sessionUsage} B, STRLEN ${valueLength} B`);
    return { perSession, users, sessionUsage, valueLength, indexKeys: indexKeys.length, indexShare: indexUsage / count, encodingText };
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
    results.push({ label: `  of which session indexes, ${scenario.label} (MEMORY USAGE)`, value: Math.round(m.indexShare), unit: 'B' });
    ratios.push({
      label: `${BUDGET_BYTES} B budget ÷ bytes per session, ${scenario.label}`,
      value: Number((BUDGET_BYTES / m.perSession).toFixed(3)),
      target: 1,
      pass: m.perSession <= BUDGET_BYTES,
    });
    notes.push(`${scenario.label}: ${m.users} users, ${m.indexKeys} index keys (${m.encodingText})`);
    if (scenario.key === 'one') {
      results.push({ label: 'MEMORY USAGE of one session key (no TTL entry, no buckets)', value: m.sessionUsage, unit: 'B' });
      results.push({ label: 'its value length (STRLEN)', value: m.valueLength, unit: 'B' });
    }
  }
  const config = await redis.client.configGet('hash-max-listpack-entries').catch(() => ({}));
  const limit = config['hash-max-listpack-entries'];
  if (limit !== undefined) notes.push(`hash-max-listpack-entries ${limit}: an index beyond it becomes a hashtable (~+57 B per session)`);
  if (ctx.options.quick) notes.push(`QUICK: ${count} sessions instead of 100,000`);
  notes.push('shared Redis: other clients writing during the run would add to the delta');
  return { name: 'redis-memory', description, notes, results, ratios };
}
