import type { BrowserContext, Locator, Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { TestServer } from '../helpers/server.js';
import { WAIT_MS, createBrowserHandle, newWatchedContext, requireBuiltClient, saveScreenshot, startBrowserServer } from './support.js';

/**
 * The playground in Chromium, walked through both columns: the cookie column (session cookie,
 * then switched to hybrid) and the token column (bearer). Each step must show the request and
 * the answer with the expected status; the bearer access token is decoded (`typ: at+jwt`, `sid`);
 * the CSRF token is the session's; the Set-Cookie lines show the flags with the values hidden;
 * and after a sign-out or a revocation the next call shows 401.
 */

const browser = createBrowserHandle();
let server: TestServer;
const contexts: BrowserContext[] = [];

beforeAll(async () => {
  server = await startBrowserServer();
});
afterEach(async () => {
  await Promise.all(contexts.splice(0).map((context) => context.close().catch(() => undefined)));
});
afterAll(async () => {
  await browser.close();
  await server?.close();
});

/** One exchange as the log shows it: "#3 GET /auth/session → 200". */
interface Exchange {
  readonly method: string;
  readonly path: string;
  readonly status: number;
}

type ColumnName = 'left' | 'right';

/** Drives one column of the playground. */
class Column {
  readonly section: Locator;
  private seen = 0;

  constructor(
    private readonly page: Page,
    readonly name: ColumnName,
  ) {
    this.section = page.locator(`[data-column="${name}"]`);
  }

  /** Every exchange in this column's log so far. */
  async exchanges(): Promise<Exchange[]> {
    const headings = await this.section.locator('[data-log] > li > h4').allInnerTexts();
    return headings.map((heading) => {
      const match = /^#\d+ ([A-Z]+) (\S+) → (\d{3})$/.exec(heading.trim());
      if (!match) throw new Error(`unexpected exchange heading: ${heading}`);
      return { method: match[1]!, path: match[2]!, status: Number(match[3]) };
    });
  }

  /** The exchanges logged since the last call. */
  async newExchanges(): Promise<Exchange[]> {
    const all = await this.exchanges();
    const fresh = all.slice(this.seen);
    this.seen = all.length;
    return fresh;
  }

  /** The log entry (request and response) of the newest exchange with `path`. */
  lastEntry(path: string): Locator {
    return this.section.locator('[data-log] > li').filter({ has: this.page.locator('h4', { hasText: ` ${path} → ` }) }).last();
  }

  /** Clicks an action button and waits until the playground is idle again. */
  async run(action: string): Promise<Exchange[]> {
    const button = this.section.locator(`button[data-action="${action}"]`);
    await button.click({ timeout: WAIT_MS }); // waits until it is enabled (the module has loaded)
    await this.page.waitForFunction(() => [...(globalThis as any).document.querySelectorAll('[data-column]')].every((s: any) => s.getAttribute('aria-busy') === 'false'), undefined, { timeout: WAIT_MS });
    return this.newExchanges();
  }

  /** The value shown for `term` in "What the client holds". */
  async state(term: string): Promise<string> {
    const terms = await this.section.locator('[data-state] dt').allInnerTexts();
    const index = terms.findIndex((text) => text.trim() === term);
    if (index < 0) throw new Error(`${this.name} column shows no "${term}" (it shows: ${terms.join(', ')})`);
    return (await this.section.locator('[data-state] dd').nth(index).innerText()).trim();
  }

  status(): Promise<string> {
    return this.section.locator('[data-status]').innerText();
  }
}

const show = (exchanges: readonly Exchange[]): string[] => exchanges.map((e) => `${e.method} ${e.path} ${e.status}`);

describe('playground in Chromium', () => {
  it('walks through the cookie, hybrid and bearer columns', async () => {
    requireBuiltClient();
    const { context, watch } = await newWatchedContext(await browser.get());
    contexts.push(context);
    // The playground shows refused requests on purpose; Chromium logs each one.
    for (const path of ['/auth/session', '/auth/refresh', '/auth/csrf']) watch.allowFailedLoad(path, 401);
    const page = await context.newPage();
    await page.goto(`${server.origin}/playground`);
    const left = new Column(page, 'left');
    const right = new Column(page, 'right');
    const names = server.tessera.cookieNames;

    // ── Cookie column: register & sign in ─────────────────────────────────────────────────
    expect(show(await left.run('login'))).toEqual(['POST /auth/register 201', 'POST /auth/login 200']);
    const email = (await page.locator('[data-demo-email]').innerText()).trim();
    expect(email).toMatch(/^playground-[a-z0-9]{12}@example\.com$/);
    const leftSession = await left.state('Session id');
    expect(leftSession).toMatch(/^[A-Za-z0-9_-]{20,}$/);
    // The CSRF token shown is the one bound to this session.
    expect(await left.state('CSRF token')).toBe(server.tessera.csrfTokenFor(leftSession));
    expect(await left.state('Credential')).toContain(names.session);
    const login = left.lastEntry('/auth/login');
    const loginText = await login.innerText();
    expect(loginText).toContain('POST /auth/login');
    expect(loginText).toContain('credentials: same-origin');
    expect(loginText).toContain('HTTP 200');
    expect(loginText).toContain('••••••••'); // the password sent is masked
    // The Set-Cookie line with its flags, the value hidden.
    expect(loginText).toMatch(new RegExp(`${names.session}=<hidden: HttpOnly>; Path=/; Max-Age=\\d+; HttpOnly; SameSite=Lax`));
    const sessionCookie = (await context.cookies(server.origin)).find((cookie) => cookie.name === names.session);
    expect(sessionCookie?.httpOnly).toBe(true);
    expect(await page.content()).not.toContain(sessionCookie!.value);
    expect(sessionCookie!.value.startsWith(`${leftSession}.`)).toBe(true);

    expect(show(await left.run('session'))).toEqual(['GET /auth/session 200']);
    expect(await left.section.locator('button[data-action="refresh"]').isDisabled()).toBe(true); // nothing to refresh

    // ── Token column: sign in (the demo account exists), session, refresh ────────────────
    expect(show(await right.run('login'))).toEqual(['POST /auth/login 200']);
    const rightSession = await right.state('Session id');
    expect(rightSession).not.toBe(leftSession);
    const decoded = await right.state('Access token (decoded here, never verified here)');
    const [headerJson, payloadJson] = decoded.split(/\n(?=\{)/);
    const header = JSON.parse(headerJson!);
    const payload = JSON.parse(payloadJson!.slice(0, payloadJson!.lastIndexOf('}') + 1));
    expect(header.typ).toBe('at+jwt');
    expect(typeof header.kid).toBe('string');
    expect(payload.sid).toBe(rightSession);
    expect(typeof payload.jti).toBe('string');
    expect(await right.state('CSRF token')).toContain('not needed');
    expect(await right.state('Refresh token (in memory)')).toContain('generation 0');
    const bearerLogin = await right.lastEntry('/auth/login').innerText();
    expect(bearerLogin).toContain('credentials: omit');
    expect(bearerLogin).not.toContain('Set-Cookie sent by the server');

    expect(show(await right.run('session'))).toEqual(['GET /auth/session 200']);
    expect(await right.lastEntry('/auth/session').innerText()).toMatch(/authorization: Bearer \S+/);
    expect(show(await right.run('refresh'))).toEqual(['POST /auth/refresh 200']);
    expect(await right.state('Refresh token (in memory)')).toContain('generation 1');

    // ── Revoke the cookie session from the token column: the cookie is refused ───────────
    const revokeLeft = await left.run('revoke');
    expect(show(revokeLeft)).toEqual(['GET /auth/session 401']);
    // The other column ends it (the server's clock is frozen, so the sign-in is recent enough
    // that no re-authentication is asked for).
    expect(show(await right.newExchanges())).toEqual([`DELETE /auth/sessions/${leftSession} 204`]);
    expect(await left.lastEntry('/auth/session').innerText()).toContain(`${names.session}=; Path=/; Max-Age=0`);
    expect(await left.state('Session id')).toBe('none');

    // ── Sign the cookie column in again and revoke the token column from it ─────────────
    expect(show(await left.run('login'))).toEqual(['POST /auth/login 200']);
    const leftSession2 = await left.state('Session id');
    const revokeRight = await right.run('revoke');
    // The access token is refused at once (its sid is revoked), the one refresh fails, signed out.
    expect(show(revokeRight)).toEqual(['GET /auth/session 401', 'POST /auth/refresh 401']);
    expect(show(await left.newExchanges())).toEqual([`DELETE /auth/sessions/${rightSession} 204`]);
    expect(await right.state('Session id')).toBe('none');
    expect(await right.status()).toContain('signed-out');

    // ── Sign out of the cookie column: the next call is refused ──────────────────────────
    expect(show(await left.run('logout'))).toEqual(['POST /auth/logout 204']);
    expect(await left.lastEntry('/auth/logout').innerText()).toContain(`${names.session}=; Path=/; Max-Age=0`);
    expect((await context.cookies(server.origin)).find((cookie) => cookie.name === names.session)).toBeUndefined();
    expect(show(await left.run('session'))).toEqual(['GET /auth/session 401']);
    expect(await server.tessera.sessions.listUserSessions((await server.tessera.stores.users.findUserByEmail(email))!.id)).toEqual([]);
    expect(leftSession2).not.toBe(leftSession);

    // ── Switch the left column to hybrid: token cookies, refresh, session ─────────────────
    await left.section.getByLabel('Hybrid (token cookies)').check();
    await page.waitForFunction(() => (globalThis as any).document.querySelector('[data-column="left"] [data-column-title]')?.textContent === 'Hybrid (token cookies)', undefined, { timeout: WAIT_MS });
    await left.newExchanges();
    const hybridLogin = await left.run('login');
    // The probe finds no session cookie to drop (401), then the hybrid sign-in.
    expect(show(hybridLogin)).toEqual(['GET /auth/session 401', 'POST /auth/login 200']);
    const hybridText = await left.lastEntry('/auth/login').innerText();
    expect(hybridText).toMatch(new RegExp(`${names.access}=<hidden: HttpOnly>; Path=/; Max-Age=\\d+; HttpOnly; SameSite=Lax`));
    expect(hybridText).toMatch(new RegExp(`${names.refresh}=<hidden: HttpOnly>; Path=/auth/refresh; Max-Age=\\d+; HttpOnly; SameSite=Lax`));
    expect(await left.state('CSRF token')).toBe(server.tessera.csrfTokenFor(await left.state('Session id')));
    const tokenCookies = (await context.cookies()).filter((cookie) => cookie.name === names.access || cookie.name === names.refresh);
    expect(tokenCookies.map((cookie) => `${cookie.name} ${cookie.path} ${cookie.httpOnly}`).sort()).toEqual([`${names.access} / true`, `${names.refresh} /auth/refresh true`].sort());
    const content = await page.content();
    for (const cookie of tokenCookies) expect(content).not.toContain(cookie.value);
    expect(show(await left.run('refresh'))).toEqual(['POST /auth/refresh 200']);
    expect(show(await left.run('session'))).toEqual(['GET /auth/session 200']);

    // ── Sign out everywhere from the hybrid column: the token column is refused too ──────
    expect(show(await right.run('login'))).toEqual(['POST /auth/login 200']);
    expect(show(await left.run('logout-all'))).toEqual(['POST /auth/logout-all 204']);
    expect(show(await right.run('session'))).toEqual(['GET /auth/session 401', 'POST /auth/refresh 401']);
    expect(show(await left.run('session'))[0]).toBe('GET /auth/session 401');

    await saveScreenshot(page, 'playground-walkthrough');
    expect(watch.problems()).toEqual([]);
  });
});
