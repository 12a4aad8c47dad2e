import { existsSync, mkdirSync } from 'node:fs';
import { type IncomingMessage, type Server, type ServerResponse, createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type Browser, type BrowserContext, type BrowserContextOptions, type Cookie, type Page, chromium } from 'playwright-core';
import type { ConfigOverrides } from '../../src/core/config.js';
import { type TestServer, startTestServer } from '../helpers/server.js';

/**
 * What the real-browser tests share: Debian's Chromium driven by playwright-core (never a
 * downloaded browser), a Tessera on SQLite with rate limits no test hits, a watcher for console
 * errors and CSP violations, screenshots into test-artifacts/screenshots/, and a tiny "other
 * site" server for the CSRF attacks.
 *
 * The repository compiles tests without the DOM library (src/client must not lean on it), so
 * callbacks that run in the page reach the DOM through `globalThis as any` or as strings.
 */

/** The repository root. */
export const ROOT = fileURLToPath(new URL('../../', import.meta.url));

/** Where screenshots go (gitignored, created at run time). */
export const SCREENSHOT_DIR = join(ROOT, 'test-artifacts', 'screenshots');

/** Debian's Chromium. */
export const CHROMIUM_PATH = '/usr/bin/chromium';

/** Flags: headless, no sandbox (containers), and nothing that talks to the internet. */
export const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-quic',
  '--no-first-run',
  '--disable-component-update',
  '--disable-sync',
];

/** Waits used by the tests: bounded, never sleeps. */
export const WAIT_MS = 10_000;

/** Launches Chromium; a failure is an error naming the cause (tests fail, never skip). */
export async function launchChromium(): Promise<Browser> {
  try {
    return await chromium.launch({ executablePath: CHROMIUM_PATH, args: CHROMIUM_ARGS, timeout: 30_000 });
  } catch (error) {
    const detail = error instanceof Error ? error.message : String(error);
    throw new Error(`Chromium failed to launch from ${CHROMIUM_PATH}: ${detail}`, { cause: error });
  }
}

/**
 * One browser per test file, launched on first use inside a test — so a launch failure fails
 * every test that needs it with the launch error instead of turning into a hook error.
 */
export interface BrowserHandle {
  get(): Promise<Browser>;
  close(): Promise<void>;
}

/** Creates the lazily launched browser of a test file. */
export function createBrowserHandle(): BrowserHandle {
  let launching: Promise<Browser> | null = null;
  return {
    get: () => (launching ??= launchChromium()),
    async close() {
      if (!launching) return;
      const browser = await launching.catch(() => null);
      await browser?.close().catch(() => undefined);
    },
  };
}

/** Rate limits no browser test reaches. */
export const BIG_LIMITS: ConfigOverrides = {
  rateLimit: {
    loginPerIp: { limit: 1_000_000, windowMs: 60_000 },
    loginPerAccount: { limit: 1_000_000, windowMs: 60_000 },
    registerPerIp: { limit: 1_000_000, windowMs: 60_000 },
  },
};

/** Starts Tessera on SQLite with big rate limits; its public URL is http://127.0.0.1:<port>. */
export function startBrowserServer(overrides: ConfigOverrides = {}): Promise<TestServer> {
  return startTestServer({ store: 'sqlite', overrides: { ...BIG_LIMITS, ...overrides } });
}

/** The playground serves the compiled SDK from dist/client: say how to fix a missing build. */
export function requireBuiltClient(): void {
  if (!existsSync(join(ROOT, 'dist', 'client', 'index.js'))) {
    throw new Error('dist/client/index.js is missing: run `npm run build` before the browser tests.');
  }
}

export const PASSWORD = 'correct horse battery staple';

let counter = 0;
/** A unique e-mail address. */
export function uniqueEmail(tag = 'browser'): string {
  counter += 1;
  return `${tag}-${process.pid}-${counter}-${Math.random().toString(36).slice(2, 8)}@example.com`;
}

/**
 * Every console error, uncaught page error and CSP violation of every page of a context.
 * CSP violations are caught twice: Chromium's own console report ("Refused to …") and a
 * `securitypolicyviolation` listener installed before any page script runs (init scripts come
 * in through the DevTools protocol, so the page's CSP does not block them).
 *
 * Chromium also logs "Failed to load resource: … status of 401" when a document or a fetch is
 * answered with an error status — which some pages do on purpose (a wrong password is 401, the
 * password confirmation 403, the playground shows refused requests). A test declares those with
 * `allowFailedLoad`; anything else counts.
 */
export interface PageWatch {
  /** Declares that loading `path` (a document or a fetch) answers `status` on purpose. */
  allowFailedLoad(path: string, status: number): void;
  /** What went wrong, minus the declared document statuses. */
  problems(): string[];
}

/** Starts watching the context's pages. */
export function watchContext(context: BrowserContext): PageWatch {
  const found: Array<{ text: string; resource: string }> = [];
  const allowed: Array<{ path: string; status: number }> = [];
  const watch = (page: Page): void => {
    page.on('console', (message) => {
      const text = message.text();
      if (message.type() === 'error' || /Content Security Policy|Refused to/i.test(text)) {
        found.push({ text: `console ${message.type()} on ${page.url()}: ${text} (${message.location().url})`, resource: message.location().url });
      }
    });
    page.on('pageerror', (error) => found.push({ text: `pageerror on ${page.url()}: ${error.message}`, resource: '' }));
  };
  context.on('page', watch);
  for (const page of context.pages()) watch(page);
  void context
    .addInitScript({
      content:
        "document.addEventListener('securitypolicyviolation', (e) => console.error('CSP violation: ' + e.violatedDirective + ' blocked ' + e.blockedURI));",
    })
    .catch(() => undefined);
  const isAllowed = ({ text, resource }: { text: string; resource: string }): boolean => {
    const match = /Failed to load resource: the server responded with a status of (\d{3})/.exec(text);
    if (!match || !resource) return false;
    const path = new URL(resource).pathname;
    return allowed.some((entry) => entry.path === path && entry.status === Number(match[1]));
  };
  return {
    allowFailedLoad(path, status) {
      allowed.push({ path, status });
    },
    problems: () => found.filter((entry) => !isAllowed(entry)).map((entry) => entry.text),
  };
}

/** A fresh context with the watcher attached. */
export async function newWatchedContext(browser: Browser, options: BrowserContextOptions = {}): Promise<{ context: BrowserContext; watch: PageWatch }> {
  const context = await browser.newContext(options);
  return { context, watch: watchContext(context) };
}

/** Saves a full-page screenshot to test-artifacts/screenshots/<name>.png; returns its path. */
export async function saveScreenshot(page: Page, name: string): Promise<string> {
  mkdirSync(SCREENSHOT_DIR, { recursive: true });
  const path = join(SCREENSHOT_DIR, `${name}.png`);
  await page.screenshot({ path, fullPage: true });
  return path;
}

/** The cookie called `name` of `url` as the browser stores it. */
export async function browserCookie(context: BrowserContext, url: string, name: string): Promise<Cookie | undefined> {
  return (await context.cookies(url)).find((cookie) => cookie.name === name);
}

/** The path and query of the page's URL. */
export function pathOf(page: Page): string {
  const url = new URL(page.url());
  return url.pathname + url.search;
}

/**
 * Another site for the CSRF attacks: a node:http server that serves pages registered by the
 * test (inline scripts allowed, no CSP: an attacker's page does what it likes). It listens on
 * 127.0.0.1; reached as http://localhost:<port> it is another *site* than Tessera's
 * http://127.0.0.1:<port> (cookies ignore ports, SameSite compares registrable hosts), reached
 * as http://127.0.0.1:<port> it is the same site but another origin.
 */
export interface AttackerSite {
  readonly port: number;
  /** Registers `html` and returns its URL on `host`. */
  page(host: 'localhost' | '127.0.0.1', html: string): string;
  close(): Promise<void>;
}

/** Starts the attacker's server on a free port. */
export async function startAttackerSite(): Promise<AttackerSite> {
  const pages = new Map<string, string>();
  const server: Server = createServer((request: IncomingMessage, response: ServerResponse) => {
    const body = pages.get(new URL(request.url ?? '/', 'http://attacker.invalid').pathname);
    if (body === undefined) {
      response.writeHead(404, { 'content-type': 'text/plain' }).end('not found');
      return;
    }
    response.writeHead(200, { 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-store' }).end(body);
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  let next = 0;
  return {
    port,
    page(host, html) {
      next += 1;
      const path = `/attack-${next}`;
      pages.set(path, html);
      return `http://${host}:${port}${path}`;
    },
    close() {
      server.closeAllConnections();
      return new Promise((resolve) => server.close(() => resolve()));
    },
  };
}

/** Escapes text for an HTML attribute or text node of an attacker page. */
export function escapeHtml(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

/** Polls `check` every 25 ms until it holds; fails after `timeoutMs` naming `what`. */
export async function waitUntil(check: () => boolean, what: string, timeoutMs = WAIT_MS): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

/** A request as it reached the server, and its answer. */
export interface RecordedRequest {
  readonly method: string;
  readonly path: string;
  readonly status: number;
  readonly location: string | undefined;
  readonly cookie: string;
  readonly secFetchSite: string | undefined;
  readonly secFetchMode: string | undefined;
  readonly secFetchDest: string | undefined;
  readonly origin: string | undefined;
}

/** Requests reaching a node:http server, seen from the server's side. */
export interface RequestRecorder {
  readonly list: RecordedRequest[];
  clear(): void;
  stop(): void;
}

/**
 * Records every request the server answers, from the server's side — ground truth for what a
 * browser actually sent (an <img> answer blocked by ORB or a failed CORS preflight never shows
 * up as a Playwright response). An extra 'request' listener only observes; Fastify's handler is
 * untouched.
 */
export function recordRequests(target: Server): RequestRecorder {
  const list: RecordedRequest[] = [];
  const header = (request: IncomingMessage, name: string): string | undefined => {
    const value = request.headers[name];
    return Array.isArray(value) ? value.join(', ') : value;
  };
  const listener = (request: IncomingMessage, response: ServerResponse): void => {
    response.once('finish', () => {
      // Fastify passes its headers to writeHead(), which getHeader() does not see; the raw
      // header block that was sent does.
      const raw: unknown = (response as unknown as { _header?: unknown })._header;
      const location = response.getHeader('location') ?? (typeof raw === 'string' ? /\r\nlocation: ([^\r\n]*)/i.exec(raw)?.[1] : undefined);
      list.push({
        method: request.method ?? '',
        path: new URL(request.url ?? '/', 'http://server.invalid').pathname,
        status: response.statusCode,
        location: typeof location === 'string' ? location : undefined,
        cookie: header(request, 'cookie') ?? '',
        secFetchSite: header(request, 'sec-fetch-site'),
        secFetchMode: header(request, 'sec-fetch-mode'),
        secFetchDest: header(request, 'sec-fetch-dest'),
        origin: header(request, 'origin'),
      });
    });
  };
  target.on('request', listener);
  return {
    list,
    clear: () => void list.splice(0),
    stop: () => void target.off('request', listener),
  };
}
