import { randomBytes } from 'node:crypto';
import { expect } from 'vitest';

/**
 * A bounded concurrent request loop for failure tests: N workers send requests until a count
 * bound, a time bound or `stop()` — whichever comes first — and every answer is recorded with
 * its status, media type and problem `code`, so a test can judge each response by when it was
 * sent (before, during or after an outage). Plus the Tessera traffic the failure tests share:
 * signed-in clients of every carrier, a revoked and an unknown credential, and the rule every
 * answer must obey whatever the store is doing (fail closed: never a 200 for a dead credential,
 * never a 500).
 */

/** One request the loop sends. */
export interface LoadTarget {
  /** What the request stands for (`cookie`, `cookie-revoked`, …), kept in the sample. */
  readonly label: string;
  readonly method: string;
  readonly url: string;
  readonly headers?: Readonly<Record<string, string>>;
  readonly body?: string;
  /** Free text kept in the sample (e.g. which refresh generation was presented). */
  readonly note?: string;
  /** Sends this many identical copies at once (two tabs refreshing together); default 1. */
  readonly copies?: number;
  /** Sees every answer (JSON parsed when JSON), e.g. to carry a rotated refresh token forward. */
  readonly onResponse?: (sample: LoadSample, json: any) => void;
}

/** One answer (or its absence). */
export interface LoadSample {
  readonly label: string;
  readonly worker: number;
  /** `Date.now()` when the request was sent and when the answer (or the failure) arrived. */
  readonly startedAt: number;
  readonly endedAt: number;
  /** The HTTP status; 0 when no response arrived (connection refused or reset, timeout). */
  readonly status: number;
  readonly contentType: string;
  /** The problem document's `code` (or null). */
  readonly code: string | null;
  /** The user id of a `{user}` body (or null), to check a 200 answered for the right person. */
  readonly userId: string | null;
  /** Why no response arrived (network error name and message), else null. */
  readonly error: string | null;
  /** The target's note, if any. */
  readonly note?: string;
}

/** Options of `startLoad`. Both bounds are required: no loop here can run unbounded. */
export interface LoadOptions {
  readonly workers: number;
  /** Total requests (copies count one each) after which the loop ends by itself. */
  readonly maxRequests: number;
  /** Wall-clock time after which the loop ends by itself. */
  readonly maxDurationMs: number;
  /** The next request of `worker`, or null to idle for `pauseMs` (e.g. waiting for a token). */
  next(worker: number): LoadTarget | null;
  /** Per request; an answer later than this is recorded as status 0 (default 10 000 ms). */
  readonly requestTimeoutMs?: number;
  /** Pause between two requests of one worker (default 2 ms), so the server is loaded, not flooded. */
  readonly pauseMs?: number;
}

/** A running loop. */
export interface LoadRun {
  /** Every sample so far, in order of arrival. */
  readonly samples: readonly LoadSample[];
  /** Ends the loop early; resolves with the samples once every request in flight has settled. */
  stop(): Promise<readonly LoadSample[]>;
  /** Resolves like `stop()` when the loop ends by either bound. */
  readonly finished: Promise<readonly LoadSample[]>;
}

/** An answer read once. */
export interface SentResponse {
  readonly status: number;
  readonly contentType: string;
  readonly headers: Headers;
  readonly text: string;
  readonly json: any;
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** Sends one request to 127.0.0.1 and reads the body (JSON when the media type says so). */
export async function sendRequest(target: Pick<LoadTarget, 'method' | 'url' | 'headers' | 'body'>, timeoutMs = 10_000): Promise<SentResponse> {
  if (!target.url.startsWith('http://127.0.0.1:')) throw new Error(`Test traffic goes to 127.0.0.1 only, not ${target.url}.`);
  const response = await fetch(target.url, {
    method: target.method,
    headers: target.headers,
    body: target.body,
    redirect: 'manual',
    signal: AbortSignal.timeout(timeoutMs),
  });
  const text = await response.text();
  const contentType = response.headers.get('content-type') ?? '';
  let json: any = null;
  if (contentType.includes('json') && text.length > 0) {
    try {
      json = JSON.parse(text);
    } catch {
      json = null;
    }
  }
  return { status: response.status, contentType, headers: response.headers, text, json };
}

/** Starts the loop; it runs in the background until a bound or `stop()`. */
export function startLoad(options: LoadOptions): LoadRun {
  const samples: LoadSample[] = [];
  const deadline = Date.now() + options.maxDurationMs;
  const timeoutMs = options.requestTimeoutMs ?? 10_000;
  const pauseMs = options.pauseMs ?? 2;
  let issued = 0;
  let stopped = false;
  const more = (): boolean => !stopped && issued < options.maxRequests && Date.now() < deadline;

  const sendOne = async (worker: number, target: LoadTarget): Promise<void> => {
    const startedAt = Date.now();
    let sample: LoadSample;
    let json: any = null;
    try {
      const response = await sendRequest(target, timeoutMs);
      json = response.json;
      const code = typeof json?.code === 'string' ? json.code : null;
      const userId = typeof json?.user?.id === 'string' ? json.user.id : null;
      sample = { label: target.label, worker, startedAt, endedAt: Date.now(), status: response.status, contentType: response.contentType, code, userId, error: null, note: target.note };
    } catch (error) {
      const e = error as Error & { cause?: { code?: string } };
      const reason = `${e.name}: ${e.message}${e.cause?.code ? ` (${e.cause.code})` : ''}`;
      sample = { label: target.label, worker, startedAt, endedAt: Date.now(), status: 0, contentType: '', code: null, userId: null, error: reason, note: target.note };
    }
    samples.push(sample);
    target.onResponse?.(sample, json);
  };

  const runWorker = async (worker: number): Promise<void> => {
    while (more()) {
      const target = options.next(worker);
      if (target === null) {
        await sleep(Math.max(pauseMs, 1));
        continue;
      }
      const copies = Math.max(1, Math.min(target.copies ?? 1, options.maxRequests - issued));
      issued += copies;
      await Promise.all(Array.from({ length: copies }, () => sendOne(worker, target)));
      if (pauseMs > 0) await sleep(pauseMs);
    }
  };

  const finished = Promise.all(Array.from({ length: options.workers }, (_, worker) => runWorker(worker))).then(() => samples);
  return {
    samples,
    finished,
    stop() {
      stopped = true;
      return finished;
    },
  };
}

/** `label status code` → count, for a console summary and for failure messages. */
export function summarizeSamples(samples: readonly LoadSample[]): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const s of samples) {
    const key = `${s.label} ${s.status}${s.code ? ` ${s.code}` : ''}${s.error ? ` ${s.error}` : ''}`;
    counts[key] = (counts[key] ?? 0) + 1;
  }
  return Object.fromEntries(Object.entries(counts).sort(([a], [b]) => (a < b ? -1 : 1)));
}

/** True for `application/problem+json` (with or without parameters). */
export function isProblemJson(contentType: string): boolean {
  return /^application\/problem\+json\b/i.test(contentType);
}

// ---------------------------------------------------------------------------------------------
// Tessera traffic shared by the failure tests.

/** The password of every test user. */
export const TEST_PASSWORD = 'correct horse battery staple';

/** A signed-in cookie client. */
export interface CookieClient {
  readonly userId: string;
  readonly sessionId: string;
  /** `name=value` for the Cookie header. */
  readonly cookie: string;
  readonly csrfToken: string;
}

/** A signed-in bearer client. */
export interface BearerClient {
  readonly userId: string;
  readonly sessionId: string;
  readonly accessToken: string;
  readonly refreshToken: string;
}

const JSON_HEADERS = { 'content-type': 'application/json' };

/** Registers a user; returns its id. */
export async function registerUser(baseUrl: string, email: string): Promise<string> {
  const response = await sendRequest({ method: 'POST', url: `${baseUrl}/auth/register`, headers: JSON_HEADERS, body: JSON.stringify({ email, password: TEST_PASSWORD }) });
  if (response.status !== 201) throw new Error(`register ${email}: ${response.status} ${response.text}`);
  return response.json.user.id as string;
}

/** Signs in with the cookie carrier. */
export async function signInWithCookie(baseUrl: string, email: string): Promise<CookieClient> {
  const response = await sendRequest({ method: 'POST', url: `${baseUrl}/auth/login`, headers: JSON_HEADERS, body: JSON.stringify({ email, password: TEST_PASSWORD }) });
  if (response.status !== 200) throw new Error(`cookie login ${email}: ${response.status} ${response.text}`);
  const setCookie = response.headers.getSetCookie().find((line) => /^(__Host-)?tessera_session=/.test(line));
  if (setCookie === undefined) throw new Error('The login set no session cookie.');
  return { userId: response.json.user.id, sessionId: response.json.session.id, cookie: setCookie.split(';')[0] as string, csrfToken: response.json.csrfToken };
}

/** Signs in with the bearer carrier. */
export async function signInWithBearer(baseUrl: string, email: string): Promise<BearerClient> {
  const response = await sendRequest({ method: 'POST', url: `${baseUrl}/auth/login`, headers: JSON_HEADERS, body: JSON.stringify({ email, password: TEST_PASSWORD, carrier: 'bearer' }) });
  if (response.status !== 200) throw new Error(`bearer login ${email}: ${response.status} ${response.text}`);
  const { json } = response;
  return { userId: json.user.id, sessionId: json.session.id, accessToken: json.access_token, refreshToken: json.refresh_token };
}

/** A well-formed session cookie no server ever issued (26-character id, 43-character secret). */
export function unknownSessionCookie(): string {
  return `tessera_session=${randomBytes(19).toString('base64url')}.${randomBytes(32).toString('base64url')}`;
}

/** The credentials the traffic mixes. */
export interface TrafficFixtures {
  readonly baseUrl: string;
  readonly cookie: CookieClient;
  /** Signed out before the load: its cookie must never be accepted again. */
  readonly revokedCookie: CookieClient;
  readonly unknownCookie: string;
  readonly bearer: BearerClient;
  /** Signed out before the load: its (unexpired) access token must never be accepted again. */
  readonly revokedBearer: BearerClient;
  /** Refreshed in a chain by the load; its latest refresh token lives here. */
  readonly refresher: { readonly userId: string; refreshToken: string };
}

/** Registers users and signs them in with every carrier; revokes the two that must stay dead. */
export async function createTrafficFixtures(baseUrl: string): Promise<TrafficFixtures> {
  const tag = randomBytes(4).toString('hex');
  const emails = ['alice', 'bob', 'carol'].map((name) => `${name}-${tag}@example.com`);
  for (const email of emails) await registerUser(baseUrl, email);
  const [alice, bob, carol] = emails as [string, string, string];
  const cookie = await signInWithCookie(baseUrl, alice);
  const revokedCookie = await signInWithCookie(baseUrl, bob);
  const bearer = await signInWithBearer(baseUrl, alice);
  const revokedBearer = await signInWithBearer(baseUrl, bob);
  const refresher = await signInWithBearer(baseUrl, carol);

  const sameOrigin = { 'sec-fetch-site': 'same-origin', origin: baseUrl };
  const loggedOut = await sendRequest({ method: 'POST', url: `${baseUrl}/auth/logout`, headers: { ...sameOrigin, cookie: revokedCookie.cookie, 'x-csrf-token': revokedCookie.csrfToken } });
  if (loggedOut.status !== 204) throw new Error(`cookie logout: ${loggedOut.status} ${loggedOut.text}`);
  const bearerOut = await sendRequest({ method: 'POST', url: `${baseUrl}/auth/logout`, headers: { authorization: `Bearer ${revokedBearer.accessToken}` } });
  if (bearerOut.status !== 204) throw new Error(`bearer logout: ${bearerOut.status} ${bearerOut.text}`);
  return {
    baseUrl,
    cookie,
    revokedCookie,
    unknownCookie: unknownSessionCookie(),
    bearer,
    revokedBearer,
    refresher: { userId: refresher.userId, refreshToken: refresher.refreshToken },
  };
}

/** Labels whose credential is valid: a 200 is right, and so is a 503 while the store is down. */
export const VALID_LABELS: ReadonlySet<string> = new Set(['cookie', 'bearer', 'refresh']);

/**
 * The traffic mix as a `next` function: who-am-I with the valid, revoked and unknown cookies,
 * the valid and revoked bearer tokens, and a refresh chain (one refresh in flight at a time, so
 * the chain itself never presents a token two generations old).
 */
export function createTraffic(fixtures: TrafficFixtures): (worker: number) => LoadTarget | null {
  const { baseUrl } = fixtures;
  const session = `${baseUrl}/auth/session`;
  const kinds = ['cookie', 'cookie-revoked', 'cookie-unknown', 'bearer', 'bearer-revoked', 'refresh'] as const;
  let turn = 0;
  let refreshing = false;
  return (): LoadTarget => {
    const kind = kinds[turn++ % kinds.length] as (typeof kinds)[number];
    switch (kind) {
      case 'cookie':
        return { label: kind, method: 'GET', url: session, headers: { cookie: fixtures.cookie.cookie } };
      case 'cookie-revoked':
        return { label: kind, method: 'GET', url: session, headers: { cookie: fixtures.revokedCookie.cookie } };
      case 'cookie-unknown':
        return { label: kind, method: 'GET', url: session, headers: { cookie: fixtures.unknownCookie } };
      case 'bearer':
        return { label: kind, method: 'GET', url: session, headers: { authorization: `Bearer ${fixtures.bearer.accessToken}` } };
      case 'bearer-revoked':
        return { label: kind, method: 'GET', url: session, headers: { authorization: `Bearer ${fixtures.revokedBearer.accessToken}` } };
      case 'refresh': {
        if (refreshing) return { label: 'cookie', method: 'GET', url: session, headers: { cookie: fixtures.cookie.cookie } };
        refreshing = true;
        return {
          label: kind,
          method: 'POST',
          url: `${baseUrl}/auth/refresh`,
          headers: JSON_HEADERS,
          body: JSON.stringify({ refresh_token: fixtures.refresher.refreshToken }),
          note: `generation ${fixtures.refresher.refreshToken.split('.')[1]}`,
          onResponse: (sample, json) => {
            refreshing = false;
            if (sample.status === 200 && typeof json?.refresh_token === 'string') fixtures.refresher.refreshToken = json.refresh_token;
          },
        };
      }
    }
  };
}

/** What each label may answer, and with which code, whatever the store is doing. */
const ALLOWED: Readonly<Record<string, Readonly<Record<number, string | null>>>> = {
  cookie: { 200: null, 503: 'store_unavailable' },
  bearer: { 200: null, 503: 'store_unavailable' },
  refresh: { 200: null, 503: 'store_unavailable' },
  'cookie-revoked': { 401: 'invalid_session', 503: 'store_unavailable' },
  'cookie-unknown': { 401: 'invalid_session', 503: 'store_unavailable' },
  'bearer-revoked': { 401: 'token_revoked', 503: 'store_unavailable' },
};

/**
 * Every answer that breaks the fail-closed rule, as readable lines (empty when all is well):
 * a status the label may not get (a 200 for a dead credential, a 500, no answer at all), an
 * error that is not problem+json with the expected code, or a 200 for the wrong user.
 */
export function findWrongAnswers(samples: readonly LoadSample[], fixtures: TrafficFixtures): string[] {
  const expectedUser: Record<string, string> = { cookie: fixtures.cookie.userId, bearer: fixtures.bearer.userId };
  const wrong: string[] = [];
  for (const s of samples) {
    const allowed = ALLOWED[s.label];
    const what = `${s.label}${s.note ? ` (${s.note})` : ''} at ${new Date(s.startedAt).toISOString().slice(11, 23)} → ${s.status} ${s.code ?? ''} ${s.error ?? ''}`.trim();
    if (allowed === undefined || !(s.status in allowed)) {
      wrong.push(`${what}: status not allowed`);
      continue;
    }
    const code = allowed[s.status];
    if (s.status === 200) {
      const user = expectedUser[s.label];
      if (user !== undefined && s.userId !== user) wrong.push(`${what}: answered for user ${s.userId}`);
      continue;
    }
    if (!isProblemJson(s.contentType) || s.code !== code) wrong.push(`${what}: expected problem+json ${code}, got ${s.contentType}`);
  }
  return wrong;
}

/** Fails with the first wrong answers (the start of a failure is what explains it) and a summary. */
export function expectNoWrongAnswers(samples: readonly LoadSample[], fixtures: TrafficFixtures, context = ''): void {
  const wrong = findWrongAnswers(samples, fixtures);
  const message = `${wrong.length} wrong answers${context ? ` (${context})` : ''}; the first:\n  ${wrong.slice(0, 12).join('\n  ')}\nall answers: ${JSON.stringify(summarizeSamples(samples), null, 2)}`;
  expect(wrong.length, message).toBe(0);
}

/** Samples sent after `from` and answered before `to`: entirely inside a window. */
export function samplesWithin(samples: readonly LoadSample[], from: number, to: number): LoadSample[] {
  return samples.filter((s) => s.startedAt >= from && s.endedAt <= to);
}

/** How to take a store away and bring it back, for `runOutageUnderLoad`. */
export interface OutagePlan {
  readonly fixtures: TrafficFixtures;
  /** Takes the store away (stop, cut, freeze); resolves once it is gone. */
  breakStore(): Promise<void>;
  /** Brings it back; resolves once the store itself answers again. */
  repairStore(): Promise<void>;
  /** How long the store stays away. */
  readonly downMs: number;
  /** Load before the outage (default 800 ms) and after recovery (default 1000 ms). */
  readonly warmUpMs?: number;
  readonly coolDownMs?: number;
  /** How long service may take to come back once the store is back (default 15 000 ms). */
  readonly recoveryTimeoutMs?: number;
  readonly workers?: number;
}

/** What happened, with the instants that separate the phases. */
export interface OutageReport {
  readonly samples: readonly LoadSample[];
  /** `breakStore` was called / resolved; `repairStore` was called / resolved. */
  readonly breakingAt: number;
  readonly brokenAt: number;
  readonly repairingAt: number;
  readonly repairedAt: number;
  /** When valid cookie and bearer requests and /readyz all answered 200 again (null: never). */
  readonly recoveredAt: number | null;
  /** /readyz and /healthz asked while the store was away. */
  readonly readyDuringOutage: SentResponse;
  readonly healthDuringOutage: SentResponse;
  /** Who-am-I with each cookie and the bearer token, asked while the store was away. */
  readonly probesDuringOutage: Readonly<Record<'cookie' | 'bearer' | 'cookie-revoked' | 'cookie-unknown', SentResponse>>;
  /** /healthz after recovery. */
  readonly healthAfter: SentResponse;
}

/**
 * Runs the traffic mix, takes the store away mid-load, brings it back, and polls (bounded)
 * until service recovers by itself; the load keeps running through every phase.
 */
export async function runOutageUnderLoad(plan: OutagePlan): Promise<OutageReport> {
  const { fixtures, downMs } = plan;
  const { baseUrl } = fixtures;
  const recoveryTimeoutMs = plan.recoveryTimeoutMs ?? 15_000;
  const warmUpMs = plan.warmUpMs ?? 800;
  const coolDownMs = plan.coolDownMs ?? 1_000;
  const load = startLoad({
    workers: plan.workers ?? 4,
    maxRequests: 200_000,
    maxDurationMs: warmUpMs + downMs + recoveryTimeoutMs + coolDownMs + 20_000,
    next: createTraffic(fixtures),
  });
  let broken = false;
  let repaired = false;
  try {
    await sleep(warmUpMs);
    const breakingAt = Date.now();
    broken = true;
    await plan.breakStore();
    const brokenAt = Date.now();
    await sleep(Math.min(300, downMs / 3));
    const session = `${baseUrl}/auth/session`;
    const [readyDuringOutage, healthDuringOutage, ...probes] = await Promise.all([
      sendRequest({ method: 'GET', url: `${baseUrl}/readyz` }),
      sendRequest({ method: 'GET', url: `${baseUrl}/healthz` }),
      sendRequest({ method: 'GET', url: session, headers: { cookie: fixtures.cookie.cookie } }),
      sendRequest({ method: 'GET', url: session, headers: { authorization: `Bearer ${fixtures.bearer.accessToken}` } }),
      sendRequest({ method: 'GET', url: session, headers: { cookie: fixtures.revokedCookie.cookie } }),
      sendRequest({ method: 'GET', url: session, headers: { cookie: fixtures.unknownCookie } }),
    ]);
    const [cookie, bearer, revoked, unknown] = probes as [SentResponse, SentResponse, SentResponse, SentResponse];
    const probesDuringOutage = { cookie, bearer, 'cookie-revoked': revoked, 'cookie-unknown': unknown };
    await sleep(Math.max(0, brokenAt + downMs - Date.now()));
    const repairingAt = Date.now();
    repaired = true;
    await plan.repairStore();
    const repairedAt = Date.now();
    const recoveredAt = await waitForService(fixtures, repairedAt + recoveryTimeoutMs);
    await sleep(coolDownMs);
    const healthAfter = await sendRequest({ method: 'GET', url: `${baseUrl}/healthz` });
    const samples = await load.stop();
    return { samples, breakingAt, brokenAt, repairingAt, repairedAt, recoveredAt, readyDuringOutage, healthDuringOutage, probesDuringOutage, healthAfter };
  } finally {
    // A failure mid-outage must not leave the store broken for the tests (and afterAll) that follow.
    if (broken && !repaired) await plan.repairStore().catch(() => undefined);
    await load.stop();
  }
}

/** Polls until a valid cookie, a valid bearer token and /readyz all get 200; the instant, or null at `deadline`. */
async function waitForService(fixtures: TrafficFixtures, deadline: number): Promise<number | null> {
  const { baseUrl } = fixtures;
  const ok = async (target: Pick<LoadTarget, 'method' | 'url' | 'headers'>): Promise<boolean> => {
    try {
      return (await sendRequest(target, 5_000)).status === 200;
    } catch {
      return false;
    }
  };
  for (let attempt = 0; attempt < 1_000 && Date.now() < deadline; attempt++) {
    const results = await Promise.all([
      ok({ method: 'GET', url: `${baseUrl}/auth/session`, headers: { cookie: fixtures.cookie.cookie } }),
      ok({ method: 'GET', url: `${baseUrl}/auth/session`, headers: { authorization: `Bearer ${fixtures.bearer.accessToken}` } }),
      ok({ method: 'GET', url: `${baseUrl}/readyz` }),
    ]);
    if (results.every(Boolean)) return Date.now();
    await sleep(50);
  }
  return null;
}

/**
 * The outage assertions both failure tests make: every answer fail-closed (never a 200 for a
 * dead credential, never a 500, never silence); every valid request sent and answered while the
 * store was away a 503 store_unavailable; /readyz 503 not_ready and /healthz 200 meanwhile;
 * service back by itself, and every valid request after that a 200. Returns the recovery time.
 */
export function expectFailClosedAndRecovered(report: OutageReport, fixtures: TrafficFixtures, name: string): number {
  const { samples } = report;
  const summary = summarizeSamples(samples);
  const at = (t: number): string => new Date(t).toISOString().slice(11, 23);
  const phases = `store broken ${at(report.brokenAt)}, repair began ${at(report.repairingAt)}, store back ${at(report.repairedAt)}`;
  expectNoWrongAnswers(samples, fixtures, phases);

  const validBefore = samples.filter((s) => VALID_LABELS.has(s.label) && s.endedAt < report.breakingAt);
  expect(validBefore.length, 'load before the outage').toBeGreaterThan(0);
  expect(validBefore.filter((s) => s.status !== 200), 'valid requests before the outage').toEqual([]);

  // Requests that need the store take up to its timeout to fail, so few fit wholly inside the
  // outage; the probes make sure each kind was asked at least once (repair waits for them).
  for (const [label, response] of Object.entries(report.probesDuringOutage)) {
    const expected = VALID_LABELS.has(label) ? [503, 'store_unavailable'] : response.status === 401 ? [401, 'invalid_session'] : [503, 'store_unavailable'];
    expect([label, response.status, response.json?.code, isProblemJson(response.contentType)]).toEqual([label, ...expected, true]);
  }
  const during = samplesWithin(samples, report.brokenAt, report.repairingAt);
  expect(during.length, 'load requests wholly inside the outage').toBeGreaterThan(0);
  const notRefused = during.filter((s) => VALID_LABELS.has(s.label) && !(s.status === 503 && s.code === 'store_unavailable'));
  expect(notRefused, 'valid requests while the store was away').toEqual([]);

  expect(report.readyDuringOutage.status, '/readyz during the outage').toBe(503);
  expect(isProblemJson(report.readyDuringOutage.contentType)).toBe(true);
  expect(report.readyDuringOutage.json?.code).toBe('not_ready');
  expect(report.healthDuringOutage.status, '/healthz during the outage').toBe(200);
  expect(report.healthAfter.status, '/healthz after recovery').toBe(200);

  expect(report.recoveredAt, `${name}: service did not recover within the bound`).not.toBeNull();
  const recoveredAt = report.recoveredAt as number;
  const after = samples.filter((s) => VALID_LABELS.has(s.label) && s.startedAt >= recoveredAt);
  expect(after.length, 'load after recovery').toBeGreaterThan(0);
  expect(after.filter((s) => s.status !== 200), 'valid requests after recovery').toEqual([]);

  const recoveryMs = recoveredAt - report.repairedAt;
  console.log(
    `[${name}] store away ${report.repairingAt - report.brokenAt} ms; service back ${recoveryMs} ms after the store answered ` +
      `(${recoveredAt - report.repairingAt} ms after repair began); ${samples.length} requests:`,
    summary,
  );
  return recoveryMs;
}
