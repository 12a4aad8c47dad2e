import { randomBytes } from 'node:crypto';
import { cookiePair, expectResponse, request } from './http.mjs';

/**
 * Tessera for a suite: start it (bench/servers/tessera.mjs) on a fresh data directory — the
 * zero-config SQLite store — and sign a user in over HTTP, as a browser would.
 */

/** Starts Tessera in its own process; `env` adds to (or overrides) the zero-config defaults. */
export async function startTessera(ctx, { name = 'tessera', env = {} } = {}) {
  const dataDir = await ctx.tempDir('tessera-bench-');
  return ctx.startServer({
    name,
    script: 'tessera.mjs',
    env: {
      TESSERA_DATA_DIR: dataDir,
      HOST: '127.0.0.1',
      PORT: '0',
      TESSERA_LOG_LEVEL: 'silent',
      ...env,
    },
  });
}

/**
 * Registers a fresh user, signs in with the cookie carrier and checks `GET /auth/session`
 * answers 200 with that user. Returns `{ cookie, email, body }` (cookie as `name=value`).
 */
export async function signInToTessera(url) {
  const email = `bench-${randomBytes(6).toString('hex')}@example.com`;
  const password = `Bench-${randomBytes(18).toString('base64url')}`;
  const registered = await request(new URL('/auth/register', url), { method: 'POST', json: { email, password } });
  expectResponse(registered.status === 201, 'Tessera POST /auth/register', registered);
  const login = await request(new URL('/auth/login', url), { method: 'POST', json: { email, password } });
  expectResponse(login.status === 200, 'Tessera POST /auth/login', login);
  // `tessera_session`, or `__Host-tessera_session` when secure cookies are on (NODE_ENV=production).
  const name = login.setCookies.map((c) => c.split('=', 1)[0].trim()).find((n) => n.endsWith('tessera_session'));
  const cookie = name ? cookiePair(login.setCookies, name) : null;
  if (!cookie) throw new Error(`Tessera POST /auth/login set no session cookie (Set-Cookie: ${JSON.stringify(login.setCookies)})`);
  const body = await expectTesseraSignedIn(url, cookie, email, 'before measuring');
  return { cookie, email, body };
}

/** Throws unless `GET /auth/session` with `cookie` is 200 with the user `email`; returns the body. */
export async function expectTesseraSignedIn(url, cookie, email, when) {
  const who = await request(new URL('/auth/session', url), { headers: { cookie } });
  expectResponse(
    who.status === 200 && who.body?.user?.email === email && typeof who.body?.session?.id === 'string',
    `Tessera GET /auth/session ${when} (expected 200 with the signed-in user)`,
    who,
  );
  return who.body;
}
