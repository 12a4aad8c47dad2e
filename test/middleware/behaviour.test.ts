import { type IncomingMessage, type Server, type ServerResponse, createServer } from 'node:http';
import { type AddressInfo, connect } from 'node:net';
import expressFramework from 'express';
import Fastify from 'fastify';
import { Hono } from 'hono';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Tessera } from '../../src/core/tessera.js';
import { express, fastify, hono, nodeHttp } from '../../src/middleware/index.js';
import type { RequestWithAuth } from '../../src/middleware/node-http.js';
import type { TesseraEnv } from '../../src/middleware/hono.js';
import { type Browser, createBrowser, signUpAndIn } from '../helpers/http.js';
import { type TestServer, startTestServer } from '../helpers/server.js';

/**
 * One behaviour suite, every adapter: each mounts the same tiny app (GET/POST /private and
 * POST /form behind requireAuth, GET /maybe behind optionalAuth, all echoing the auth info)
 * over the Tessera instance of a real server, which is how a user embeds Tessera. Users sign
 * in over HTTP at that server; the apps must agree with it on every credential. Fastify runs
 * twice: with its hooks, and with them fused into the handlers (`fuseAuthHooks`).
 */

interface MountedApp {
  readonly url: string;
  close(): Promise<void>;
}

interface Adapter {
  readonly name: string;
  mount(tessera: Tessera): Promise<MountedApp>;
  /** Creates requireAuth with raw options (to check validation at creation). */
  create(tessera: Tessera, options?: unknown): unknown;
}

async function listen(server: Server): Promise<MountedApp> {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    close: () => new Promise<void>((resolve, reject) => server.close((error) => (error ? reject(error) : resolve()))),
  };
}

async function readBody(req: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

function sendJson(res: ServerResponse, value: unknown): void {
  res.writeHead(200, { 'content-type': 'application/json' });
  res.end(JSON.stringify(value));
}

const adapters: Adapter[] = [
  {
    name: 'node:http',
    create: (tessera, options) => nodeHttp.requireAuth(tessera, options as never),
    mount(tessera) {
      const required = nodeHttp.requireAuth(tessera);
      const optional = nodeHttp.optionalAuth(tessera);
      const server = createServer(async (req: RequestWithAuth, res) => {
        const path = new URL(req.url ?? '/', 'http://localhost').pathname;
        if (path === '/maybe') {
          // connect style: next() runs the handler.
          await optional(req, res, () => sendJson(res, { auth: req.auth }));
          return;
        }
        // A body parser the user chose ran first; the middleware only reads req.body.
        if (path === '/form') req.body = Object.fromEntries(new URLSearchParams((await readBody(req)).toString()));
        // Plain-handler style: the promise resolves after a refusal has been answered.
        const auth = await required(req, res);
        if (res.writableEnded) return;
        sendJson(res, { auth, note: (req.body as Record<string, string> | undefined)?.note });
      });
      return listen(server);
    },
  },
  {
    name: 'express',
    create: (tessera, options) => express.requireAuth(tessera, options as never),
    mount(tessera) {
      const app = expressFramework();
      const required = express.requireAuth(tessera);
      app.get('/private', required, (req, res) => void res.json({ auth: req.auth }));
      app.post('/private', required, (req, res) => void res.json({ auth: req.auth }));
      app.post('/form', expressFramework.urlencoded({ extended: false }), required, (req, res) => void res.json({ auth: req.auth, note: req.body.note }));
      app.get('/maybe', express.optionalAuth(tessera), (req, res) => void res.json({ auth: req.auth }));
      return listen(createServer(app));
    },
  },
  ...[false, true].map((fused): Adapter => ({
    name: fused ? 'fastify (hooks fused into handlers)' : 'fastify',
    create: (tessera, options) => fastify.requireAuth(tessera, options as never),
    async mount(tessera) {
      const app = Fastify();
      if (fused) app.addHook('onRoute', fastify.fuseAuthHooks);
      app.decorateRequest('auth', null);
      app.addContentTypeParser('application/x-www-form-urlencoded', { parseAs: 'string' }, (_request, body, done) => {
        done(null, Object.fromEntries(new URLSearchParams(body as string)));
      });
      const preHandler = fastify.requireAuth(tessera);
      app.get('/private', { preHandler }, async (request) => ({ auth: request.auth }));
      app.post('/private', { preHandler }, async (request) => ({ auth: request.auth }));
      app.post('/form', { preHandler }, async (request) => ({ auth: request.auth, note: (request.body as Record<string, string>).note }));
      app.get('/maybe', { preHandler: fastify.optionalAuth(tessera) }, async (request) => ({ auth: request.auth }));
      await app.listen({ port: 0, host: '127.0.0.1' });
      const { port } = app.server.address() as AddressInfo;
      return { url: `http://127.0.0.1:${port}`, close: () => app.close() };
    },
  })),
  {
    name: 'hono',
    create: (tessera, options) => hono.requireAuth(tessera, options as never),
    mount(tessera) {
      const app = new Hono<TesseraEnv>();
      app.get('/private', hono.requireAuth(tessera), (c) => c.json({ auth: c.get('auth') }));
      app.post('/private', hono.requireAuth(tessera), (c) => c.json({ auth: c.get('auth') }));
      app.post('/form', hono.requireAuth(tessera), async (c) => {
        // The middleware read the form already; Hono's body cache lets the handler read it again.
        const form = await c.req.parseBody();
        return c.json({ auth: c.get('auth'), note: form.note });
      });
      app.get('/maybe', hono.optionalAuth(tessera), (c) => c.json({ auth: c.get('auth') }));
      // A minimal node:http bridge (what @hono/node-server does), so Hono runs on a real port.
      const server = createServer(async (req, res) => {
        // From rawHeaders, as @hono/node-server does: a repeated header reaches Hono joined.
        const headers = new Headers();
        for (let i = 0; i < req.rawHeaders.length; i += 2) headers.append(req.rawHeaders[i] as string, req.rawHeaders[i + 1] as string);
        const body = req.method === 'GET' || req.method === 'HEAD' ? undefined : await readBody(req);
        const response = await app.fetch(new Request(`http://${req.headers.host}${req.url}`, { method: req.method, headers, body }));
        const out: Record<string, string | string[]> = Object.fromEntries(response.headers);
        if (response.headers.getSetCookie().length > 0) out['set-cookie'] = response.headers.getSetCookie();
        res.writeHead(response.status, out);
        res.end(Buffer.from(await response.arrayBuffer()));
      });
      return listen(server);
    },
  },
];

interface Reply {
  readonly status: number;
  readonly headers: Headers;
  readonly body: any;
  readonly text: string;
}

/** Sends a request to a mounted app, as a browser with `cookie` would. */
async function call(
  app: MountedApp,
  method: string,
  path: string,
  options: { cookie?: string | null; headers?: Record<string, string>; form?: Record<string, string> } = {},
): Promise<Reply> {
  const headers: Record<string, string> = { ...options.headers };
  if (options.cookie) headers.cookie = options.cookie;
  let body: string | undefined;
  if (options.form) {
    headers['content-type'] = 'application/x-www-form-urlencoded';
    body = new URLSearchParams(options.form).toString();
  }
  const response = await fetch(app.url + path, { method, headers, body, redirect: 'manual' });
  const text = await response.text();
  const json = (response.headers.get('content-type') ?? '').includes('json') && text.length > 0;
  return { status: response.status, headers: response.headers, body: json ? JSON.parse(text) : text, text };
}

/** The status code of one request sent byte for byte (fetch cannot repeat a header). */
function rawStatus(app: MountedApp, head: string): Promise<number> {
  const { hostname, port } = new URL(app.url);
  return new Promise((resolve, reject) => {
    const socket = connect(Number(port), hostname, () => socket.end(`${head}Host: ${hostname}:${port}\r\nConnection: close\r\n\r\n`));
    let text = '';
    socket.on('data', (chunk) => (text += chunk.toString('latin1')));
    socket.on('end', () => resolve(Number(text.split(' ')[1])));
    socket.on('error', reject);
  });
}

function expectProblem(reply: Reply, status: number, code: string): void {
  expect(reply.status).toBe(status);
  expect(reply.headers.get('content-type')).toMatch(/^application\/problem\+json/);
  expect(reply.headers.get('cache-control')).toBe('no-store');
  expect(reply.body).toMatchObject({ status, code, type: `urn:tessera:error:${code}` });
  if (status === 401) expect(reply.headers.get('www-authenticate')).toContain('Bearer');
  expect(reply.text).not.toMatch(/auth"\s*:\s*\{/);
}

let server: TestServer;
let alice: { browser: Browser; userId: string; email: string };
let bob: { browser: Browser; userId: string };
let carol: { email: string; password: string };

beforeAll(async () => {
  server = await startTestServer({ store: 'sqlite' });
  // Few registrations: the default limit is 10 per IP and hour, and every adapter shares these.
  alice = await signUpAndIn(server);
  bob = await signUpAndIn(server);
  carol = await signUpAndIn(server);
});
afterAll(async () => server?.close());

describe.each(adapters)('middleware: $name', (adapter) => {
  let app: MountedApp;
  beforeAll(async () => {
    app = await adapter.mount(server.tessera);
  });
  afterAll(async () => app?.close());

  const sameOrigin = { 'sec-fetch-site': 'same-origin' };

  it('refuses a request without credentials: 401 unauthenticated', async () => {
    expectProblem(await call(app, 'GET', '/private'), 401, 'unauthenticated');
  });

  it('lets a valid session cookie through and exposes no secrets', async () => {
    const reply = await call(app, 'GET', '/private', { cookie: alice.browser.cookie });
    expect(reply.status).toBe(200);
    expect(reply.body.auth).toMatchObject({ user: { id: alice.userId, email: alice.email }, carrier: 'cookie', viaCookie: true });
    expect(reply.body.auth.session).toEqual({ id: expect.any(String), carrier: 'cookie', expiresAt: expect.any(Number) });
    expect(reply.text).not.toMatch(/passwordHash|secretHash|argon2/);
  });

  it('refuses a bad session cookie: 401 invalid_session, and clears it', async () => {
    const reply = await call(app, 'GET', '/private', { cookie: `${server.tessera.cookieNames.session}=bogus.value` });
    expectProblem(reply, 401, 'invalid_session');
    expect(reply.headers.get('set-cookie')).toMatch(/Max-Age=0/);
  });

  it('refuses an unsafe method with a cookie but no CSRF token: 403 csrf_rejected', async () => {
    expectProblem(await call(app, 'POST', '/private', { cookie: alice.browser.cookie, headers: sameOrigin }), 403, 'csrf_rejected');
  });

  it('accepts an unsafe method with X-CSRF-Token and Sec-Fetch-Site: same-origin', async () => {
    const reply = await call(app, 'POST', '/private', { cookie: alice.browser.cookie, headers: { ...sameOrigin, 'x-csrf-token': alice.browser.csrfToken! } });
    expect(reply.status).toBe(200);
    expect(reply.body.auth.user.id).toBe(alice.userId);
  });

  it('refuses the right token from a cross-site request: 403', async () => {
    const headers = { 'sec-fetch-site': 'cross-site', 'x-csrf-token': alice.browser.csrfToken! };
    expectProblem(await call(app, 'POST', '/private', { cookie: alice.browser.cookie, headers }), 403, 'csrf_rejected');
  });

  it('accepts a form post with the _csrf field and a trusted Origin; the handler still reads the form', async () => {
    const reply = await call(app, 'POST', '/form', {
      cookie: alice.browser.cookie,
      headers: { origin: server.tessera.config.publicUrl },
      form: { _csrf: alice.browser.csrfToken!, note: 'hello' },
    });
    expect(reply.status).toBe(200);
    expect(reply.body).toMatchObject({ auth: { user: { id: alice.userId } }, note: 'hello' });
  });

  it("refuses another user's CSRF token (header or form field): 403", async () => {
    const headers = { ...sameOrigin, 'x-csrf-token': bob.browser.csrfToken! };
    expectProblem(await call(app, 'POST', '/private', { cookie: alice.browser.cookie, headers }), 403, 'csrf_rejected');
    const form = { _csrf: bob.browser.csrfToken!, note: 'x' };
    expectProblem(await call(app, 'POST', '/form', { cookie: alice.browser.cookie, headers: sameOrigin, form }), 403, 'csrf_rejected');
  });

  it('H-01: a cookie plus a bogus Authorization header is 401, never the cookie and never a CSRF skip', async () => {
    const authorization = 'Bearer not-a-token';
    expectProblem(await call(app, 'GET', '/private', { cookie: alice.browser.cookie, headers: { authorization } }), 401, 'invalid_token');
    expectProblem(await call(app, 'POST', '/private', { cookie: alice.browser.cookie, headers: { ...sameOrigin, authorization } }), 401, 'invalid_token');
  });

  it('H-01: two Authorization headers are 401 whichever comes first, as at the server', async () => {
    const login = await fetch(new URL('/auth/login', server.url), {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ email: carol.email, password: carol.password, carrier: 'bearer' }),
    });
    const token = ((await login.json()) as { access_token: string }).access_token;
    expect((await call(app, 'GET', '/private', { headers: { authorization: `Bearer ${token}` } })).status).toBe(200);
    for (const [first, second] of [
      [token, 'garbage'],
      ['garbage', token],
      [token, token],
    ]) {
      expect(await rawStatus(app, `GET /private HTTP/1.1\r\nAuthorization: Bearer ${first}\r\nAuthorization: Bearer ${second}\r\n`)).toBe(401);
    }
  });

  it('optionalAuth lets an anonymous request through with auth null', async () => {
    const reply = await call(app, 'GET', '/maybe');
    expect(reply.status).toBe(200);
    expect(reply.body).toEqual({ auth: null });
  });

  it('optionalAuth still identifies a signed-in caller', async () => {
    const reply = await call(app, 'GET', '/maybe', { cookie: alice.browser.cookie });
    expect(reply.status).toBe(200);
    expect(reply.body.auth.user.id).toBe(alice.userId);
  });

  it('optionalAuth refuses a bad cookie: 401, never silently anonymous', async () => {
    expectProblem(await call(app, 'GET', '/maybe', { cookie: `${server.tessera.cookieNames.session}=bogus.value` }), 401, 'invalid_session');
  });

  it('refuses the old cookie after logout at the server', async () => {
    const browser = createBrowser(server);
    const login = await browser.request('POST', '/auth/login', { json: { email: carol.email, password: carol.password } });
    expect(login.status).toBe(200);
    const cookie = browser.cookie;
    expect((await call(app, 'GET', '/private', { cookie })).status).toBe(200);
    expect((await browser.request('POST', '/auth/logout')).status).toBe(204);
    expectProblem(await call(app, 'GET', '/private', { cookie }), 401, 'invalid_session');
  });

  it('validates options once, at creation', () => {
    expect(() => adapter.create(server.tessera, { crsf: false })).toThrow(/unknown option "crsf"/);
    expect(() => adapter.create(server.tessera, { csrf: 'no' })).toThrow(/"csrf" must be true or false/);
    expect(() => adapter.create(undefined as unknown as Tessera)).toThrow(/Tessera instance/);
    expect(adapter.create(server.tessera, { csrf: true })).toEqual(expect.any(Function));
  });
});
