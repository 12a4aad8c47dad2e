#!/usr/bin/env node
/**
 * Single-page app on the HYBRID carrier: the browser SDK keeps the access and refresh tokens in
 * HttpOnly cookies (no script can read them), and the app's API verifies the access token
 * statelessly. The SPA, its API and Tessera share one Fastify instance and one origin, which
 * the hybrid carrier needs: its cookies, its CSRF token and the same-origin check are all per
 * origin. No proxy, no CORS.
 *
 *   node examples/spa-hybrid/server.mjs          (run `npm run build` first)
 *
 * Environment: PORT (default 4001; 0 = any free port), HOST (default 127.0.0.1),
 * TESSERA_DATA_DIR (default ./.tessera-spa), TESSERA_ACCESS_TOKEN_TTL (e.g. `5s` to watch
 * refreshes happen), SPA_REFRESH_SKEW_SECONDS (refresh when this much of the access token's
 * life is left; default a third of its lifetime, at most 30), and every other variable
 * `tessera serve` reads.
 *
 * Tests import `startSpaExample` (below); running the file starts it.
 */
import { readFileSync, realpathSync } from 'node:fs';
import { pathToFileURL } from 'node:url';
import { optionalAuth, requireAuth } from '../../dist/middleware/fastify.js';
import { startServer } from '../../dist/index.js';

/**
 * Only same-origin scripts (the app and the SDK it imports from /assets/client/), no inline
 * script or style, fetches only to this origin. `Referrer-Policy: same-origin` keeps the
 * Referer a same-origin signal for Tessera's CSRF check without leaking it to other sites.
 */
const PAGE_HEADERS = {
  'content-security-policy':
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self'; connect-src 'self'; object-src 'none'; " +
    "frame-ancestors 'none'; form-action 'self'; base-uri 'none'",
  'x-frame-options': 'DENY',
  'referrer-policy': 'same-origin',
  'x-content-type-options': 'nosniff',
  'cross-origin-opener-policy': 'same-origin',
};

/**
 * How early the SDK refreshes: a third of the access token's lifetime, at most the SDK's
 * default of 30 s — with a 5 s token a 30 s skew would refresh before every request.
 */
function refreshSkewSeconds(env, config) {
  const configured = env.SPA_REFRESH_SKEW_SECONDS;
  if (configured !== undefined && configured !== '') {
    const value = Number(configured);
    if (!Number.isFinite(value) || value < 0) throw new Error(`SPA_REFRESH_SKEW_SECONDS="${configured}" must be a number of seconds (0 or more).`);
    return value;
  }
  return Math.min(30, Math.floor(config.tokens.accessTokenTtlMs / 3000));
}

/** Adds the SPA's files and its small API to the Fastify scope. */
function registerSpa(scope, tessera, files) {
  // Created once: options are validated at start-up, not on the first request.
  const signedIn = requireAuth(tessera);
  const maybeSignedIn = optionalAuth(tessera);

  scope.get('/', async (_request, reply) =>
    reply.headers(PAGE_HEADERS).header('cache-control', 'no-cache').type('text/html; charset=utf-8').send(files.indexHtml),
  );
  scope.get('/app.js', async (_request, reply) =>
    reply.headers(PAGE_HEADERS).header('cache-control', 'no-cache').type('text/javascript; charset=utf-8').send(files.appJs),
  );

  // Who am I, without a 401 for anonymous visitors (the page asks on every load). A present but
  // expired access cookie is still a 401, which makes the SDK refresh and retry.
  scope.get('/api/me', { preHandler: maybeSignedIn }, async (request, reply) => {
    reply.header('cache-control', 'no-store');
    const auth = request.auth;
    if (!auth) return { user: null };
    return { user: auth.user, session: { id: auth.session.id, carrier: auth.session.carrier }, carrier: auth.carrier };
  });

  // A state-changing call. requireAuth verifies the access-token cookie (signature, claims,
  // revocation) and, because a cookie carried it, the CSRF rule: the X-CSRF-Token header the SDK
  // adds, plus a same-origin signal. A forged cross-site POST gets 403 `csrf_rejected`.
  scope.post('/api/echo', { preHandler: signedIn }, async (request, reply) => {
    reply.header('cache-control', 'no-store');
    const { auth } = request;
    return {
      ok: true,
      user: auth.user,
      carrier: auth.carrier,
      sessionId: auth.session.id,
      receivedAt: new Date().toISOString(),
      echo: request.body ?? null,
    };
  });
}

/**
 * Starts the example. `env` is the whole environment Tessera reads (tests pass their own, not
 * `process.env`); `dataDir` defaults to env.TESSERA_DATA_DIR, else ./.tessera-spa; `port` 0
 * takes a free port, and the public URL (a trusted CSRF origin) names it. `overrides` sets what
 * has no variable, such as rate limits.
 *
 * @param {{ port?: number, dataDir?: string, env?: Record<string, string | undefined>, overrides?: import('../../dist/index.js').ConfigOverrides }} [options]
 * @returns {Promise<{ url: string, tessera: import('../../dist/index.js').Tessera, close(): Promise<void> }>}
 */
export async function startSpaExample({ port = 0, dataDir, env = {}, overrides = {} } = {}) {
  // startServer's `configure` adds the SPA and its API to Tessera's own Fastify instance before
  // it listens: one origin, so the hybrid cookies and the CSRF check just work.
  const server = await startServer({
    env: { HOST: '127.0.0.1', ...env, PORT: String(port), TESSERA_DATA_DIR: dataDir ?? env.TESSERA_DATA_DIR ?? '.tessera-spa' },
    overrides,
    configure: async (app, tessera) => {
      app.decorateRequest('auth', null);
      const skew = refreshSkewSeconds(env, tessera.config);
      const files = {
        indexHtml: readFileSync(new URL('./public/index.html', import.meta.url), 'utf8').replace('__REFRESH_SKEW__', String(skew)),
        appJs: readFileSync(new URL('./public/app.js', import.meta.url), 'utf8'),
      };
      await app.register(async (scope) => registerSpa(scope, tessera, files));
    },
  });
  return { url: server.url, tessera: server.tessera, close: server.close };
}

/** True when this file is the program being run (not imported by a test). */
function isMain() {
  try {
    return process.argv[1] !== undefined && import.meta.url === pathToFileURL(realpathSync(process.argv[1])).href;
  } catch {
    return false;
  }
}

if (isMain()) {
  const env = process.env;
  const example = await startSpaExample({
    port: env.PORT === undefined || env.PORT === '' ? 4001 : Number(env.PORT),
    dataDir: env.TESSERA_DATA_DIR || '.tessera-spa',
    env,
  });
  console.log(`spa-hybrid example listening on ${example.url} — open ${example.url}/ in a browser`);
  const stop = () => {
    example.close().then(
      () => process.exit(0),
      (error) => {
        console.error(error);
        process.exit(1);
      },
    );
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
}
