import type { BroadcastChannelLike, LockManagerLike, RequestInitLike, ResponseLike, StorageLike } from '../../src/client/dom-types.js';
import type { Carrier } from '../../src/client/types.js';

/**
 * Fakes of the browser pieces the SDK uses: a tiny in-memory Tessera API (with refresh-token
 * rotation and reuse detection, so a test fails if two tabs ever spend the same refresh token),
 * BroadcastChannel, Web Locks and Storage. Every tab of a test shares one Browser.
 */

/** A request the fake API received. */
export interface Call {
  readonly method: string;
  readonly path: string;
  readonly headers: Record<string, string>;
  readonly body: unknown;
  readonly credentials: string | undefined;
}

/** A Response with the parts the SDK reads. */
export function fakeResponse(status: number, body?: unknown, headers: Record<string, string> = {}): ResponseLike {
  const text = body === undefined ? '' : JSON.stringify(body);
  const response: ResponseLike = {
    ok: status >= 200 && status < 300,
    status,
    headers: { get: (name) => headers[name.toLowerCase()] ?? null },
    json: async () => JSON.parse(text),
    clone: () => response,
  };
  return response;
}

const problem = (status: number, code: string): ResponseLike =>
  fakeResponse(status, { type: `urn:tessera:error:${code}`, title: 'Error', status, code, detail: code }, { 'content-type': 'application/problem+json' });

/** A fake clock in milliseconds. */
export interface FakeClock {
  now(): number;
  advance(ms: number): void;
}

/** Creates a clock at a fixed instant. */
export function createClock(start = 1_700_000_000_000): FakeClock {
  let time = start;
  return { now: () => time, advance: (ms) => void (time += ms) };
}

/** The fake Tessera API: one user, sessions with rotating refresh tokens. */
export interface FakeApi {
  readonly calls: Call[];
  /** Refresh tokens presented, in order (a repeat of a rotated one is reuse). */
  readonly presentedRefreshTokens: string[];
  reuseDetected: boolean;
  /** Ends the session server-side (revocation from elsewhere). */
  revoke(): void;
  /** Makes the current access token fail (its `jti` revoked) while the session lives on. */
  rejectAccessToken(): void;
  /** Changes the CSRF token (the session was replaced, e.g. a password change). */
  rotateCsrf(): void;
  fetch(input: string, init?: RequestInitLike): Promise<ResponseLike>;
  /** Milliseconds each refresh takes (so concurrent ones overlap). */
  refreshDelayMs: number;
}

/** Creates the fake API. Access tokens live 300 s; `carrier` decides what login returns. */
export function createFakeApi(carrier: Carrier, clock: FakeClock): FakeApi {
  let alive = false;
  let generation = 0;
  let accessSerial = 0;
  let accessToken = '';
  let accessExpiry = 0;
  let csrf = 'csrf-1';
  const user = { id: 'u1', email: 'a@example.com', createdAt: '2024-01-01T00:00:00.000Z' };
  const session = { id: 's1', carrier, createdAt: '', lastSeenAt: '', expiresAt: '', idleExpiresAt: '' };
  const issue = (): { access_token: string; refresh_token: string; expires_in: number } => {
    accessSerial++;
    accessToken = `at-${accessSerial}`;
    accessExpiry = clock.now() + 300_000;
    return { access_token: accessToken, refresh_token: `rt-${generation}`, expires_in: 300 };
  };
  const authorized = (headers: Record<string, string>): boolean => {
    if (!alive) return false;
    if (carrier === 'cookie') return true;
    const presented = carrier === 'bearer' ? headers.authorization : `Bearer ${accessToken}`; // hybrid: the cookie jar
    return presented === `Bearer ${accessToken}` && clock.now() < accessExpiry;
  };
  const api: FakeApi = {
    calls: [],
    presentedRefreshTokens: [],
    reuseDetected: false,
    refreshDelayMs: 5,
    revoke: () => void (alive = false),
    rejectAccessToken: () => void (accessToken = 'rejected'),
    rotateCsrf: () => void (csrf = `${csrf}x`),
    async fetch(input, init = {}) {
      const url = new URL(input, 'https://app.example');
      const method = init.method ?? 'GET';
      const headers = { ...(init.headers as Record<string, string> | undefined) };
      const body: unknown = typeof init.body === 'string' ? JSON.parse(init.body) : undefined;
      api.calls.push({ method, path: url.pathname, headers, body, credentials: init.credentials });
      await Promise.resolve();
      const unsafe = !['GET', 'HEAD', 'OPTIONS'].includes(method);
      if (carrier !== 'bearer' && unsafe && !['/auth/login', '/auth/register'].includes(url.pathname) && headers['x-csrf-token'] !== csrf) return problem(403, 'csrf_rejected');
      switch (`${method} ${url.pathname}`) {
        case 'POST /auth/login': {
          alive = true;
          generation = 1;
          const base = { user, session };
          if (carrier === 'bearer') return fakeResponse(200, { ...issue(), token_type: 'Bearer', ...base });
          if (carrier === 'hybrid') return fakeResponse(200, { ...base, csrfToken: csrf, expires_in: issue().expires_in });
          return fakeResponse(200, { ...base, csrfToken: csrf });
        }
        case 'POST /auth/refresh': {
          await new Promise((resolve) => setTimeout(resolve, api.refreshDelayMs));
          if (!alive) return problem(401, 'refresh_token_invalid');
          if (carrier === 'bearer') {
            const token = (body as { refresh_token: string }).refresh_token;
            api.presentedRefreshTokens.push(token);
            if (token !== `rt-${generation}`) {
              api.reuseDetected = true;
              alive = false;
              return problem(401, 'refresh_token_reused');
            }
          }
          generation++;
          const pair = issue();
          return carrier === 'bearer' ? fakeResponse(200, { ...pair, token_type: 'Bearer' }) : fakeResponse(200, { expires_in: pair.expires_in, csrfToken: csrf });
        }
        case 'GET /auth/csrf':
          return alive && carrier !== 'bearer' ? fakeResponse(200, { csrfToken: csrf }) : problem(401, 'unauthenticated');
        case 'POST /auth/logout':
        case 'POST /auth/logout-all':
          if (!authorized(headers)) return problem(401, 'unauthenticated');
          alive = false;
          return fakeResponse(204);
        case 'DELETE /auth/sessions/s1':
          if (!authorized(headers)) return problem(401, 'unauthenticated');
          alive = false;
          return fakeResponse(204);
        case 'DELETE /auth/sessions/s2':
          return problem(403, 'reauthentication_required');
        case 'POST /auth/register':
          return problem(400, 'validation_failed');
        default:
          return authorized(headers) ? fakeResponse(200, { user, session, path: url.pathname }) : problem(401, 'unauthenticated');
      }
    },
  };
  return api;
}

/** Storage over a Map. */
export function createStorage(): StorageLike & { readonly map: Map<string, string> } {
  const map = new Map<string, string>();
  return {
    map,
    getItem: (key) => map.get(key) ?? null,
    setItem: (key, value) => void map.set(key, value),
    removeItem: (key) => void map.delete(key),
  };
}

/** An exclusive lock per name, granted in request order (like Web Locks). */
export function createLocks(): LockManagerLike & { grants: number } {
  const tails = new Map<string, Promise<unknown>>();
  const locks = {
    grants: 0,
    request<T>(name: string, callback: () => Promise<T>): Promise<T> {
      const run = (tails.get(name) ?? Promise.resolve()).then(() => {
        locks.grants++;
        return callback();
      });
      tails.set(name, run.catch(() => undefined));
      return run;
    },
  };
  return locks;
}

type Listener = (event: { readonly data: unknown }) => void;

/** BroadcastChannels of one origin: a message reaches every other member, asynchronously. */
export function createChannelHub(delayMs = 0): { create(): BroadcastChannelLike } {
  const members = new Map<BroadcastChannelLike, Set<Listener>>();
  return {
    create() {
      const listeners = new Set<Listener>();
      const channel: BroadcastChannelLike = {
        postMessage(message) {
          const copy = structuredClone(message);
          for (const [member, theirs] of members) {
            if (member !== channel) setTimeout(() => theirs.forEach((listener) => listener({ data: copy })), delayMs);
          }
        },
        addEventListener: (_type, listener) => void listeners.add(listener),
        removeEventListener: (_type, listener) => void listeners.delete(listener),
        close: () => void members.delete(channel),
      };
      members.set(channel, listeners);
      return channel;
    },
  };
}

/** Lets queued timers and messages run. */
export function settle(ms = 20): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
