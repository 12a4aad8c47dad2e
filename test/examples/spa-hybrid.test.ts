import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type RunningSpaExample, startSpaExample } from '../../examples/spa-hybrid/server.mjs';
import { requireBuild, spawnProcess } from '../support/processes.js';

/**
 * examples/spa-hybrid over HTTP: the page and its scripts (what the CSP allows), the app's API
 * behind the hybrid carrier (access cookie + X-CSRF-Token + same-origin signal), the refresh
 * through the path-scoped refresh cookie, and the one command. The browser tests drive the
 * same example in Chromium (test/browser/).
 */

const PASSWORD = 'correct horse battery staple';
const TEST_IDS = ['signin-email', 'signin-password', 'signin-submit', 'user-email', 'call-api', 'api-result', 'signout', 'status', 'refresh-count'];

let dataDir: string;
let spa: RunningSpaExample | undefined;

interface Reply {
  readonly status: number;
  readonly headers: Headers;
  readonly text: string;
  readonly json: any;
  readonly cookies: string[];
}

async function call(path: string, init: { method?: string; headers?: Record<string, string>; json?: unknown } = {}): Promise<Reply> {
  const headers = { ...init.headers };
  if (init.json !== undefined) headers['content-type'] = 'application/json';
  const response = await fetch(spa!.url + path, {
    method: init.method ?? 'GET',
    headers,
    body: init.json === undefined ? undefined : JSON.stringify(init.json),
    redirect: 'manual',
  });
  const text = await response.text();
  const json = (response.headers.get('content-type') ?? '').includes('json') && text ? JSON.parse(text) : null;
  return { status: response.status, headers: response.headers, text, json, cookies: response.headers.getSetCookie() };
}

/** `name=value` of the cookie called `name`, and its attributes. */
function cookie(reply: Reply, name: string): { pair: string; line: string } {
  const line = reply.cookies.find((c) => c.startsWith(`${name}=`));
  if (!line) throw new Error(`no ${name} cookie in ${reply.status} ${reply.text}`);
  return { pair: line.split(';')[0]!, line };
}

let counter = 0;

/** Registers and signs in with the hybrid carrier, as the SDK does. */
async function signInHybrid(): Promise<{ email: string; access: string; refresh: string; refreshLine: string; csrf: string; expiresIn: number }> {
  const email = `spa-${process.pid}-${++counter}@example.com`;
  expect((await call('/auth/register', { method: 'POST', json: { email, password: PASSWORD } })).status).toBe(201);
  const login = await call('/auth/login', { method: 'POST', json: { email, password: PASSWORD, carrier: 'hybrid' }, headers: { 'sec-fetch-site': 'same-origin' } });
  expect(login.status, login.text).toBe(200);
  const refresh = cookie(login, 'tessera_refresh');
  return {
    email,
    access: cookie(login, 'tessera_access').pair,
    refresh: refresh.pair,
    refreshLine: refresh.line,
    csrf: login.json.csrfToken,
    expiresIn: login.json.expires_in,
  };
}

beforeAll(async () => {
  requireBuild();
  dataDir = mkdtempSync(join(tmpdir(), 'tessera-spa-example-'));
  spa = await startSpaExample({ dataDir, env: { TESSERA_LOG_LEVEL: 'warn', TESSERA_ACCESS_TOKEN_TTL: '7s' } });
});

afterAll(async () => {
  await spa?.close();
  if (dataDir) rmSync(dataDir, { recursive: true, force: true });
});

describe('examples/spa-hybrid: startSpaExample', () => {
  it('listens on a free port whose URL is the public URL (a trusted CSRF origin)', () => {
    expect(spa!.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(spa!.tessera.config.publicUrl).toBe(spa!.url);
    expect(spa!.tessera.config.tokens.accessTokenTtlMs).toBe(7_000);
  });

  it('serves index.html with only same-origin module scripts under a CSP, and every data-testid', async () => {
    const page = await call('/');
    expect(page.status).toBe(200);
    expect(page.headers.get('content-type')).toMatch(/^text\/html/);
    const csp = page.headers.get('content-security-policy') ?? '';
    expect(csp).toContain("script-src 'self'");
    expect(csp).not.toContain('unsafe-inline');
    const scripts = [...page.text.matchAll(/<script\b([^>]*)>([\s\S]*?)<\/script>/gi)];
    expect(scripts.map((s) => s[1]!.trim())).toEqual(['type="module" src="/app.js"']);
    expect(scripts.every((s) => s[2]!.trim() === '')).toBe(true);
    expect(page.text).not.toMatch(/\son[a-z]+=|\sstyle=|<style/i);
    for (const id of TEST_IDS) expect(page.text, id).toContain(`data-testid="${id}"`);
    // The SDK's refresh skew follows the short token lifetime: a third of 7 s.
    expect(page.text).toContain('<meta name="tessera-refresh-skew" content="2">');
  });

  it("serves app.js, which imports the SDK that Tessera serves from dist/client", async () => {
    const app = await call('/app.js');
    expect(app.status).toBe(200);
    expect(app.headers.get('content-type')).toMatch(/^text\/javascript/);
    expect(app.text).toContain("from '/assets/client/index.js'");
    expect(app.text).toContain("carrier: 'hybrid'");
    const sdk = await call('/assets/client/index.js');
    expect(sdk.status).toBe(200);
    expect(sdk.text).toContain('export function createTesseraClient');
  });

  it('signs in with the hybrid carrier: tokens in HttpOnly cookies, the refresh cookie scoped to /auth/refresh', async () => {
    const user = await signInHybrid();
    expect(user.expiresIn).toBe(7);
    expect(user.refreshLine).toContain('Path=/auth/refresh');
    expect(user.refreshLine).toContain('HttpOnly');
    const me = await call('/api/me', { headers: { cookie: user.access } });
    expect(me.status).toBe(200);
    expect(me.json.user.email).toBe(user.email);
    expect(me.json.carrier).toBe('hybrid');
    const anonymous = await call('/api/me');
    expect(anonymous.status).toBe(200);
    expect(anonymous.json).toEqual({ user: null });
  });

  it('answers POST /api/echo with the access cookie, X-CSRF-Token and a same-origin signal', async () => {
    const user = await signInHybrid();
    const echo = await call('/api/echo', {
      method: 'POST',
      headers: { cookie: user.access, 'x-csrf-token': user.csrf, 'sec-fetch-site': 'same-origin' },
      json: { hello: 'world' },
    });
    expect(echo.status, echo.text).toBe(200);
    expect(echo.headers.get('cache-control')).toBe('no-store');
    expect(echo.json).toMatchObject({ ok: true, carrier: 'hybrid', user: { email: user.email }, echo: { hello: 'world' } });
    // No body at all, as the SPA's button sends it.
    const bare = await call('/api/echo', { method: 'POST', headers: { cookie: user.access, 'x-csrf-token': user.csrf, origin: spa!.url } });
    expect(bare.status, bare.text).toBe(200);
  });

  it('refuses /api/echo without the CSRF header, from another site, or without cookies', async () => {
    const user = await signInHybrid();
    const noToken = await call('/api/echo', { method: 'POST', headers: { cookie: user.access, 'sec-fetch-site': 'same-origin' } });
    expect(noToken.status).toBe(403);
    expect(noToken.json.code).toBe('csrf_rejected');
    const crossSite = await call('/api/echo', {
      method: 'POST',
      headers: { cookie: user.access, 'x-csrf-token': user.csrf, 'sec-fetch-site': 'cross-site', origin: 'https://evil.example' },
    });
    expect(crossSite.status).toBe(403);
    const anonymous = await call('/api/echo', { method: 'POST', headers: { 'x-csrf-token': user.csrf, 'sec-fetch-site': 'same-origin' } });
    expect(anonymous.status).toBe(401);
    // The refresh token is not an access token, and is never sent to the API by the browser anyway.
    const refreshAsAccess = await call('/api/echo', { method: 'POST', headers: { cookie: user.refresh, 'x-csrf-token': user.csrf, 'sec-fetch-site': 'same-origin' } });
    expect(refreshAsAccess.status).toBe(401);
  });

  it('refreshes through the refresh cookie (CSRF-checked), and the new access cookie works', async () => {
    const user = await signInHybrid();
    const refreshed = await call('/auth/refresh', { method: 'POST', headers: { cookie: user.refresh, 'x-csrf-token': user.csrf, 'sec-fetch-site': 'same-origin' } });
    expect(refreshed.status, refreshed.text).toBe(200);
    expect(refreshed.json.expires_in).toBe(7);
    const access = cookie(refreshed, 'tessera_access').pair;
    expect(access).not.toBe(user.access);
    const echo = await call('/api/echo', { method: 'POST', headers: { cookie: access, 'x-csrf-token': refreshed.json.csrfToken, 'sec-fetch-site': 'same-origin' } });
    expect(echo.status).toBe(200);

    const withoutCsrf = await call('/auth/refresh', { method: 'POST', headers: { cookie: cookie(refreshed, 'tessera_refresh').pair, 'sec-fetch-site': 'same-origin' } });
    expect(withoutCsrf.status).toBe(403);
  });
});

describe('examples/spa-hybrid: one command', () => {
  it('node examples/spa-hybrid/server.mjs starts, serves the SPA, and stops on SIGTERM', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'tessera-spa-command-'));
    const child = spawnProcess({
      name: 'spa-hybrid example',
      command: process.execPath,
      args: ['examples/spa-hybrid/server.mjs'],
      env: { PORT: '0', TESSERA_DATA_DIR: dir, TESSERA_LOG_LEVEL: 'warn', SPA_REFRESH_SKEW_SECONDS: '1' },
    });
    try {
      const [, url] = await child.waitForOutput(/listening on (http:\/\/[^\s]+)/, 20_000);
      const page = await fetch(`${url}/`);
      expect(page.status).toBe(200);
      expect(await page.text()).toContain('<meta name="tessera-refresh-skew" content="1">');
      const started = Date.now();
      await child.stop(10_000);
      expect(Date.now() - started).toBeLessThan(5_000);
    } finally {
      await child.stop();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
