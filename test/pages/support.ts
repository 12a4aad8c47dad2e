import type { ConfigOverrides } from '../../src/core/config.js';
import { type TestResponse, cookiePair, send } from '../helpers/http.js';
import { type TestServer, startTestServer } from '../helpers/server.js';

/**
 * A form-posting "browser without JavaScript" for the hosted pages: one cookie jar, redirects
 * not followed (tests look at the 303s), and same-origin fetch metadata as a real browser sends
 * for a form on our own page.
 */

/** Rate limits no page test hits unless it means to. */
export const PAGE_LIMITS: ConfigOverrides = {
  rateLimit: {
    loginPerIp: { limit: 100_000, windowMs: 60_000 },
    loginPerAccount: { limit: 100_000, windowMs: 60_000 },
    registerPerIp: { limit: 100_000, windowMs: 60_000 },
  },
};

/** Starts a test server with the page limits (plus `overrides`). */
export function startPageServer(overrides: ConfigOverrides = {}): Promise<TestServer> {
  return startTestServer({ overrides: { ...PAGE_LIMITS, ...overrides } });
}

export const PASSWORD = 'correct horse battery staple';

let counter = 0;
/** A unique address. */
export function uniqueEmail(tag = 'page'): string {
  counter += 1;
  return `${tag}-${process.pid}-${counter}-${Math.random().toString(36).slice(2, 8)}@example.com`;
}

/** Same-origin signals of a form submitted from one of our pages. */
export const SAME_ORIGIN = { 'sec-fetch-site': 'same-origin', 'sec-fetch-mode': 'navigate' } as const;

/** A cookie jar of one session cookie, and helpers to GET pages and POST forms. */
export interface PageBrowser {
  cookie: string | null;
  get(path: string, headers?: Record<string, string>): Promise<TestResponse>;
  post(path: string, fields: Record<string, string>, headers?: Record<string, string>): Promise<TestResponse>;
}

/** Creates a page browser for `server`. */
export function createPageBrowser(server: TestServer): PageBrowser {
  const browser: PageBrowser = {
    cookie: null,
    async get(path, headers = {}) {
      return keep(await send(server, 'GET', path, { headers: withCookie({ ...SAME_ORIGIN, ...headers }) }));
    },
    async post(path, fields, headers = {}) {
      return keep(
        await send(server, 'POST', path, {
          body: new URLSearchParams(fields).toString(),
          headers: withCookie({ 'content-type': 'application/x-www-form-urlencoded', ...SAME_ORIGIN, ...headers }),
        }),
      );
    },
  };
  const withCookie = (headers: Record<string, string>): Record<string, string> => (browser.cookie ? { cookie: browser.cookie, ...headers } : headers);
  const keep = (response: TestResponse): TestResponse => {
    const name = server.tessera.cookieNames.session;
    for (const line of response.cookies) {
      if (!line.startsWith(`${name}=`)) continue;
      browser.cookie = /Max-Age=0/.test(line) ? null : cookiePair(line);
    }
    return response;
  };
  return browser;
}

/** Registers through the form; returns the signed-in browser. */
export async function registerViaForm(server: TestServer, email = uniqueEmail(), password = PASSWORD): Promise<{ browser: PageBrowser; email: string; password: string }> {
  const browser = createPageBrowser(server);
  const response = await browser.post('/register', { email, password });
  if (response.status !== 303) throw new Error(`register failed: ${response.status} ${response.text.slice(0, 300)}`);
  return { browser, email, password };
}

/** Signs in through the form with a fresh browser. */
export async function signInViaForm(server: TestServer, email: string, password = PASSWORD, userAgent?: string): Promise<PageBrowser> {
  const browser = createPageBrowser(server);
  const response = await browser.post('/login', { email, password }, userAgent ? { 'user-agent': userAgent } : {});
  if (response.status !== 303) throw new Error(`login failed: ${response.status}`);
  return browser;
}

/** The `_csrf` value of the first form on a page. */
export function csrfOf(page: string): string {
  const match = /name="_csrf" value="([^"]+)"/.exec(page);
  if (!match) throw new Error('no _csrf field on the page');
  return match[1] as string;
}

/** The session id a `session` hidden field names, for every device row but the current one. */
export function otherSessionIds(page: string): string[] {
  return [...page.matchAll(/name="session" value="([^"]+)"/g)].map((match) => match[1] as string);
}
