import { connect } from 'node:net';
import type { ConfigOverrides } from '../../src/core/config.js';
import type { Session } from '../../src/core/model.js';
import { type Browser, type TestResponse, cookiePair, createBrowser, send } from '../helpers/http.js';
import type { TestServer } from '../helpers/server.js';

/**
 * Shared helpers for the security, integration and property suites (test/helpers/* belongs to
 * the lead; these live here). Nothing in here sleeps: time moves only through the ManualClock.
 */

/** Rate limits so large that suites not about rate limiting never hit them. */
export const BIG_LIMITS: ConfigOverrides = {
  rateLimit: {
    loginPerIp: { limit: 1_000_000, windowMs: 60_000 },
    loginPerAccount: { limit: 1_000_000, windowMs: 60_000 },
    registerPerIp: { limit: 1_000_000, windowMs: 60_000 },
  },
};

/** Merges BIG_LIMITS with extra overrides (shallow, one level like the config). */
export function withBigLimits(extra: ConfigOverrides = {}): ConfigOverrides {
  return { ...BIG_LIMITS, ...extra };
}

let counter = 0;
/** A unique e-mail address for one test. */
export function uniqueEmail(tag = 'user'): string {
  counter += 1;
  return `${tag}-${process.pid}-${Date.now().toString(36)}-${counter}-${Math.random().toString(36).slice(2, 8)}@example.com`;
}

/** The password every test user gets unless a test says otherwise. */
export const PASSWORD = 'correct horse battery staple';

/** The session cookie's Set-Cookie line of a response, or undefined. */
export function sessionSetCookie(response: TestResponse, cookieName: string): string | undefined {
  return response.cookies.find((line) => line.startsWith(`${cookieName}=`));
}

/** The token (cookie value) a Set-Cookie line carries. */
export function tokenOf(setCookie: string): string {
  const pair = cookiePair(setCookie);
  return pair.slice(pair.indexOf('=') + 1);
}

/** Parses a Set-Cookie line's attributes (lower-case names; flag attributes map to ''). */
export function cookieAttributes(setCookie: string): Map<string, string> {
  const attributes = new Map<string, string>();
  for (const part of setCookie.split(';').slice(1)) {
    const trimmed = part.trim();
    if (trimmed === '') continue;
    const eq = trimmed.indexOf('=');
    if (eq === -1) attributes.set(trimmed.toLowerCase(), '');
    else attributes.set(trimmed.slice(0, eq).trim().toLowerCase(), trimmed.slice(eq + 1).trim());
  }
  return attributes;
}

/** Registers a user through the API (no browser signal, like a CLI). */
export async function register(server: TestServer, email: string, password = PASSWORD): Promise<string> {
  const response = await send(server, 'POST', '/auth/register', { json: { email, password } });
  if (response.status !== 201) throw new Error(`register failed: ${response.status} ${response.text}`);
  return response.body.user.id as string;
}

/** Signs an existing user in with a fresh same-origin browser. */
export async function login(
  server: TestServer,
  email: string,
  password = PASSWORD,
  headers: Record<string, string> = {},
): Promise<{ browser: Browser; response: TestResponse; token: string; sessionId: string }> {
  const browser = createBrowser(server);
  const response = await browser.request('POST', '/auth/login', { json: { email, password }, headers });
  if (response.status !== 200) throw new Error(`login failed: ${response.status} ${response.text}`);
  const line = sessionSetCookie(response, server.tessera.cookieNames.session);
  if (!line) throw new Error('login set no session cookie');
  return { browser, response, token: tokenOf(line), sessionId: response.body.session.id as string };
}

/** Registers and signs in a new user; returns everything a test needs. */
export async function newUser(
  server: TestServer,
  options: { tag?: string; password?: string; headers?: Record<string, string> } = {},
): Promise<{ browser: Browser; response: TestResponse; email: string; password: string; userId: string; token: string; sessionId: string; csrfToken: string }> {
  const email = uniqueEmail(options.tag);
  const password = options.password ?? PASSWORD;
  const userId = await register(server, email, password);
  const signedIn = await login(server, email, password, options.headers);
  return { ...signedIn, email, password, userId, csrfToken: signedIn.response.body.csrfToken as string };
}

/** The Cookie header that presents `token` to the server. */
export function cookieHeader(server: TestServer, token: string): string {
  return `${server.tessera.cookieNames.session}=${token}`;
}

/** Headers of a same-origin browser request with cookie and CSRF token. */
export function browserHeaders(server: TestServer, token: string, csrfToken?: string): Record<string, string> {
  const headers: Record<string, string> = { cookie: cookieHeader(server, token), 'sec-fetch-site': 'same-origin' };
  if (csrfToken !== undefined) headers['x-csrf-token'] = csrfToken;
  return headers;
}

/** GET /auth/session with just the cookie: the status says whether the session is alive. */
export async function sessionStatus(server: TestServer, token: string): Promise<number> {
  const response = await send(server, 'GET', '/auth/session', { headers: { cookie: cookieHeader(server, token) } });
  return response.status;
}

/** The stored session fields that a state-changing request could alter (lastSeenAt excluded: reads touch it). */
function sessionState(session: Session): Omit<Session, 'lastSeenAt'> {
  const { lastSeenAt: _ignored, ...rest } = session;
  void _ignored;
  return rest;
}

/** Everything about a user that a refused request must leave untouched, read from the store. */
export async function userState(server: TestServer, userId: string): Promise<unknown> {
  const { users, sessions } = server.tessera.stores;
  const user = await users.findUserById(userId);
  const list = await sessions.listUserSessions(userId);
  return {
    user,
    sessions: list.map(sessionState).sort((a, b) => (a.id < b.id ? -1 : 1)),
  };
}

/** A raw HTTP/1.1 response. */
export interface RawResponse {
  readonly status: number;
  readonly headers: Map<string, string>;
  readonly body: string;
}

/**
 * Sends raw bytes over a socket and reads the whole response (the request should carry
 * `Connection: close`). For what fetch and node:http refuse to send: oversized or invalid
 * header bytes.
 */
export function rawRequest(server: TestServer, request: string | Buffer, timeoutMs = 15_000): Promise<RawResponse> {
  const url = new URL(server.url);
  return new Promise((resolve, reject) => {
    const socket = connect(Number(url.port), url.hostname);
    const chunks: Buffer[] = [];
    // A watchdog, not a timing assertion: a server that never answers must fail the test
    // instead of hanging it.
    socket.setTimeout(timeoutMs, () => {
      socket.destroy();
      if (!done) {
        done = true;
        reject(new Error(`no complete response within ${timeoutMs} ms`));
      }
    });
    socket.on('data', (chunk: Buffer) => chunks.push(chunk));
    socket.on('error', (error: NodeJS.ErrnoException) => {
      // The server may reset after answering (it closes while we still write a huge request).
      if (chunks.length > 0 && (error.code === 'ECONNRESET' || error.code === 'EPIPE')) finish();
      else reject(error);
    });
    let done = false;
    const finish = (): void => {
      if (done) return;
      done = true;
      try {
        resolve(parseRawResponse(Buffer.concat(chunks)));
      } catch (error) {
        reject(error);
      }
    };
    socket.on('end', finish);
    socket.on('close', finish);
    socket.write(request);
  });
}

function parseRawResponse(bytes: Buffer): RawResponse {
  const text = bytes.toString('latin1');
  const headEnd = text.indexOf('\r\n\r\n');
  if (headEnd === -1) throw new Error(`incomplete response: ${JSON.stringify(text.slice(0, 200))}`);
  const [statusLine = '', ...headerLines] = text.slice(0, headEnd).split('\r\n');
  const status = Number(/^HTTP\/1\.[01] (\d{3})/.exec(statusLine)?.[1]);
  const headers = new Map<string, string>();
  for (const line of headerLines) {
    const colon = line.indexOf(':');
    headers.set(line.slice(0, colon).trim().toLowerCase(), line.slice(colon + 1).trim());
  }
  let body = bytes.subarray(Buffer.byteLength(text.slice(0, headEnd + 4), 'latin1'));
  const length = headers.get('content-length');
  if (length !== undefined) body = body.subarray(0, Number(length));
  else if (headers.get('transfer-encoding') === 'chunked') body = dechunk(body);
  return { status, headers, body: body.toString('utf8') };
}

function dechunk(body: Buffer): Buffer {
  const out: Buffer[] = [];
  let offset = 0;
  for (;;) {
    const lineEnd = body.indexOf('\r\n', offset);
    if (lineEnd === -1) break;
    const size = parseInt(body.subarray(offset, lineEnd).toString('latin1'), 16);
    if (!Number.isFinite(size) || size === 0) break;
    out.push(body.subarray(lineEnd + 2, lineEnd + 2 + size));
    offset = lineEnd + 2 + size + 2;
  }
  return Buffer.concat(out);
}

/** The Host header value for raw requests. */
export function hostOf(server: TestServer): string {
  return new URL(server.url).host;
}
