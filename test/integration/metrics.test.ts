import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Registry } from 'prom-client';
import { requireAuth } from '../../src/middleware/fastify.js';
import { LabelledCounter, LabelledHistogram } from '../../src/server/metrics.js';
import { createObservability } from '../../src/server/observability.js';
import { type RunningServer, startServer } from '../../src/server/start.js';
import { createMemoryStores } from '../../src/stores/memory/memory-stores.js';
import { newUser, withBigLimits } from '../security/support.js';
import type { TestServer } from '../helpers/server.js';

describe('hot-path metrics (own counter and histogram in the prom-client registry)', () => {
  it('formats counters and cumulative histogram buckets like prom-client', async () => {
    const registry = new Registry();
    const counter = new LabelledCounter({ name: 't_total', help: 'Things.', labelNames: ['kind'] as const, registry });
    const histogram = new LabelledHistogram({ name: 't_seconds', help: 'Time.', labelNames: ['route'] as const, buckets: [0.1, 1], registry });
    counter.inc({ kind: 'a' });
    counter.labels({ kind: 'a' }).inc(2);
    counter.labels({ kind: 'b' }).inc(-5); // never decreases
    const series = histogram.labels({ route: '/x' });
    for (const value of [0.05, 0.5, 5, Number.NaN]) series.observe(value);
    const text = await registry.metrics();
    expect(text).toContain('# TYPE t_total counter');
    expect(text).toContain('t_total{kind="a"} 3');
    expect(text).toContain('t_total{kind="b"} 0');
    expect(text).toContain('# TYPE t_seconds histogram');
    expect(text).toContain('t_seconds_bucket{route="/x",le="0.1"} 1');
    expect(text).toContain('t_seconds_bucket{route="/x",le="1"} 2');
    expect(text).toContain('t_seconds_bucket{route="/x",le="+Inf"} 3');
    expect(text).toContain('t_seconds_sum{route="/x"} 5.55');
    expect(text).toContain('t_seconds_count{route="/x"} 3');
  });

  it('refuses unknown or missing labels when a series is first resolved', () => {
    const registry = new Registry();
    const counter = new LabelledCounter({ name: 'u_total', help: 'x', labelNames: ['kind'] as const, registry });
    expect(() => counter.labels({ other: 'x' } as never)).toThrow(/no label "other"/);
    expect(() => counter.labels({} as never)).toThrow(/needs the label "kind"/);
  });
});

describe('request latency by route, method and status (GET /metrics)', () => {
  let server: RunningServer;
  let dir: string;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'tessera-metrics-'));
    server = await startServer({
      env: { TESSERA_DATA_DIR: dir, PORT: '0', HOST: '127.0.0.1' },
      overrides: withBigLimits(),
      stores: createMemoryStores(),
      observability: createObservability('silent'),
      configure(app, tessera) {
        app.decorateRequest('auth', null);
        // Fused into the handler by Tessera's server (fuseAuthHooks) ...
        app.get('/app/private', { preHandler: requireAuth(tessera) }, async () => ({ ok: true }));
        // ... and kept as a hook, because another hook follows it: refusals still count under the route.
        app.get('/app/hooked', { preHandler: [requireAuth(tessera), (_request, _reply, done) => done()] }, async () => ({ ok: true }));
      },
    });
  });
  afterAll(async () => {
    await server.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const count = (text: string, route: string, method: string, status: number): number => {
    const line = text.split('\n').find((l) => l.startsWith(`tessera_http_request_duration_seconds_count{route="${route}",method="${method}",status="${status}"}`));
    return line === undefined ? 0 : Number(line.split(' ').pop());
  };

  it('counts each answer under the route that gave it, including refusals by a route hook and unknown paths', async () => {
    const user = await newUser(server as TestServer, { tag: 'latency' });
    const cookie = `${server.tessera.cookieNames.session}=${user.token}`;
    for (let i = 0; i < 3; i++) await fetch(new URL('/auth/session', server.url), { headers: { cookie } });
    await fetch(new URL('/auth/session', server.url));
    await fetch(new URL('/app/private', server.url));
    await fetch(new URL('/app/private', server.url), { headers: { cookie } });
    await fetch(new URL('/app/hooked', server.url));
    await fetch(new URL('/no/such/path?x=1', server.url));
    await fetch(new URL('/auth/login', server.url), { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{bad json' });
    // The finish event of the last response may land just after fetch resolves.
    await new Promise((resolve) => setTimeout(resolve, 20));
    const text = await (await fetch(new URL('/metrics', server.url))).text();
    expect(count(text, '/auth/session', 'GET', 200)).toBe(3);
    expect(count(text, '/auth/session', 'GET', 401)).toBe(1);
    expect(count(text, '/app/private', 'GET', 401)).toBe(1);
    expect(count(text, '/app/private', 'GET', 200)).toBe(1);
    expect(count(text, '/app/hooked', 'GET', 401)).toBe(1);
    expect(count(text, 'unmatched', 'GET', 404)).toBe(1);
    expect(count(text, '/auth/login', 'POST', 400)).toBe(1);
    expect(count(text, '/auth/login', 'POST', 200)).toBe(1);
    expect(text).toMatch(/tessera_http_request_duration_seconds_bucket\{route="\/auth\/session",method="GET",status="200",le="\+Inf"\} 3/);
  });
});
