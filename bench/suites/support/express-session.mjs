/**
 * Signing in to the express-session + connect-redis baseline (bench/servers/express-session-redis.mjs)
 * and checking the session really lives in Redis — the same checks as the cookie-session suite.
 */
import { randomBytes } from 'node:crypto';
import { cookiePair, expectResponse, request } from '../../lib/http.mjs';

/** Throws unless `GET /session` with `cookie` is 200 with the user `email`. */
export async function expectExpressSignedIn(url, cookie, email, when) {
  const who = await request(new URL('/session', url), { headers: { cookie } });
  expectResponse(who.status === 200 && who.body?.user?.email === email, `express-session GET /session ${when} (expected 200 with the signed-in user)`, who);
}

/** Signs in; returns `{ cookie, email }`. `redis` is a bench/lib/redis.mjs handle, `prefix` the server's key prefix. */
export async function signInToExpress(url, redis, prefix) {
  const email = `bench-${randomBytes(6).toString('hex')}@example.com`;
  const login = await request(new URL('/login', url), { method: 'POST', json: { email } });
  expectResponse(login.status === 200, 'express-session POST /login', login);
  const cookie = cookiePair(login.setCookies, 'connect.sid');
  if (!cookie) throw new Error(`express-session POST /login set no connect.sid cookie (Set-Cookie: ${JSON.stringify(login.setCookies)})`);
  const keys = await redis.keys(prefix);
  if (keys.length !== 1) throw new Error(`expected exactly 1 session key under ${prefix} in Redis after sign-in, found ${keys.length}`);
  const stored = JSON.parse((await redis.client.get(keys[0])) ?? 'null');
  if (stored?.user?.email !== email) throw new Error(`the Redis session ${keys[0]} does not hold the signed-in user`);
  await expectExpressSignedIn(url, cookie, email, 'before measuring');
  return { cookie, email };
}

/** Starts the express-session + connect-redis baseline (bench/servers/express-session-redis.mjs) on `redisUrl`, its keys under `prefix`. */
export function startExpressSession(ctx, redisUrl, prefix) {
  return ctx.startServer({
    name: 'express-session-redis',
    script: 'express-session-redis.mjs',
    env: { BENCH_REDIS_URL: redisUrl, BENCH_SESSION_PREFIX: prefix },
  });
}
