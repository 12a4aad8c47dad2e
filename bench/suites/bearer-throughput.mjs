/**
 * Issue 3: bearer-authenticated request throughput with a warm verification cache, against a
 * bare Fastify hello-world with the same load generator in the same run (target ≥ 0.7× each):
 *
 *   (a) Tessera's gateway endpoint, `GET /auth/verify` with `Authorization: Bearer <token>`, as
 *       `tessera serve` runs it (SQLite store): verifies the token (cached after the first
 *       request), validates its session, and answers 200 with the X-Auth-* headers, including an
 *       internal token minted once per session and reused for half its 1-minute life;
 *   (b) an app embedding Tessera with `startServer({ configure })`, a hello route protected by
 *       `requireAuth` from `tessera/middleware/fastify` (bench/servers/tessera-bearer-middleware.mjs).
 *
 * Diagnostic, no target: the same embedding server's unauthenticated `GET /public` (same
 * response as the hello-world), which prices Tessera's Fastify instance itself (its hooks and
 * per-request metrics) apart from authentication. BENCH_DIAGNOSTICS=1 adds `GET /stateless`: a
 * synchronous preHandler calling only Tessera's access-token verifier (cache hit + revocation
 * set, no session lookup, no await) — the price of a stateless bearer check.
 *
 * One user, one bearer session, one access token for the whole run — the warm case. Before and
 * after measuring, the token must be accepted and a tampered one refused.
 */
import { expectResponse, request } from '../lib/http.mjs';
import { noiseNotes } from '../lib/measure.mjs';
import { pairedRatio } from '../lib/stats.mjs';
import { expectBearerSignedIn, signInBearer, tesseraEnv } from './support/tessera-setup.mjs';

export const description = 'bearer-authenticated requests (warm cache): GET /auth/verify and requireAuth middleware vs Fastify hello-world';

const HELLO_TARGET = 0.7;

function tamper(token) {
  const at = token.length - 20;
  return `${token.slice(0, at)}${token[at] === 'A' ? 'B' : 'A'}${token.slice(at + 1)}`;
}

async function checkGateway(url, session, when) {
  const ok = await request(new URL('/auth/verify', url), { headers: { authorization: `Bearer ${session.accessToken}` } });
  expectResponse(
    ok.status === 200 && ok.headers.get('x-auth-session-id') === session.sessionId && ok.headers.get('x-auth-user-id') === session.user.userId && (ok.headers.get('x-auth-token') ?? '').split('.').length === 3,
    `Tessera GET /auth/verify ${when} (expected 200 with X-Auth-* headers of the session)`,
    ok,
  );
  const bad = await request(new URL('/auth/verify', url), { headers: { authorization: `Bearer ${tamper(session.accessToken)}` } });
  expectResponse(bad.status === 401, `Tessera GET /auth/verify with a tampered token ${when} (expected 401)`, bad);
}

async function checkMiddleware(url, session, when) {
  const ok = await request(new URL('/hello', url), { headers: { authorization: `Bearer ${session.accessToken}` } });
  expectResponse(ok.status === 200 && ok.body?.user === session.user.userId, `requireAuth GET /hello ${when} (expected 200 with the user)`, ok);
  for (const [what, headers] of [['no token', {}], ['a tampered token', { authorization: `Bearer ${tamper(session.accessToken)}` }]]) {
    const refused = await request(new URL('/hello', url), { headers });
    expectResponse(refused.status === 401, `requireAuth GET /hello with ${what} ${when} (expected 401)`, refused);
  }
}

export async function run(ctx) {
  ctx.log('  starting servers');
  const hello = await ctx.startServer({ name: 'fastify-hello', script: 'fastify-hello.mjs' });
  const gateway = await ctx.startServer({ name: 'tessera-gateway', script: 'tessera.mjs', env: await tesseraEnv(ctx) });
  const middleware = await ctx.startServer({ name: 'tessera-bearer-middleware', script: 'tessera-bearer-middleware.mjs', env: await tesseraEnv(ctx) });

  const helloCheck = await request(new URL('/', hello.url));
  expectResponse(helloCheck.status === 200 && helloCheck.body?.hello === 'world', 'Fastify hello-world GET /', helloCheck);
  const publicCheck = await request(new URL('/public', middleware.url));
  expectResponse(publicCheck.status === 200 && publicCheck.body?.hello === 'world', 'embedding server GET /public', publicCheck);
  const gatewaySession = await signInBearer(gateway.url);
  const middlewareSession = await signInBearer(middleware.url);
  await checkGateway(gateway.url, gatewaySession, 'before measuring');
  await checkMiddleware(middleware.url, middlewareSession, 'before measuring');
  ctx.log('  checked: the bearer token is accepted (200) and a tampered one refused (401) on both');

  const bearer = (session) => ({ authorization: `Bearer ${session.accessToken}` });
  const diagnostics = ['1', 'true', 'yes', 'on'].includes(String(process.env.BENCH_DIAGNOSTICS ?? '').toLowerCase());
  if (diagnostics) {
    const ok = await request(new URL('/stateless', middleware.url), { headers: bearer(middlewareSession) });
    expectResponse(ok.status === 200 && ok.body?.user === middlewareSession.user.userId, 'GET /stateless (expected 200 with the user)', ok);
    const bad = await request(new URL('/stateless', middleware.url), { headers: { authorization: `Bearer ${tamper(middlewareSession.accessToken)}` } });
    expectResponse(bad.status === 401, 'GET /stateless with a tampered token (expected 401)', bad);
  }
  const figures = await ctx.measure([
    { key: 'hello', label: 'Fastify hello-world', server: hello, request: { path: '/' } },
    { key: 'gateway', label: 'Tessera GET /auth/verify', server: gateway, request: { path: '/auth/verify', headers: bearer(gatewaySession) } },
    { key: 'middleware', label: 'requireAuth GET /hello', server: middleware, request: { path: '/hello', headers: bearer(middlewareSession) } },
    { key: 'public', label: 'embedding, no auth GET /public', server: middleware, request: { path: '/public', headers: bearer(middlewareSession) } },
    ...(diagnostics ? [{ key: 'stateless', label: 'stateless check GET /stateless', server: middleware, request: { path: '/stateless', headers: bearer(middlewareSession) } }] : []),
  ]);

  await checkGateway(gateway.url, gatewaySession, 'after measuring');
  await checkMiddleware(middleware.url, middlewareSession, 'after measuring');
  await expectBearerSignedIn(gateway.url, gatewaySession.accessToken, gatewaySession.user.email, 'after measuring');

  const result = (key, label) => ({ label, value: Math.round(figures[key].median), unit: 'req/s', detail: figures[key] });
  // The claim is the median of per-round ratios (rounds pair targets measured seconds apart);
  // the ratio of the medians is in the notes.
  const ratio = (label, key) => {
    const value = pairedRatio(figures[key].roundValues, figures.hello.roundValues);
    return { label, value: Number(value.toFixed(3)), target: HELLO_TARGET, pass: value >= HELLO_TARGET };
  };
  const cost = (key) => figures[key].serverCpuUsPerRequest;
  const notes = [
    'CPU columns: median share of one core per round (server = the measured server, load = autocannon, others = every other process, steal = hypervisor steal)',
    `ratio of the medians instead: /auth/verify ${(figures.gateway.median / figures.hello.median).toFixed(2)}×, requireAuth ${(figures.middleware.median / figures.hello.median).toFixed(2)}×`,
  ];
  if (cost('hello') && cost('gateway') && cost('middleware') && cost('public')) {
    notes.push(
      `cross-check by server CPU per request: hello-world ${cost('hello').toFixed(1)} µs, /auth/verify ${cost('gateway').toFixed(1)} µs, ` +
        `requireAuth ${cost('middleware').toFixed(1)} µs → ${(cost('hello') / cost('gateway')).toFixed(2)}× and ${(cost('hello') / cost('middleware')).toFixed(2)}×`,
      `diagnostic: Tessera's Fastify instance without auth (GET /public) ${cost('public').toFixed(1)} µs/req = ${(figures.public.median / figures.hello.median).toFixed(2)}× the hello-world; ` +
        `so the instance costs ${(cost('public') - cost('hello')).toFixed(1)} µs/req and requireAuth ${(cost('middleware') - cost('public')).toFixed(1)} µs/req on top`,
    );
  }
  if (diagnostics && cost('stateless')) {
    notes.push(
      `diagnostic: a synchronous stateless check (Tessera's verifier only, GET /stateless) ${Math.round(figures.stateless.median)} req/s = ` +
        `${(figures.stateless.median / figures.hello.median).toFixed(2)}× the hello-world, ${cost('stateless').toFixed(1)} µs/req`,
    );
  }
  notes.push(...noiseNotes(figures.noise));
  return {
    name: 'bearer-throughput',
    description,
    notes,
    results: [
      result('hello', 'Fastify 5 hello-world: GET / → {"hello":"world"}'),
      result('gateway', 'Tessera GET /auth/verify, Bearer (SQLite), 200 + X-Auth-* headers'),
      result('middleware', 'Fastify + Tessera requireAuth (startServer configure), GET /hello, Bearer'),
      result('public', 'diagnostic: the same embedding server, GET /public without auth'),
      ...(diagnostics ? [result('stateless', 'diagnostic: the same server, GET /stateless (sync verifier check only)')] : []),
    ],
    ratios: [ratio('Tessera GET /auth/verify ÷ bare Fastify hello-world', 'gateway'), ratio('requireAuth route ÷ bare Fastify hello-world', 'middleware')],
  };
}
