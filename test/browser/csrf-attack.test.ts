import type { BrowserContext, Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { send } from '../helpers/http.js';
import type { TestServer } from '../helpers/server.js';
import {
  type AttackerSite,
  type RecordedRequest,
  type RequestRecorder,
  PASSWORD,
  WAIT_MS,
  browserCookie,
  createBrowserHandle,
  escapeHtml,
  recordRequests,
  startAttackerSite,
  startBrowserServer,
  uniqueEmail,
  waitUntil,
} from './support.js';

/**
 * X-10: a page on another site, opened by the signed-in victim's own Chromium (same context,
 * so the victim's cookies are in the jar), tries to act for the victim with auto-submitting
 * forms, `fetch` (no-cors, text/plain, DELETE) and `<img>`. Tessera runs on
 * http://127.0.0.1:<port>; the attacker on http://localhost:<other port> is another site, so
 * SameSite=Lax keeps the cookie off every one of those requests. The attacker on
 * http://127.0.0.1:<other port> is the same site (cookies ignore ports) but another origin: the
 * cookie is sent, and the CSRF rule (session-bound token + same-origin signal) refuses it.
 * After every attack nothing has changed: the session works, the session list and the
 * password are the same, and the browser still holds the same cookie.
 */

const browser = createBrowserHandle();
let server: TestServer;
let attacker: AttackerSite;
let recorder: RequestRecorder;
const contexts: BrowserContext[] = [];

beforeAll(async () => {
  server = await startBrowserServer();
  attacker = await startAttackerSite();
  recorder = recordRequests(server.app.server);
});
afterEach(async () => {
  await Promise.all(contexts.splice(0).map((context) => context.close().catch(() => undefined)));
});
afterAll(async () => {
  recorder?.stop();
  await browser.close();
  await attacker?.close();
  await server?.close();
});

const NEW_PASSWORD = 'the attacker chose this one';

interface Victim {
  readonly context: BrowserContext;
  /** The victim's tab on Tessera. */
  readonly tab: Page;
  /** The tab that visits the attacker's page. */
  readonly attackTab: Page;
  readonly email: string;
  readonly userId: string;
  /** The session of the victim's browser, and of another device of theirs. */
  readonly ownSessionId: string;
  readonly otherSessionId: string;
  readonly baseline: { readonly sessionIds: string[]; readonly passwordHash: string; readonly sessionsValidAfter: number; readonly cookie: string };
}

const sessionIdsOf = async (userId: string): Promise<string[]> => (await server.tessera.sessions.listUserSessions(userId)).map((s) => s.id).sort();
const userOf = async (userId: string) => {
  const user = await server.tessera.stores.users.findUserById(userId);
  if (!user) throw new Error('victim vanished');
  return user;
};

/** A victim signed in through /login in a fresh context, with a second device (bearer) too. */
async function signedInVictim(): Promise<Victim> {
  const email = uniqueEmail('victim');
  const registered = await send(server, 'POST', '/auth/register', { json: { email, password: PASSWORD } });
  expect(registered.status).toBe(201);
  const userId: string = registered.body.user.id;
  const phone = await send(server, 'POST', '/auth/login', { json: { email, password: PASSWORD, carrier: 'bearer' } });
  expect(phone.status).toBe(200);

  const context = await (await browser.get()).newContext();
  contexts.push(context);
  const tab = await context.newPage();
  await tab.goto(`${server.origin}/login`);
  await tab.getByLabel('E-mail address').fill(email);
  await tab.getByLabel('Password').fill(PASSWORD);
  await tab.getByRole('button', { name: 'Sign in' }).click();
  await tab.waitForURL(`${server.origin}/account?done=signed-in`, { timeout: WAIT_MS });

  const cookie = await browserCookie(context, server.origin, server.tessera.cookieNames.session);
  if (!cookie) throw new Error('the victim has no session cookie');
  const ownSessionId = cookie.value.slice(0, cookie.value.indexOf('.'));
  const sessionIds = await sessionIdsOf(userId);
  expect(sessionIds).toHaveLength(2);
  const otherSessionId = sessionIds.find((id) => id !== ownSessionId)!;
  const user = await userOf(userId);
  return {
    context,
    tab,
    attackTab: await context.newPage(),
    email,
    userId,
    ownSessionId,
    otherSessionId,
    baseline: { sessionIds, passwordHash: user.passwordHash, sessionsValidAfter: user.sessionsValidAfter, cookie: cookie.value },
  };
}

/** Nothing changed for the victim: same sessions, password and cookie; the browser is still signed in. */
async function expectUnchanged(victim: Victim, attack: string): Promise<void> {
  expect(await sessionIdsOf(victim.userId), attack).toEqual(victim.baseline.sessionIds);
  const user = await userOf(victim.userId);
  expect(user.passwordHash, attack).toBe(victim.baseline.passwordHash);
  expect(user.sessionsValidAfter, attack).toBe(victim.baseline.sessionsValidAfter);
  expect((await browserCookie(victim.context, server.origin, server.tessera.cookieNames.session))?.value, attack).toBe(victim.baseline.cookie);
  // The victim's own tab: the API answers, and the account page still lists both devices.
  const status = await victim.tab.evaluate(async () => (await (globalThis as any).fetch('/auth/session')).status);
  expect(status, attack).toBe(200);
  await victim.tab.goto(`${server.origin}/account`);
  expect(new URL(victim.tab.url()).pathname, attack).toBe('/account');
  expect(await victim.tab.locator('table.devices tbody tr').count(), attack).toBe(2);
}

/** One request of an attack as it reached Tessera (seen by the server). */
interface Seen extends RecordedRequest {
  /** Whether the browser attached the session cookie. */
  readonly cookieSent: boolean;
}

interface Attack {
  readonly host: 'localhost' | '127.0.0.1';
  readonly html: string;
  /** Requests that must reach Tessera before the attack counts as done. */
  readonly reaches: ReadonlyArray<{ readonly method: string; readonly path: string }>;
  /** Script pages set `document.title` to `done <json>` when every attempt has settled. */
  readonly script?: boolean;
}

/** Opens the attacker's page in the victim's browser and reports what reached Tessera. */
async function runAttack(victim: Victim, attack: Attack): Promise<{ seen: Seen[]; outcome: unknown }> {
  const page = victim.attackTab;
  recorder.clear();
  // `commit`: an auto-submitting form navigates away before the attacker page finishes loading.
  await page.goto(attacker.page(attack.host, attack.html), { waitUntil: 'commit' });
  let outcome: unknown = null;
  if (attack.script) {
    await page.waitForFunction("document.title.startsWith('done ')", undefined, { timeout: WAIT_MS });
    outcome = JSON.parse(String(await page.evaluate('document.title.slice(5)')));
  }
  const arrived = (method: string, path: string): boolean => recorder.list.some((r) => r.method === method && r.path === path);
  for (const { method, path } of attack.reaches) await waitUntil(() => arrived(method, path), `${method} ${path} at Tessera`);
  if (!attack.script) await page.waitForLoadState('load', { timeout: WAIT_MS }); // the form's answer page
  const name = `${server.tessera.cookieNames.session}=`;
  const seen = recorder.list.map((request) => ({ ...request, cookieSent: request.cookie.includes(name) }));
  recorder.clear();
  return { seen, outcome };
}

const UNSAFE = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);

/**
 * No state-changing request succeeded: every unsafe one was refused, and the only redirect is
 * the pages' "sign in first" (a 303 to /login?next=…), never a success code.
 */
function expectNoUnsafeSuccess(seen: readonly Seen[], attack: string): void {
  for (const request of seen.filter((r) => UNSAFE.has(r.method))) {
    const what = `${attack}: ${request.method} ${request.path} → ${request.status}`;
    if (request.status === 303) expect(request.location, what).toMatch(/^\/login\?next=/);
    else expect(request.status, what).toBeGreaterThanOrEqual(400);
  }
}

/** An auto-submitting form. */
function formPage(action: string, fields: Record<string, string>): string {
  const inputs = Object.entries(fields)
    .map(([name, value]) => `<input type="hidden" name="${escapeHtml(name)}" value="${escapeHtml(value)}">`)
    .join('');
  return `<!doctype html><title>win a prize</title><body><form id="f" method="post" action="${escapeHtml(action)}">${inputs}</form><script>document.getElementById('f').submit();</script>`;
}

/** A page that runs `attempts` (JS expressions returning promises) and reports each outcome. */
function scriptPage(attempts: Record<string, string>): string {
  const entries = Object.entries(attempts)
    .map(([name, expression]) => `[${JSON.stringify(name)}, () => ${expression}]`)
    .join(',\n');
  return `<!doctype html><title>loading</title><body><script>
const attempts = [${entries}];
Promise.all(attempts.map(async ([name, run]) => {
  try {
    const response = await run();
    return [name, response && typeof response.type === 'string' ? 'response ' + response.type + ' ' + response.status : String(response)];
  } catch (error) {
    return [name, 'rejected ' + (error && error.name)];
  }
})).then((results) => { document.title = 'done ' + JSON.stringify(Object.fromEntries(results)); });
</script>`;
}

/** An <img> that reports whether it loaded. */
const imageLoad = (src: string): string =>
  `new Promise((resolve) => { const img = new Image(); img.onload = () => resolve('loaded'); img.onerror = () => resolve('error'); img.src = ${JSON.stringify(src)}; document.body.append(img); })`;

/** What cross-site requests look like at Tessera: SameSite=Lax keeps the cookie off every one. */
function expectCrossSite(seen: readonly Seen[], attack: string): void {
  const attackRequests = seen.filter((r) => r.secFetchSite === 'cross-site');
  expect(attackRequests.length, attack).toBeGreaterThan(0);
  for (const request of attackRequests) {
    const what = `${attack}: ${request.method} ${request.path} → ${request.status}`;
    // A cross-site POST (even a top-level one), fetch or <img> carries no Lax cookie. Only a
    // top-level GET navigation does: here the redirects that follow a refused form (303 to
    // /login, which sends a signed-in visitor on to /account), which the attacker cannot read.
    if (request.method === 'GET' && request.secFetchMode === 'navigate' && request.secFetchDest === 'document') continue;
    expect(request.cookieSent, what).toBe(false);
  }
  expectNoUnsafeSuccess(seen, attack);
}

const json = (value: string): string => JSON.stringify(value);

describe('X-10: a cross-site page in real Chromium changes nothing', () => {
  it('X-10 auto-submitting forms from another site (localhost) to the JSON API and the account pages', async () => {
    const victim = await signedInVictim();
    const forms: Array<[string, Record<string, string>]> = [
      ['/auth/logout', {}],
      ['/auth/logout-all', {}],
      ['/account/logout-all', { _csrf: 'guessed-token-value-0000000000000000000000' }],
      ['/account/logout', { _csrf: '' }],
      // The attacker even knows the current password: the form still changes nothing.
      ['/account/password', { currentPassword: PASSWORD, newPassword: NEW_PASSWORD, _csrf: 'guessed' }],
      ['/account/sessions/revoke', { session: victim.otherSessionId }],
      ['/auth/password', { currentPassword: PASSWORD, newPassword: NEW_PASSWORD }],
    ];
    for (const [path, fields] of forms) {
      const { seen } = await runAttack(victim, { host: 'localhost', html: formPage(server.origin + path, fields), reaches: [{ method: 'POST', path }] });
      expect(seen.filter((r) => r.method === 'POST')).toHaveLength(1);
      expectCrossSite(seen, `form ${path}`);
      await expectUnchanged(victim, `form ${path}`);
    }
    // The victim's password still signs in.
    expect((await send(server, 'POST', '/auth/login', { json: { email: victim.email, password: PASSWORD, carrier: 'bearer' } })).status).toBe(200);
  });

  it('X-10 fetch (no-cors, text/plain, DELETE) and <img> from another site (localhost)', async () => {
    const victim = await signedInVictim();
    const t = server.origin;
    const body = json(JSON.stringify({ currentPassword: PASSWORD, newPassword: NEW_PASSWORD }));
    const { seen, outcome } = await runAttack(victim, {
      host: 'localhost',
      script: true,
      html: scriptPage({
        logoutAll: `fetch(${json(`${t}/auth/logout-all`)}, { method: 'POST', credentials: 'include', mode: 'no-cors' })`,
        logout: `fetch(${json(`${t}/auth/logout`)}, { method: 'POST', credentials: 'include', mode: 'no-cors' })`,
        passwordTextPlain: `fetch(${json(`${t}/auth/password`)}, { method: 'POST', credentials: 'include', mode: 'no-cors', headers: { 'content-type': 'text/plain' }, body: ${body} })`,
        deleteOther: `fetch(${json(`${t}/auth/sessions/${victim.otherSessionId}`)}, { method: 'DELETE', credentials: 'include' })`,
        deleteOwnNoCors: `fetch(${json(`${t}/auth/sessions/${victim.ownSessionId}`)}, { method: 'DELETE', credentials: 'include', mode: 'no-cors' })`,
        imgLogout: imageLoad(`${t}/auth/logout`),
        imgLogoutAll: imageLoad(`${t}/auth/logout-all`),
        imgAccountLogout: imageLoad(`${t}/account/logout`),
      }),
      reaches: [
        { method: 'POST', path: '/auth/logout-all' },
        { method: 'POST', path: '/auth/logout' },
        { method: 'POST', path: '/auth/password' },
        { method: 'OPTIONS', path: `/auth/sessions/${victim.otherSessionId}` },
        { method: 'GET', path: '/auth/logout' },
        { method: 'GET', path: '/auth/logout-all' },
        { method: 'GET', path: '/account/logout' },
      ],
    });
    // no-cors answers are opaque to the attacker; DELETE needs a CORS preflight Tessera never
    // grants (and no-cors refuses DELETE outright); the images fail (no GET changes state).
    expect(outcome).toEqual({
      logoutAll: 'response opaque 0',
      logout: 'response opaque 0',
      passwordTextPlain: 'response opaque 0',
      deleteOther: 'rejected TypeError',
      deleteOwnNoCors: 'rejected TypeError',
      imgLogout: 'error',
      imgLogoutAll: 'error',
      imgAccountLogout: 'error',
    });
    expect(seen.filter((r) => r.method === 'DELETE')).toEqual([]); // the preflight stopped it
    expectCrossSite(seen, 'fetch/img');
    // The <img> GETs reached Tessera and changed nothing (there is no GET logout).
    const images = seen.filter((r) => r.method === 'GET' && r.secFetchDest === 'image' && r.secFetchSite === 'cross-site');
    expect(images.map((r) => `${r.path} ${r.status}`).sort()).toEqual(['/account/logout 404', '/auth/logout 404', '/auth/logout-all 404']);
    await expectUnchanged(victim, 'fetch/img');
    expect((await send(server, 'POST', '/auth/login', { json: { email: victim.email, password: PASSWORD, carrier: 'bearer' } })).status).toBe(200);
  });

  it('X-10 same site, other origin (127.0.0.1:<other port>): the cookie is sent and the CSRF rule refuses it', async () => {
    const victim = await signedInVictim();
    const t = server.origin;
    const forms: Array<[string, Record<string, string>]> = [
      ['/account/logout-all', { _csrf: 'guessed-token-value-0000000000000000000000' }],
      ['/account/password', { currentPassword: PASSWORD, newPassword: NEW_PASSWORD }],
      ['/account/sessions/revoke', { session: victim.otherSessionId, _csrf: '' }],
      ['/account/logout', {}],
      ['/auth/logout-all', {}],
      // Even holding the victim's real CSRF token (say, leaked), a same-site page is refused by
      // the origin check: `Sec-Fetch-Site: same-site` is not trusted unless configured.
      ['/account/logout-all', { _csrf: server.tessera.csrfTokenFor(victim.ownSessionId) }],
    ];
    for (const [path, fields] of forms) {
      const { seen } = await runAttack(victim, { host: '127.0.0.1', html: formPage(t + path, fields), reaches: [{ method: 'POST', path }] });
      const posts = seen.filter((r) => r.method === 'POST');
      expect(posts).toHaveLength(1);
      const [request] = posts as [Seen];
      const what = `form ${path} → ${request.status}`;
      // Same site: SameSite does not help, the cookie goes along. The CSRF rule refuses it.
      expect(request.cookieSent, what).toBe(true);
      expect(request.secFetchSite, what).toBe('same-site');
      expect(request.status === 403 || request.status === 415, what).toBe(true);
      if (path.startsWith('/account/')) expect(request.status, what).toBe(403);
      await expectUnchanged(victim, `same-site form ${path}`);
    }

    const body = json(JSON.stringify({ currentPassword: PASSWORD, newPassword: NEW_PASSWORD }));
    const { seen, outcome } = await runAttack(victim, {
      host: '127.0.0.1',
      script: true,
      html: scriptPage({
        logoutAll: `fetch(${json(`${t}/auth/logout-all`)}, { method: 'POST', credentials: 'include', mode: 'no-cors' })`,
        passwordTextPlain: `fetch(${json(`${t}/auth/password`)}, { method: 'POST', credentials: 'include', mode: 'no-cors', headers: { 'content-type': 'text/plain' }, body: ${body} })`,
        deleteOther: `fetch(${json(`${t}/auth/sessions/${victim.otherSessionId}`)}, { method: 'DELETE', credentials: 'include' })`,
        imgLogout: imageLoad(`${t}/auth/logout`),
      }),
      reaches: [
        { method: 'POST', path: '/auth/logout-all' },
        { method: 'POST', path: '/auth/password' },
        { method: 'OPTIONS', path: `/auth/sessions/${victim.otherSessionId}` },
        { method: 'GET', path: '/auth/logout' },
      ],
    });
    expect(outcome).toEqual({ logoutAll: 'response opaque 0', passwordTextPlain: 'response opaque 0', deleteOther: 'rejected TypeError', imgLogout: 'error' });
    expect(seen.filter((r) => r.method === 'DELETE')).toEqual([]);
    // Same site: every one of them carried the cookie (the preflight never does).
    const attackRequests = seen.filter((r) => r.secFetchSite === 'same-site' && r.method !== 'OPTIONS');
    expect(attackRequests.map((r) => `${r.method} ${r.path}`).sort()).toEqual(['GET /auth/logout', 'POST /auth/logout-all', 'POST /auth/password']);
    for (const request of attackRequests) expect(request.cookieSent, `${request.method} ${request.path} → ${request.status}`).toBe(true);
    expectNoUnsafeSuccess(seen, 'same-site fetch/img');
    expect(seen.find((r) => r.method === 'POST' && r.path === '/auth/logout-all')?.status).toBe(403);
    await expectUnchanged(victim, 'same-site fetch/img');
    expect((await send(server, 'POST', '/auth/login', { json: { email: victim.email, password: PASSWORD, carrier: 'bearer' } })).status).toBe(200);
  });
});
