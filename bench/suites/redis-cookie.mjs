/**
 * Issue 4: cookie-session throughput with sessions in Redis. Tessera (`tessera serve`,
 * TESSERA_SESSION_STORE=redis://…, users in SQLite in a fresh data directory) answering an
 * authenticated `GET /auth/session`, against express-session + connect-redis on the same Redis
 * (bench/servers/express-session-redis.mjs, as in the cookie-session suite) — target ≥ 5× — with
 * the bare Fastify hello-world measured alongside as the reference.
 *
 * Both keep their sessions under a key prefix unique to the run, deleted afterwards; before
 * measuring, the suite checks each session really is in Redis and the request answers 200 with
 * the signed-in user, and checks again afterwards.
 */
import { expectResponse, request } from '../lib/http.mjs';
import { noiseNotes } from '../lib/measure.mjs';
import { connectRedis } from '../lib/redis.mjs';
import { pairedRatio } from '../lib/stats.mjs';
import { expectTesseraSignedIn, signInToTessera } from '../lib/tessera.mjs';
import { expectExpressSignedIn, signInToExpress, startExpressSession } from './support/express-session.mjs';
import { REDIS_URL, tesseraEnv, uniqueRedisPrefix } from './support/tessera-setup.mjs';

export const description = 'authenticated GET /auth/session, cookie carrier, sessions in Redis: Tessera vs express-session + connect-redis';

const EXPRESS_TARGET = 5;

export async function run(ctx) {
  const redis = await connectRedis(REDIS_URL);
  ctx.onCleanup(() => redis.close());
  const redisPid = await redis.serverPid();
  // Registered before the servers start, so the keys go even when the run fails.
  const expressPrefix = uniqueRedisPrefix(ctx, redis, 'express');
  const tesseraPrefix = uniqueRedisPrefix(ctx, redis, 'tessera');

  ctx.log('  starting servers');
  const hello = await ctx.startServer({ name: 'fastify-hello', script: 'fastify-hello.mjs' });
  const express = await startExpressSession(ctx, REDIS_URL, expressPrefix);
  const tessera = await ctx.startServer({
    name: 'tessera-redis',
    script: 'tessera.mjs',
    env: await tesseraEnv(ctx, { TESSERA_SESSION_STORE: REDIS_URL, TESSERA_REDIS_PREFIX: tesseraPrefix }),
  });
  if (!String(tessera.info.sessionStore ?? '').startsWith('redis://')) {
    throw new Error(`Tessera started with session store ${tessera.info.sessionStore}, not Redis`);
  }

  const helloCheck = await request(new URL('/', hello.url));
  expectResponse(helloCheck.status === 200 && helloCheck.body?.hello === 'world', 'Fastify hello-world GET /', helloCheck);
  const tesseraUser = await signInToTessera(tessera.url);
  const { createKeyLayout } = await import('../../dist/stores/redis/redis-keys.js');
  const sessionKey = createKeyLayout(tesseraPrefix).session(tesseraUser.body.session.id).key;
  if ((await redis.client.exists(sessionKey)) !== 1) throw new Error(`Tessera's session is not in Redis (no key ${sessionKey})`);
  const expressUser = await signInToExpress(express.url, redis, expressPrefix);
  ctx.log(`  checked: both sessions are in Redis (${sessionKey}) and both servers answer 200 with the signed-in user`);

  const withRedis = redisPid ? { redis: redisPid } : {};
  const figures = await ctx.measure([
    { key: 'hello', label: 'Fastify hello-world', server: hello, request: { path: '/' } },
    { key: 'express', label: 'express-session + connect-redis', server: express, request: { path: '/session', headers: { cookie: expressUser.cookie } }, pids: withRedis },
    { key: 'tessera', label: 'Tessera (Redis)', server: tessera, request: { path: '/auth/session', headers: { cookie: tesseraUser.cookie } }, pids: withRedis },
  ]);

  await expectTesseraSignedIn(tessera.url, tesseraUser.cookie, tesseraUser.email, 'after measuring');
  await expectExpressSignedIn(express.url, expressUser.cookie, expressUser.email, 'after measuring');
  if ((await redis.client.exists(sessionKey)) !== 1) throw new Error(`Tessera's session left Redis during the run (${sessionKey})`);

  const result = (key, label) => ({ label, value: Math.round(figures[key].median), unit: 'req/s', detail: figures[key] });
  // The claim is the median of per-round ratios (rounds pair targets measured seconds apart).
  const value = pairedRatio(figures.tessera.roundValues, figures.express.roundValues);
  const cost = (key) => figures[key].serverCpuUsPerRequest;
  const notes = [
    'CPU columns: median share of one core per round (server = the measured server, load = autocannon, redis = redis-server, others = every other process, steal = hypervisor steal)',
    `reference: Tessera (Redis) ÷ bare Fastify hello-world = ${(figures.tessera.median / figures.hello.median).toFixed(2)}×`,
    `ratio of the medians instead: ${(figures.tessera.median / figures.express.median).toFixed(2)}×`,
  ];
  if (cost('tessera') && cost('express') && cost('hello')) {
    notes.push(
      `server CPU per request: hello-world ${cost('hello').toFixed(1)} µs, Tessera ${cost('tessera').toFixed(1)} µs, express-session ${cost('express').toFixed(1)} µs (+ Redis) → ` +
        `express ÷ Tessera ${(cost('express') / cost('tessera')).toFixed(2)}×`,
    );
  }
  notes.push(...noiseNotes(figures.noise));
  return {
    name: 'redis-cookie',
    description,
    notes,
    results: [
      result('hello', 'Fastify 5 hello-world: GET / (reference)'),
      result('express', 'Express 5 + express-session + connect-redis: GET /session (Redis GET + EXPIRE)'),
      result('tessera', 'Tessera: GET /auth/session, cookie carrier, sessions in Redis, users in SQLite'),
    ],
    ratios: [{ label: 'Tessera (Redis) ÷ express-session + connect-redis', value: Number(value.toFixed(3)), target: EXPRESS_TARGET, pass: value >= EXPRESS_TARGET }],
  };
}
