import type { ConfigOverrides } from '../../src/core/config.js';
import { type TestResponse, cookiePair, send } from '../helpers/http.js';
import { type StoreKind, type TestServer, startTestServer } from '../helpers/server.js';
import { PASSWORD, register, uniqueEmail, withBigLimits } from './support.js';

/**
 * Shared helpers for the token suites (bearer, hybrid, gateway, keys, fuzz). Nothing in here
 * sleeps: time moves only through the ManualClock of the test server.
 */

/** The machine client the gateway endpoints accept in these suites. */
export const CLIENT = { id: 'gw', secret: 's'.repeat(32) } as const;

/** Overrides for token suites: huge rate limits and the `gw` client, plus `extra`. */
export function tokenOverrides(extra: ConfigOverrides = {}): ConfigOverrides {
  return withBigLimits({ clients: [{ ...CLIENT }], ...extra });
}

/** Starts a test server configured for the token suites. */
export function startTokenServer(store: StoreKind, extra: ConfigOverrides = {}): Promise<TestServer> {
  return startTestServer({ store, overrides: tokenOverrides(extra) });
}

/** `Authorization: Bearer <token>`. */
export function bearer(token: string): Record<string, string> {
  return { authorization: `Bearer ${token}` };
}

/** HTTP Basic credentials for a client (RFC 6749 §2.3.1: form-encode, then base64). */
export function basicAuth(id: string = CLIENT.id, secret: string = CLIENT.secret): Record<string, string> {
  const encode = (value: string): string => encodeURIComponent(value).replace(/%20/g, '+');
  return { authorization: `Basic ${Buffer.from(`${encode(id)}:${encode(secret)}`).toString('base64')}` };
}

/** Posts an application/x-www-form-urlencoded body (introspection, revocation). */
export function postForm(
  server: TestServer,
  path: string,
  fields: Record<string, string>,
  headers: Record<string, string> = basicAuth(),
): Promise<TestResponse> {
  return send(server, 'POST', path, {
    body: new URLSearchParams(fields).toString(),
    headers: { 'content-type': 'application/x-www-form-urlencoded', ...headers },
  });
}

/** What a bearer sign-in hands out. */
export interface BearerLogin {
  readonly accessToken: string;
  readonly refreshToken: string;
  readonly sessionId: string;
  readonly userId: string;
  readonly response: TestResponse;
}

/** Signs in with the bearer carrier (no browser signal, like a mobile app or CLI). */
export async function bearerLogin(server: TestServer, email: string, password = PASSWORD): Promise<BearerLogin> {
  const response = await send(server, 'POST', '/auth/login', { json: { email, password, carrier: 'bearer' } });
  if (response.status !== 200) throw new Error(`bearer login failed: ${response.status} ${response.text}`);
  return {
    accessToken: response.body.access_token as string,
    refreshToken: response.body.refresh_token as string,
    sessionId: response.body.session.id as string,
    userId: response.body.user.id as string,
    response,
  };
}

/** Registers a fresh user and signs in with the bearer carrier. */
export async function newBearerUser(server: TestServer, tag = 'bearer'): Promise<BearerLogin & { email: string }> {
  const email = uniqueEmail(tag);
  await register(server, email);
  return { ...(await bearerLogin(server, email)), email };
}

/** What a hybrid sign-in hands out. */
export interface HybridLogin {
  readonly accessToken: string;
  readonly refreshToken: string;
  readonly accessLine: string;
  readonly refreshLine: string;
  readonly csrfToken: string;
  readonly sessionId: string;
  readonly userId: string;
  readonly response: TestResponse;
}

/** The Set-Cookie line for cookie `name` in a response, or undefined. */
export function setCookieLine(response: TestResponse, name: string): string | undefined {
  return response.cookies.find((line) => line.startsWith(`${name}=`));
}

/** The value of a Set-Cookie line. */
export function cookieValue(line: string): string {
  const pair = cookiePair(line);
  return pair.slice(pair.indexOf('=') + 1);
}

/** Signs in with the hybrid carrier from a same-origin browser. */
export async function hybridLogin(server: TestServer, email: string, password = PASSWORD): Promise<HybridLogin> {
  const response = await send(server, 'POST', '/auth/login', {
    json: { email, password, carrier: 'hybrid' },
    headers: { 'sec-fetch-site': 'same-origin' },
  });
  if (response.status !== 200) throw new Error(`hybrid login failed: ${response.status} ${response.text}`);
  const { access, refresh } = server.tessera.cookieNames;
  const accessLine = setCookieLine(response, access);
  const refreshLine = setCookieLine(response, refresh);
  if (!accessLine || !refreshLine) throw new Error('hybrid login set no token cookies');
  return {
    accessToken: cookieValue(accessLine),
    refreshToken: cookieValue(refreshLine),
    accessLine,
    refreshLine,
    csrfToken: response.body.csrfToken as string,
    sessionId: response.body.session.id as string,
    userId: response.body.user.id as string,
    response,
  };
}

/** Registers a fresh user and signs in with the hybrid carrier. */
export async function newHybridUser(server: TestServer, tag = 'hybrid'): Promise<HybridLogin & { email: string }> {
  const email = uniqueEmail(tag);
  await register(server, email);
  return { ...(await hybridLogin(server, email)), email };
}

/** `Cookie:` with the hybrid access cookie. */
export function accessCookie(server: TestServer, token: string): string {
  return `${server.tessera.cookieNames.access}=${token}`;
}

/** `Cookie:` with the hybrid refresh cookie. */
export function refreshCookie(server: TestServer, token: string): string {
  return `${server.tessera.cookieNames.refresh}=${token}`;
}

/** POST /auth/refresh the bearer way (JSON body). */
export function refreshBearer(server: TestServer, refreshToken: string): Promise<TestResponse> {
  return send(server, 'POST', '/auth/refresh', { json: { refresh_token: refreshToken } });
}

/** POST /auth/refresh the hybrid way (refresh cookie, no body) with the given extra headers. */
export function refreshHybrid(server: TestServer, refreshToken: string, headers: Record<string, string> = {}): Promise<TestResponse> {
  return send(server, 'POST', '/auth/refresh', { headers: { cookie: refreshCookie(server, refreshToken), ...headers } });
}

/** Decodes one JWS segment (0 header, 1 payload) as JSON without verifying anything. */
export function decodeJwtSegment(token: string, index: 0 | 1): Record<string, any> {
  const segment = token.split('.')[index];
  if (segment === undefined) throw new Error('not a compact JWS');
  return JSON.parse(Buffer.from(segment, 'base64url').toString('utf8')) as Record<string, any>;
}

/** Base64url of a JSON value (for hand-made tokens). */
export function b64json(value: unknown): string {
  return Buffer.from(JSON.stringify(value)).toString('base64url');
}

/** GET with a bearer token; returns the status and code (for quick 401 checks). */
export async function statusWithBearer(server: TestServer, path: string, token: string): Promise<{ status: number; code: unknown }> {
  const response = await send(server, 'GET', path, { headers: bearer(token) });
  return { status: response.status, code: typeof response.body === 'object' && response.body !== null ? response.body.code : undefined };
}

/** Waits (bounded, by polling real time) until `check` holds; for asynchronous pushes only. */
export async function pollUntil(check: () => boolean | Promise<boolean>, timeoutMs: number, intervalMs = 25): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await check()) return true;
    if (Date.now() >= deadline) return false;
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }
}
