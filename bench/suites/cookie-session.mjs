/**
 * Issue 2: an authenticated `GET /auth/session` on Tessera (cookie carrier, SQLite store — the
 * zero-config default) against, with the same load generator in the same run:
 *   (a) a bare Fastify hello-world — target ≥ 0.7×
 *   (b) express-session + connect-redis on the local Redis, a route returning the session's
 *       user as JSON — target ≥ 5×
 */
import { expectExpressSignedIn, signInToExpress, startExpressSession } from './support/express-session.mjs';
import { noiseNotes } from '../lib/measure.mjs';
import { expectResponse, request } from '../lib/http.mjs';
import { expectTesseraSignedIn, signInToTessera, startTessera } from '../lib/tessera.mjs';
import { connectRedis } from '../lib/redis.mjs';
import { pairedRatio } from '../lib/stats.mjs';

export const description = 'authenticated GET /auth/session (cookie, SQLite) vs Fastify hello-world and express-session + connect-redis';

const HELLO_TARGET = 0.7;
const EXPRESS_TARGET = 5;

/** Runs the suite. */
export async function run(ctx) {
  const redisUrl = process.env.BENCH_REDIS_URL ?? 'redis://127.0.0.1:6379';
  const redis = await connectRedis(redisUrl);
  ctx.onCleanup(() => redis.close());
  const redisPid = await redis.serverPid();
  const prefix = `tessera-bench:${ctx.runId}:sess:`;
  // Registered before the server starts, so even a failed run deletes its keys.
  ctx.onCleanup(async () => {
    const deleted = await redis.deleteKeys(prefix);
    ctx.log(`  deleted ${deleted} Redis key(s) under ${prefix}`);
  });

  ctx.log('  starting servers');
  const hello = await ctx.startServer({ name: 'fastify-hello', script: 'fastify-hello.mjs' });
  const express = await startExpressSession(ctx, redisUrl, prefix);
  const tessera = await startTessera(ctx);

  const helloCheck = await request(new URL('/', hello.url));
  expectResponse(helloCheck.status === 200 && helloCheck.body?.hello === 'world', 'Fastify hello-world GET /', helloCheck);
  const tesseraUser = await signInToTessera(tessera.url);
  const expressUser = await signInToExpress(express.url, redis, prefix);
  ctx.log('  checked: Tessera and express-session answer 200 with the signed-in user');

  const figures = await ctx.measure([
    { key: 'hello', label: 'Fastify hello-world', server: hello, request: { path: '/' } },
    {
      key: 'express',
      label: 'express-session + connect-redis',
      server: express,
      request: { path: '/session', headers: { cookie: expressUser.cookie } },
      pids: redisPid ? { redis: redisPid } : {},
    },
    { key: 'tessera', label: 'Tessera', server: tessera, request: { path: '/auth/session', headers: { cookie: tesseraUser.cookie } } },
  ]);

  // Still signed in afterwards (the measurement itself already refused any non-2xx).
  await expectTesseraSignedIn(tessera.url, tesseraUser.cookie, tesseraUser.email, 'after measuring');
  await expectExpressSignedIn(express.url, expressUser.cookie, expressUser.email, 'after measuring');

  const result = (key, label) => ({
    label,
    value: Math.round(figures[key].median),
    unit: 'req/s',
    detail: figures[key],
  });
  // The claim is the median of per-round ratios (rounds pair targets measured seconds apart);
  // the ratio of the medians is in the notes.
  const ratio = (label, numerator, denominator, target) => {
    const value = pairedRatio(figures[numerator].roundValues, figures[denominator].roundValues);
    return { label, value: Number(value.toFixed(3)), target, pass: value >= target };
  };
  const notes = [
    'CPU columns: median share of one core per round (server = the measured server process, load = autocannon, redis = redis-server, others = every other process on the machine, steal = hypervisor steal)',
  ];
  notes.push(
    `ratio of the medians instead: ÷ hello-world ${(figures.tessera.median / figures.hello.median).toFixed(2)}×, ` +
      `÷ express-session ${(figures.tessera.median / figures.express.median).toFixed(2)}×`,
  );
  const cost = (key) => figures[key].serverCpuUsPerRequest;
  if (cost('hello') && cost('tessera') && cost('express')) {
    notes.push(
      `cross-check by server CPU per request (independent of which side saturated): hello-world ${cost('hello').toFixed(1)} µs, ` +
        `Tessera ${cost('tessera').toFixed(1)} µs, express-session ${cost('express').toFixed(1)} µs (+ Redis) → ` +
        `${(cost('hello') / cost('tessera')).toFixed(2)}× and ${(cost('express') / cost('tessera')).toFixed(2)}×`,
    );
  }
  notes.push(...noiseNotes(figures.noise));
  return {
    name: 'cookie-session',
    description,
    notes,
    results: [
      result('hello', 'Fastify 5 hello-world: GET / → {"hello":"world"}'),
      result('express', 'Express 5 + express-session + connect-redis: GET /session (Redis GET + EXPIRE)'),
      result('tessera', 'Tessera: GET /auth/session, cookie carrier, SQLite store'),
    ],
    ratios: [
      ratio('Tessera ÷ bare Fastify hello-world', 'tessera', 'hello', HELLO_TARGET),
      ratio('Tessera ÷ express-session + connect-redis', 'tessera', 'express', EXPRESS_TARGET),
    ],
  };
}
