import type { AddressInfo } from 'node:net';
import Fastify, { type FastifyInstance, type RouteOptions, type preHandlerHookHandler } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AuthRequest } from '../../src/core/request.js';
import { fuseAuthHooks, optionalAuth, requireAuth } from '../../src/middleware/fastify.js';
import { type TestServer, startTestServer } from '../helpers/server.js';
import { cookieHeader, register, uniqueEmail, withBigLimits } from '../security/support.js';

/**
 * `fuseAuthHooks` moves a route's last Tessera hook into its handler. The behaviour suite
 * (behaviour.test.ts) already holds a fused app to every rule of the hooks; this file checks what
 * fusion itself could get wrong: which routes it touches, the order of the other hooks, and the
 * handler styles Fastify supports when the check had to wait for the store (a session not in
 * memory yet) — an async handler, a callback-style handler that sends later, a handler that
 * throws, one that returns `reply`.
 */

let server: TestServer;
let app: FastifyInstance;
let url: string;
let userId: string;
/** preHandler count of each route after every onRoute hook ran, by "METHOD url". */
const hookCounts = new Map<string, number>();
/** What the other hooks saw of `request.auth` when they ran. */
const seen: Record<string, unknown> = {};
/** How often the handler of /counted ran. */
let handlerRuns = 0;

const recordAuth =
  (name: string): preHandlerHookHandler =>
  (request, _reply, done) => {
    seen[name] = request.auth?.user.id ?? null;
    done();
  };

beforeAll(async () => {
  server = await startTestServer({ store: 'sqlite', overrides: withBigLimits() });
  userId = await register(server, uniqueEmail('fuse'));
  const tessera = server.tessera;
  app = Fastify();
  app.decorateRequest('auth', null);
  app.addHook('onRoute', fuseAuthHooks);
  app.addHook('onRoute', (route: RouteOptions) => {
    const own = route.preHandler;
    const methods = Array.isArray(route.method) ? route.method : [route.method];
    for (const method of methods) hookCounts.set(`${method} ${route.url}`, own === undefined ? 0 : Array.isArray(own) ? own.length : 1);
  });
  const guard = requireAuth(tessera);
  app.get('/async', { preHandler: guard }, async (request) => ({ user: request.auth?.user.id }));
  app.get('/callback', { preHandler: guard }, (request, reply) => {
    setTimeout(() => void reply.send({ later: request.auth?.user.id }), 30);
  });
  app.get('/returns-reply', { preHandler: guard }, async (request, reply) => {
    await new Promise((resolve) => setTimeout(resolve, 10));
    void reply.code(202).send({ user: request.auth?.user.id });
    return reply;
  });
  app.get('/throws', { preHandler: guard }, () => {
    throw new Error('handler failed');
  });
  app.get('/after', { preHandler: [guard, recordAuth('after')] }, async (request) => ({ user: request.auth?.user.id }));
  app.get('/before', { preHandler: [recordAuth('before'), guard] }, async (request) => ({ user: request.auth?.user.id }));
  app.get('/maybe', { preHandler: optionalAuth(tessera) }, async (request) => ({ auth: request.auth }));
  app.get('/plain', async () => ({ plain: true }));
  app.get('/counted', { preHandler: guard }, async () => ({ runs: ++handlerRuns }));
  await app.listen({ port: 0, host: '127.0.0.1' });
  url = `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`;
});
afterAll(async () => {
  await app?.close();
  await server?.close();
});

/** A session the server's memory has never seen, so the first check must read the store. */
async function freshSession(): Promise<{ cookie: string; request: AuthRequest }> {
  const { token } = await server.tessera.sessions.createSession(userId, 'cookie', { ip: null, userAgent: null });
  const cookie = cookieHeader(server, token);
  return { cookie, request: { method: 'GET', headers: { cookie }, ip: null } };
}

async function get(path: string, cookie?: string): Promise<{ status: number; type: string | null; body: any }> {
  const response = await fetch(url + path, { headers: cookie ? { cookie } : {} });
  const text = await response.text();
  return { status: response.status, type: response.headers.get('content-type'), body: text.length > 0 ? JSON.parse(text) : undefined };
}

describe('fuseAuthHooks: which routes it changes', () => {
  it('moves a last Tessera hook into the handler, for the GET route and its HEAD twin', () => {
    for (const path of ['/async', '/callback', '/throws', '/maybe']) {
      expect(hookCounts.get(`GET ${path}`)).toBe(0);
      expect(hookCounts.get(`HEAD ${path}`)).toBe(0);
    }
    expect(hookCounts.get('GET /before')).toBe(1);
  });

  it('leaves a Tessera hook that other hooks follow (they may read request.auth), and routes without one', () => {
    expect(hookCounts.get('GET /after')).toBe(2);
    expect(hookCounts.get('GET /plain')).toBe(0);
  });

  it('keeps the order: an earlier hook runs before the check, a later one after it', async () => {
    const { cookie } = await freshSession();
    expect((await get('/before', cookie)).body).toEqual({ user: userId });
    expect(seen.before).toBeNull();
    expect((await get('/after', cookie)).body).toEqual({ user: userId });
    expect(seen.after).toBe(userId);
  });

  it('is idempotent', () => {
    const hook = requireAuth(server.tessera);
    const handler = async (): Promise<string> => 'x';
    const route = { method: 'GET', url: '/x', preHandler: [hook], handler } as unknown as RouteOptions;
    fuseAuthHooks(route);
    const fused = route.handler;
    expect(route.preHandler).toEqual([]);
    expect(fused).not.toBe(handler);
    fuseAuthHooks(route);
    expect(route.handler).toBe(fused);
  });
});

describe('fuseAuthHooks: handler styles, from memory and after a store read', () => {
  const cases: Array<[string, number, (body: any) => void]> = [
    ['/async', 200, (body) => expect(body).toEqual({ user: userId })],
    ['/callback', 200, (body) => expect(body).toEqual({ later: userId })],
    ['/returns-reply', 202, (body) => expect(body).toEqual({ user: userId })],
    ['/throws', 500, (body) => expect(body).toMatchObject({ statusCode: 500, message: 'handler failed' })],
  ];

  it.each(cases)('%s answers the same whether the check waited for the store or not', async (path, status, check) => {
    const { cookie, request } = await freshSession();
    // Not in memory: the first request takes the store-read path of the fused handler ...
    expect(server.tessera.authenticator.authenticateNow(request)).toBeUndefined();
    const first = await get(path, cookie);
    expect(first.status).toBe(status);
    check(first.body);
    // ... and the session is now cached, so the second one is decided in the same tick.
    expect(server.tessera.authenticator.authenticateNow(request)?.user.id).toBe(userId);
    const second = await get(path, cookie);
    expect(second.status).toBe(status);
    check(second.body);
  });

  it('refuses on either path with the problem document, and never runs the handler', async () => {
    const missing = await get('/counted');
    expect(missing.status).toBe(401);
    expect(missing.type).toMatch(/^application\/problem\+json/);
    expect(missing.body).toMatchObject({ code: 'unauthenticated' });
    // A well-formed token for no session: memory cannot decide, the store read refuses it.
    const bogus = `${server.tessera.cookieNames.session}=${'A'.repeat(22)}.${'B'.repeat(43)}`;
    const afterRead = await get('/counted', bogus);
    expect(afterRead.status).toBe(401);
    expect(afterRead.body).toMatchObject({ code: 'invalid_session' });
    expect(handlerRuns).toBe(0);
    const { cookie } = await freshSession();
    expect((await get('/counted', cookie)).body).toEqual({ runs: 1 });
  });

  it('optionalAuth fused: anonymous is null, a fresh session is found after the store read', async () => {
    expect((await get('/maybe')).body).toEqual({ auth: null });
    const { cookie } = await freshSession();
    expect((await get('/maybe', cookie)).body.auth.user.id).toBe(userId);
  });
});
