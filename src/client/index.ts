import { type TabMessage, createVault, parseTabMessage } from './cross-tab.js';
import { type FetchLike, type RequestInitLike, type ResponseLike, browserGlobals } from './dom-types.js';
import { TesseraClientError, readJson, toClientError } from './errors.js';
import { defaultStorage, originOf, toHeaderRecord } from './util.js';
import type { ClientEvents, SessionInfo, SignOutReason, SignedIn, TesseraClient, TesseraClientOptions, User, DeviceSession } from './types.js';

/**
 * tessera/client — the browser SDK. No Node imports, no dependencies.
 *
 * Security choices, in short (docs/client.md has the long form):
 *  - the bearer access token lives in memory only; tabs hand it to each other over
 *    BroadcastChannel, never through storage;
 *  - credentials (Authorization, CSRF header, cookies) go only to relative URLs, `baseUrl`'s
 *    origin and `credentialOrigins`, so `client.fetch` cannot leak a token to a third party;
 *  - one refresh at a time across tabs (Web Locks): a refresh token is single-use, and a tab
 *    spending the one another tab just spent would be treated as theft (RFC 9700 §4.14.2);
 *  - sign-out in one tab signs out every tab (BroadcastChannel).
 */

export type * from './types.js';
export type * from './dom-types.js';
export { TesseraClientError, type ClientFieldError } from './errors.js';

const LOCK_NAME = 'tessera-refresh';
const CHANNEL_NAME = 'tessera';
const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);
const RELATIVE_BASE = 'http://relative.invalid';
/** How long a tab that found the tokens rotated waits for the rotating tab's message. */
const MESSAGE_WAIT_MS = 1000;

/** Creates a client; see `TesseraClientOptions` for the carrier and the cross-tab defaults. */
export function createTesseraClient(options: TesseraClientOptions): TesseraClient {
  const { carrier } = options;
  const g = browserGlobals();
  const base = (options.baseUrl ?? '').replace(/\/+$/, '');
  const key = options.storageKey ?? 'tessera';
  const skewMs = (options.refreshSkewSeconds ?? 30) * 1000;
  const now = options.now ?? Date.now;
  const rawFetch: FetchLike = options.fetch ?? ((input, init) => (g.fetch as FetchLike)(input, init));
  const vault = createVault(options.storage !== undefined ? options.storage : defaultStorage(), key);
  const locks = options.locks !== undefined ? options.locks : (g.navigator?.locks ?? null);
  const channel = options.channel !== undefined ? options.channel : g.BroadcastChannel ? new g.BroadcastChannel(CHANNEL_NAME) : null;
  const credentialOrigins = new Set([...(options.credentialOrigins ?? []), originOf(base), originOf(g.location?.origin ?? '')].filter(Boolean));

  let accessToken: string | null = null; // bearer only, and only ever in memory
  // Expiry of the access token (bearer, hybrid); 0 = unknown. A new hybrid tab takes it from
  // storage (its cookies are the browser's); a new bearer tab has no token until it refreshes.
  let expiresAt = carrier === 'hybrid' ? (vault.read().expiresAt ?? 0) : 0;
  let generation = 0; // bumps whenever this tab learns of new tokens or of a sign-out
  const waiters = new Set<() => void>();
  let signOuts = 0;
  let sessionId: string | null = null;
  let signedIn = false;
  let inFlight: Promise<boolean> | null = null;
  const listeners: { [E in keyof ClientEvents]: Set<(detail: ClientEvents[E]) => void> } = {
    'signed-in': new Set(),
    refreshed: new Set(),
    'signed-out': new Set(),
  };

  const emit = <E extends keyof ClientEvents>(event: E, detail: ClientEvents[E]): void => {
    for (const listener of listeners[event]) {
      try {
        listener(detail);
      } catch (error) {
        queueMicrotask(() => { throw error; }); // reported, but never breaks the client's own flow
      }
    }
  };
  const post = (message: TabMessage): void => {
    try {
      channel?.postMessage(message);
    } catch {
      // A closed channel: other tabs learn on their next request.
    }
  };
  const bump = (): void => {
    generation++;
    for (const wake of waiters) wake();
  };
  /** Resolves when this tab learns something new (a message), or after `ms`. */
  const nextChange = (ms: number): Promise<void> =>
    new Promise((resolve) => {
      const done = (): void => {
        clearTimeout(timer);
        waiters.delete(done);
        resolve();
      };
      const timer = setTimeout(done, ms);
      waiters.add(done);
    });
  const learnTokens = (token: string | null, expiry: number, id: string | null): void => {
    accessToken = carrier === 'bearer' ? token : null;
    expiresAt = expiry;
    if (id !== null) sessionId = id;
    signedIn = true;
    bump();
  };
  const clearLocal = (): void => {
    accessToken = null;
    expiresAt = 0;
    sessionId = null;
    signedIn = false;
    bump();
  };
  const endSession = (reason: SignOutReason): void => {
    clearLocal();
    signOuts++;
    vault.clear();
    post({ type: 'signed-out', key, reason });
    emit('signed-out', { reason, fromOtherTab: false });
  };

  const onMessage = (event: { readonly data: unknown }): void => {
    const message = parseTabMessage(event.data, key);
    if (!message) return;
    if (message.type === 'signed-out') {
      clearLocal();
      emit('signed-out', { reason: message.reason, fromOtherTab: true });
      return;
    }
    learnTokens(message.accessToken, message.expiresAt, message.sessionId);
    if (message.type === 'signed-in') emit('signed-in', { fromOtherTab: true });
    else emit('refreshed', { expiresAt: message.expiresAt, fromOtherTab: true });
  };
  channel?.addEventListener('message', onMessage);

  /** True while the access token has more than the skew left. */
  const fresh = (): boolean => (carrier !== 'bearer' || accessToken !== null) && expiresAt !== 0 && now() < expiresAt - skewMs;
  const needsRefresh = (): boolean =>
    carrier === 'bearer'
      ? accessToken === null ? vault.read().refreshToken !== undefined : !fresh()
      : carrier === 'hybrid' && expiresAt !== 0 && !fresh();

  const loadCsrfToken = async (): Promise<string | null> => {
    const response = await rawFetch(`${base}/auth/csrf`, { credentials: 'same-origin' });
    const token = response.ok ? (await readJson(response))?.csrfToken : null;
    if (typeof token !== 'string') return null;
    vault.write({ ...vault.read(), csrfToken: token });
    return token;
  };

  const refreshOnce = async (seen: number, seenExpiry: number | undefined): Promise<boolean> => {
    // While this tab waited for the lock another tab may have refreshed or signed out. Storage
    // tells at once (the shared expiry moved); the new access token comes in that tab's message,
    // which may still be in flight, so wait for it briefly instead of spending the refresh token
    // again. Then use what we learnt.
    if (generation === seen && vault.read().expiresAt !== seenExpiry) await nextChange(MESSAGE_WAIT_MS);
    if (generation !== seen) {
      if (!signedIn) return false;
      if (fresh()) return true;
    }
    const shared = vault.read();
    let response: ResponseLike;
    if (carrier === 'bearer') {
      // Always the token in shared storage, read inside the lock: another tab may have rotated it.
      if (shared.refreshToken === undefined) return false;
      response = await rawFetch(`${base}/auth/refresh`, {
        method: 'POST',
        credentials: 'omit',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ refresh_token: shared.refreshToken }),
      });
    } else {
      // Hybrid: the refresh cookie is ambient, so the server wants the CSRF token.
      const csrf = shared.csrfToken ?? (await loadCsrfToken());
      response = await rawFetch(`${base}/auth/refresh`, { method: 'POST', credentials: 'same-origin', headers: csrf ? { 'x-csrf-token': csrf } : {} });
    }
    // 401 means the session is over (expired, revoked, or reuse detected): sign every tab out.
    if (response.status === 401) {
      endSession('expired');
      return false;
    }
    const body = response.ok ? await readJson(response) : null;
    if (!body || typeof body.expires_in !== 'number') return false;
    const expiry = now() + body.expires_in * 1000;
    if (carrier === 'bearer') vault.write({ refreshToken: String(body.refresh_token), expiresAt: expiry });
    else vault.write({ csrfToken: typeof body.csrfToken === 'string' ? body.csrfToken : shared.csrfToken, expiresAt: expiry });
    learnTokens(typeof body.access_token === 'string' ? body.access_token : null, expiry, null);
    post({ type: 'refreshed', key, accessToken, expiresAt, sessionId });
    emit('refreshed', { expiresAt, fromOtherTab: false });
    return true;
  };

  /** Single-flight within the tab (one promise) and across tabs (one Web Lock). */
  const refresh = (seen = generation): Promise<boolean> => {
    if (carrier === 'cookie') return Promise.resolve(false);
    inFlight ??= (async () => {
      const seenExpiry = vault.read().expiresAt;
      try {
        return await (locks ? locks.request(LOCK_NAME, () => refreshOnce(seen, seenExpiry)) : refreshOnce(seen, seenExpiry));
      } finally {
        inFlight = null;
      }
    })();
    return inFlight;
  };

  const ownUrl = (url: string): boolean => {
    // Resolved against a placeholder, so `//evil.example` and `/\evil.example` count as foreign.
    const origin = originOf(url, RELATIVE_BASE);
    return origin === RELATIVE_BASE || credentialOrigins.has(origin);
  };

  const send = async (input: string | { readonly href: string }, init: RequestInitLike = {}, retried = false): Promise<ResponseLike> => {
    const url = typeof input === 'string' ? input : input.href;
    if (!ownUrl(url)) return rawFetch(url, init);
    const method = (init.method ?? 'GET').toUpperCase();
    if (!retried && needsRefresh()) await refresh().catch(() => false);
    const headers = toHeaderRecord(init.headers);
    const sent = generation;
    if (carrier === 'bearer') {
      if (accessToken !== null) headers.authorization ??= `Bearer ${accessToken}`;
    } else if (!SAFE_METHODS.has(method) && headers['x-csrf-token'] === undefined) {
      const csrf = vault.read().csrfToken ?? (await loadCsrfToken());
      if (csrf !== null) headers['x-csrf-token'] = csrf;
    }
    const credentials = init.credentials ?? (carrier === 'bearer' ? 'omit' : 'same-origin');
    const response = await rawFetch(url, { ...init, method, headers, credentials });
    if (!retried) {
      // One refresh and one retry, never a loop. If another tab refreshed meanwhile, just retry.
      if (response.status === 401 && carrier !== 'cookie' && (generation !== sent || (await refresh(sent).catch(() => false)))) {
        return send(input, init, true);
      }
      // A stale CSRF token (the session was replaced, e.g. a password change in another tab).
      if (response.status === 403 && carrier !== 'bearer' && (await readJson(response.clone()))?.code === 'csrf_rejected') {
        vault.write({ ...vault.read(), csrfToken: undefined });
        return send(input, init, true);
      }
    }
    if (response.status === 401 && carrier === 'cookie' && signedIn) endSession('expired');
    return response;
  };

  const json = (method: string, body: unknown): RequestInitLike => ({ method, headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
  const expectOk = async (response: ResponseLike): Promise<Record<string, unknown> | null> => {
    if (!response.ok) throw await toClientError(response);
    return readJson(response);
  };
  const signIn = (body: Record<string, unknown> | null): SignedIn => {
    const user = body?.user as User | undefined;
    const session = body?.session as SessionInfo | undefined;
    if (!body || !user || !session) throw new TesseraClientError(502, 'invalid_response', 'Unexpected response from the server.');
    const expiry = typeof body.expires_in === 'number' ? now() + body.expires_in * 1000 : 0;
    const csrfToken = typeof body.csrfToken === 'string' ? body.csrfToken : undefined;
    vault.write(carrier === 'bearer' ? { refreshToken: String(body.refresh_token), expiresAt: expiry } : { csrfToken, expiresAt: expiry });
    learnTokens(typeof body.access_token === 'string' ? body.access_token : null, expiry, session.id);
    post({ type: 'signed-in', key, accessToken, expiresAt, sessionId });
    emit('signed-in', { fromOtherTab: false });
    return { user, session };
  };
  const endWith = async (path: string, reason: SignOutReason): Promise<void> => {
    const before = signOuts;
    try {
      const response = await send(base + path, { method: 'POST' });
      if (!response.ok && response.status !== 401) throw await toClientError(response);
    } finally {
      // Signed out locally and in every tab even when the server could not be told.
      if (signOuts === before) endSession(reason);
    }
  };
  const anonymous = { credentials: carrier === 'bearer' ? 'omit' : 'same-origin' } as const;

  return {
    carrier,
    async register(email, password) {
      const body = await expectOk(await rawFetch(`${base}/auth/register`, { ...json('POST', { email, password }), ...anonymous }));
      return body?.user as User;
    },
    async login(email, password) {
      return signIn(await expectOk(await rawFetch(`${base}/auth/login`, { ...json('POST', { email, password, carrier }), ...anonymous })));
    },
    logout: () => endWith('/auth/logout', 'logout'),
    logoutEverywhere: () => endWith('/auth/logout-all', 'logout-all'),
    async session() {
      if (carrier === 'bearer' && accessToken === null && vault.read().refreshToken === undefined) return null;
      const response = await send(`${base}/auth/session`);
      if (response.status === 401) return null;
      const body = await expectOk(response);
      const current = body as unknown as SignedIn;
      sessionId = current.session.id;
      signedIn = true;
      return current;
    },
    async sessions() {
      const body = await expectOk(await send(`${base}/auth/sessions`));
      return (body?.sessions ?? []) as DeviceSession[];
    },
    async revokeSession(id) {
      await expectOk(await send(`${base}/auth/sessions/${encodeURIComponent(id)}`, { method: 'DELETE' }));
      if (id === sessionId) endSession('revoked');
    },
    async reauthenticate(password) {
      await expectOk(await send(`${base}/auth/reauthenticate`, json('POST', { password })));
    },
    async changePassword(currentPassword, newPassword) {
      return signIn(await expectOk(await send(`${base}/auth/password`, json('POST', { currentPassword, newPassword }))));
    },
    fetch: (input, init) => send(input, init),
    refresh: () => refresh(),
    on(event, listener) {
      listeners[event].add(listener);
      return () => void listeners[event].delete(listener);
    },
    close() {
      channel?.removeEventListener('message', onMessage);
      channel?.close();
    },
  };
}
