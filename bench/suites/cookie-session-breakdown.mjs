/**
 * Where the time of an authenticated `GET /auth/session` goes (diagnostic; run it by name:
 * `node bench/run.mjs cookie-session-breakdown`). Interleaved like every suite, it measures:
 *
 *   hello        bare Fastify hello-world
 *   json         bare Fastify answering Tessera's exact response document, no authentication
 *   json+metrics the same plus Tessera's per-request Prometheus work (counter + onResponse histogram)
 *   core         a bare Fastify route calling Tessera's core (authenticate + views) in the Tessera
 *                process (BENCH_TESSERA_VARIANT=core-route): Tessera without its server layer
 *   no-metrics   Tessera with no-op metrics (BENCH_TESSERA_VARIANT=no-metrics)
 *   memory       Tessera with the in-memory session store (TESSERA_SESSION_STORE=memory)
 *   tessera      Tessera as shipped (SQLite)
 *
 * and reports each one's server CPU time per request, so the differences price each layer.
 */
import { expectResponse, request } from '../lib/http.mjs';
import { expectTesseraSignedIn, signInToTessera, startTessera } from '../lib/tessera.mjs';

export const description = 'what each layer of GET /auth/session costs (diagnostic)';
export const optional = true;

export async function run(ctx) {
  ctx.log('  starting servers');
  const tessera = await startTessera(ctx);
  const noMetrics = await startTessera(ctx, { name: 'tessera-no-metrics', variant: 'no-metrics' });
  const memory = await startTessera(ctx, { name: 'tessera-memory', env: { TESSERA_SESSION_STORE: 'memory' } });
  const core = await startTessera(ctx, { name: 'tessera-core-route', variant: 'core-route' });
  const users = {
    tessera: await signInToTessera(tessera.url),
    core: await signInToTessera(core.info.tesseraUrl),
    noMetrics: await signInToTessera(noMetrics.url),
    memory: await signInToTessera(memory.url),
  };
  const body = JSON.stringify(users.tessera.body);
  const hello = await ctx.startServer({ name: 'fastify-hello', script: 'fastify-hello.mjs' });
  const json = await ctx.startServer({ name: 'fastify-json', script: 'fastify-json.mjs', env: { BENCH_RESPONSE_BODY: body } });
  const jsonMetrics = await ctx.startServer({ name: 'fastify-json-metrics', script: 'fastify-json.mjs', env: { BENCH_RESPONSE_BODY: body, BENCH_METRICS: '1' } });
  await expectTesseraSignedIn(core.url, users.core.cookie, users.core.email, 'on the bare core route');
  for (const server of [json, jsonMetrics]) {
    const check = await request(new URL('/', server.url));
    expectResponse(check.status === 200 && check.body?.user?.email === users.tessera.email, `${server.name} GET /`, check);
  }

  const cookie = (key) => ({ cookie: users[key].cookie });
  const targets = [
    { key: 'hello', label: 'Fastify hello-world', server: hello, request: { path: '/' } },
    { key: 'json', label: 'Fastify, Tessera\'s response, no auth', server: json, request: { path: '/', headers: cookie('tessera') } },
    { key: 'jsonMetrics', label: '… + Tessera\'s prom-client work', server: jsonMetrics, request: { path: '/', headers: cookie('tessera') } },
    { key: 'core', label: 'Fastify route calling Tessera\'s core', server: core, request: { path: '/auth/session', headers: cookie('core') } },
    { key: 'noMetrics', label: 'Tessera, no-op metrics', server: noMetrics, request: { path: '/auth/session', headers: cookie('noMetrics') } },
    { key: 'memory', label: 'Tessera, memory store', server: memory, request: { path: '/auth/session', headers: cookie('memory') } },
    { key: 'tessera', label: 'Tessera (SQLite, as shipped)', server: tessera, request: { path: '/auth/session', headers: cookie('tessera') } },
  ];
  const figures = await ctx.measure(targets);
  await expectTesseraSignedIn(tessera.url, users.tessera.cookie, users.tessera.email, 'after measuring');

  const cost = (key) => figures[key].serverCpuUsPerRequest;
  const results = targets.map((t) => ({ label: t.label, value: Math.round(figures[t.key].median), unit: 'req/s', detail: figures[t.key] }));
  const delta = (label, a, b) => (cost(a) === null || cost(b) === null ? null : { label, value: Number((cost(a) - cost(b)).toFixed(1)), unit: 'µs/req' });
  const deltas = [
    delta('response document (json − hello)', 'json', 'hello'),
    delta('prom-client work (json+metrics − json)', 'jsonMetrics', 'json'),
    delta('metrics inside Tessera (tessera − no-metrics)', 'tessera', 'noMetrics'),
    delta('SQLite vs memory store (tessera − memory)', 'tessera', 'memory'),
    delta('Tessera core: authenticate + views (core − json)', 'core', 'json'),
    delta('Tessera server layer around the core (tessera − core)', 'tessera', 'core'),
    delta('authentication + rest of Tessera (no-metrics − json)', 'noMetrics', 'json'),
    delta('Tessera in all (tessera − hello)', 'tessera', 'hello'),
  ].filter(Boolean);
  return {
    name: 'cookie-session-breakdown',
    description,
    results,
    ratios: [],
    notes: [
      'server µs/req = server CPU time per 2xx response (median of rounds); differences below price each layer',
      ...deltas.map((d) => `${d.label}: ${d.value} ${d.unit}`),
    ],
    deltas,
  };
}
