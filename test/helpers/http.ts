import type { TestServer } from './server.js';

/** A response with its body read once (JSON when the body is JSON). */
export interface TestResponse {
  readonly status: number;
  readonly headers: Headers;
  readonly body: any;
  readonly text: string;
  /** The Set-Cookie lines. */
  readonly cookies: string[];
}

/** Sends a request to the test server; `json` sets the body and content type. */
export async function send(
  server: TestServer,
  method: string,
  path: string,
  options: { json?: unknown; body?: string; headers?: Record<string, string> } = {},
): Promise<TestResponse> {
  const headers: Record<string, string> = { ...options.headers };
  let body: string | undefined = options.body;
  if (options.json !== undefined) {
    headers['content-type'] ??= 'application/json';
    body = JSON.stringify(options.json);
  }
  const response = await fetch(server.url + path, { method, headers, body, redirect: 'manual' });
  const text = await response.text();
  let parsed: unknown = text;
  if ((response.headers.get('content-type') ?? '').includes('json') && text.length > 0) parsed = JSON.parse(text);
  return { status: response.status, headers: response.headers, body: parsed, text, cookies: response.headers.getSetCookie() };
}

/** A signed-in browser-like client: keeps the session cookie and CSRF token, sends same-origin signals. */
export interface Browser {
  cookie: string | null;
  csrfToken: string | null;
  request(method: string, path: string, options?: { json?: unknown; headers?: Record<string, string>; csrf?: boolean }): Promise<TestResponse>;
}

/** Extracts `name=value` from a Set-Cookie line. */
export function cookiePair(setCookie: string): string {
  return setCookie.split(';')[0] ?? '';
}

/** Creates a browser-like client for the server (Sec-Fetch-Site: same-origin, cookie jar of one). */
export function createBrowser(server: TestServer): Browser {
  const browser: Browser = {
    cookie: null,
    csrfToken: null,
    async request(method, path, options = {}) {
      const headers: Record<string, string> = { 'sec-fetch-site': 'same-origin', ...options.headers };
      if (browser.cookie) headers.cookie = browser.cookie;
      if (options.csrf !== false && browser.csrfToken && method !== 'GET') headers['x-csrf-token'] = browser.csrfToken;
      const response = await send(server, method, path, { json: options.json, headers });
      for (const line of response.cookies) {
        const pair = cookiePair(line);
        browser.cookie = /Max-Age=0/.test(line) ? null : pair;
      }
      if (response.body && typeof response.body === 'object' && typeof response.body.csrfToken === 'string') {
        browser.csrfToken = response.body.csrfToken;
      }
      return response;
    },
  };
  return browser;
}

/** Registers and signs in a fresh user; returns the browser and credentials. */
export async function signUpAndIn(server: TestServer, email = `user-${Math.random().toString(36).slice(2)}@example.com`, password = 'correct horse battery staple'): Promise<{ browser: Browser; email: string; password: string; userId: string }> {
  const browser = createBrowser(server);
  const registered = await browser.request('POST', '/auth/register', { json: { email, password } });
  if (registered.status !== 201) throw new Error(`register failed: ${registered.status} ${registered.text}`);
  const login = await browser.request('POST', '/auth/login', { json: { email, password } });
  if (login.status !== 200) throw new Error(`login failed: ${login.status} ${login.text}`);
  return { browser, email, password, userId: registered.body.user.id };
}
