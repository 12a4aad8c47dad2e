import type { BrowserContext, Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { send } from '../helpers/http.js';
import type { TestServer } from '../helpers/server.js';
import {
  PASSWORD,
  type PageWatch,
  WAIT_MS,
  browserCookie,
  createBrowserHandle,
  newWatchedContext,
  pathOf,
  requireBuiltClient,
  saveScreenshot,
  startBrowserServer,
  uniqueEmail,
} from './support.js';

/**
 * The hosted pages in real Chromium: registration, keyboard-only sign-in, the device list,
 * revoking another device (with the password confirmation), changing the password, signing out
 * everywhere and signing out — with and without JavaScript — plus the session cookie as the
 * browser stores it (C-01, C-03, C-04, C-05), no console errors or CSP violations on any page,
 * and a screenshot of every page.
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

const FIREFOX_UA = 'Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0';

/** A fresh context (one "device") with the console/CSP watcher. */
async function device(options: Parameters<typeof newWatchedContext>[1] = {}): Promise<{ context: BrowserContext; page: Page; watch: PageWatch }> {
  const { context, watch } = await newWatchedContext(await browser.get(), options);
  contexts.push(context);
  return { context, page: await context.newPage(), watch };
}

const url = (path: string): string => server.origin + path;
const deviceRows = (page: Page) => page.locator('table.devices tbody tr');

/** Waits until the page is at `path` (path + query, exact). */
async function waitForPath(page: Page, path: string): Promise<void> {
  await page.waitForURL((current) => current.pathname + current.search === path, { timeout: WAIT_MS });
}

/** Fills and submits the sign-in form with the mouse. */
async function signInByForm(page: Page, email: string, password: string): Promise<void> {
  await page.goto(url('/login'));
  await page.getByLabel('E-mail address').fill(email);
  await page.getByLabel('Password').fill(password);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await waitForPath(page, '/account?done=signed-in');
}

/** The signed-in user's live session ids, from the server. */
async function liveSessionIds(email: string): Promise<string[]> {
  const user = await server.tessera.stores.users.findUserByEmail(email);
  if (!user) throw new Error(`no user ${email}`);
  return (await server.tessera.sessions.listUserSessions(user.id)).map((session) => session.id).sort();
}

/** What the focused element is, for reading the tab order. */
const focused = (page: Page): Promise<string> =>
  page.evaluate(() => {
    const active = (globalThis as any).document.activeElement;
    if (!active || active === (globalThis as any).document.body) return 'body';
    return active.id ? `#${active.id}` : `${active.tagName.toLowerCase()}:${(active.textContent ?? '').trim()}`;
  });

describe('hosted pages in Chromium', () => {
  it('registers, signs in by keyboard only, revokes another device, changes the password, signs out everywhere and signs out', async () => {
    const email = uniqueEmail('pages');
    const { context, page, watch } = await device();

    // Register through /register.
    await page.goto(url('/register'));
    expect(await page.title()).toBe('Create an account · Tessera');
    await saveScreenshot(page, 'register');
    await page.getByLabel('E-mail address').fill(email);
    await page.getByLabel('Password').fill(PASSWORD);
    await page.getByRole('button', { name: 'Create account' }).click();
    await waitForPath(page, '/account?done=registered');
    await page.getByText('Your account is ready and you are signed in.').waitFor({ timeout: WAIT_MS });

    // Sign out, then sign in again with the keyboard only: Tab through the page from the top.
    await page.getByRole('button', { name: 'Sign out of this device' }).last().click();
    await waitForPath(page, '/login?done=signed-out');
    await page.getByText('You are signed out.').waitFor({ timeout: WAIT_MS });
    await saveScreenshot(page, 'login');
    await page.goto(url('/login'));
    const order: string[] = [];
    for (let step = 0; step < 12 && order.at(-1) !== '#email'; step++) {
      await page.keyboard.press('Tab');
      order.push(await focused(page));
    }
    // The skip link comes first, then the header; the form's fields follow in reading order.
    expect(order[0]).toBe('a:Skip to main content');
    expect(order.at(-1)).toBe('#email');
    // The focused field is the one labelled "E-mail address" (labels are wired to inputs).
    expect(await page.getByLabel('E-mail address').evaluate((input) => input === (globalThis as any).document.activeElement)).toBe(true);
    await page.keyboard.type(email);
    await page.keyboard.press('Tab');
    expect(await focused(page)).toBe('#password');
    expect(await page.getByLabel('Password').evaluate((input) => input === (globalThis as any).document.activeElement)).toBe(true);
    await page.keyboard.type(PASSWORD);
    await page.keyboard.press('Tab');
    expect(await focused(page)).toBe('button:Sign in');
    await page.keyboard.press('Shift+Tab');
    expect(await focused(page)).toBe('#password');
    await page.keyboard.press('Enter'); // submits the form from the password field
    await waitForPath(page, '/account?done=signed-in');

    // The account page: one device, this one, with its badge.
    await page.getByText(`Signed in as ${email}.`).waitFor({ timeout: WAIT_MS });
    expect(await deviceRows(page).count()).toBe(1);
    expect(await deviceRows(page).first().locator('.badge').innerText()).toBe('This device');

    // A second device (another context, another browser identity).
    const other = await device({ userAgent: FIREFOX_UA });
    await signInByForm(other.page, email, PASSWORD);
    await page.reload();
    expect(await deviceRows(page).count()).toBe(2);
    const otherRow = deviceRows(page).filter({ hasNot: page.locator('.badge') });
    expect(await otherRow.locator('th').innerText()).toContain('Firefox on Linux');
    expect(await deviceRows(page).filter({ has: page.locator('.badge') }).count()).toBe(1);
    await saveScreenshot(page, 'account');
    await page.setViewportSize({ width: 375, height: 812 });
    await saveScreenshot(page, 'account-mobile');
    // Reflows to one column: nothing wider than the phone's viewport.
    expect(await page.evaluate(() => (globalThis as any).document.documentElement.scrollWidth)).toBeLessThanOrEqual(375);
    await page.setViewportSize({ width: 1280, height: 720 });

    // Revoke it. The sign-in is older than the re-authentication window (moved on the
    // server's clock), so the page asks for the password first.
    const otherSessions = await liveSessionIds(email);
    server.clock.advance(server.tessera.config.session.reauthenticationWindowMs + 1_000);
    watch.allowFailedLoad('/account/sessions/revoke', 403); // the confirmation form
    await otherRow.getByRole('button', { name: 'Sign out device' }).click();
    await page.waitForURL((current) => current.pathname === '/account/sessions/revoke' || current.search === '?done=session-revoked', { timeout: WAIT_MS });
    const confirm = page.getByRole('region', { name: 'Confirm it is you' });
    expect(await confirm.isVisible()).toBe(true);
    expect(await confirm.innerText()).toContain('Firefox on Linux');
    await confirm.getByLabel('Password').fill(PASSWORD);
    await confirm.getByRole('button', { name: 'Confirm and sign out device' }).click();
    await waitForPath(page, '/account?done=session-revoked');
    await page.getByText('That device was signed out.').waitFor({ timeout: WAIT_MS });
    expect(await deviceRows(page).count()).toBe(1);
    expect((await liveSessionIds(email)).length).toBe(otherSessions.length - 1);
    await other.page.goto(url('/account'));
    await waitForPath(other.page, '/login?next=%2Faccount');

    // Change the password: the old one stops working, the new one works.
    const newPassword = 'a completely new passphrase';
    await page.getByLabel('Current password').fill(PASSWORD);
    await page.getByLabel('New password').fill(newPassword);
    await page.getByRole('button', { name: 'Change password' }).click();
    await waitForPath(page, '/account?done=password-changed');
    await page.getByText('Your password was changed.').waitFor({ timeout: WAIT_MS });
    expect((await send(server, 'POST', '/auth/login', { json: { email, password: PASSWORD, carrier: 'bearer' } })).status).toBe(401);

    // Sign in on the other device with the new password, then sign out everywhere from here.
    await signInByForm(other.page, email, newPassword);
    await page.reload();
    expect(await deviceRows(page).count()).toBe(2);
    await page.getByRole('button', { name: 'Sign out everywhere' }).click();
    await waitForPath(page, '/login?done=signed-out-everywhere');
    await page.getByText('You are signed out on every device.').waitFor({ timeout: WAIT_MS });
    expect(await liveSessionIds(email)).toEqual([]);
    await other.page.goto(url('/account'));
    await waitForPath(other.page, '/login?next=%2Faccount');

    // Sign in once more and sign out: /account then sends the browser to /login.
    await signInByForm(page, email, newPassword);
    await page.getByRole('button', { name: 'Sign out of this device' }).last().click();
    await waitForPath(page, '/login?done=signed-out');
    expect(await browserCookie(context, url('/'), server.tessera.cookieNames.session)).toBeUndefined();
    await page.goto(url('/account'));
    await waitForPath(page, '/login?next=%2Faccount');
    expect(await page.getByRole('heading', { level: 1 }).innerText()).toBe('Sign in');

    expect(watch.problems()).toEqual([]);
    expect(other.watch.problems()).toEqual([]);
  });

  it('stores the session cookie HttpOnly, SameSite=Lax, Path=/, host-only, bounded by the absolute lifetime (C-01, C-03, C-04, C-05)', async () => {
    const email = uniqueEmail('cookie');
    const { context, page, watch } = await device();
    await page.goto(url('/register'));
    await page.getByLabel('E-mail address').fill(email);
    await page.getByLabel('Password').fill(PASSWORD);
    const before = Date.now();
    await page.getByRole('button', { name: 'Create account' }).click();
    await waitForPath(page, '/account?done=registered');

    const name = server.tessera.cookieNames.session;
    const cookies = await context.cookies();
    const session = cookies.find((cookie) => cookie.name === name);
    expect(session, `cookies: ${cookies.map((c) => c.name).join(', ')}`).toBeDefined();
    const cookie = session!;
    expect(cookie.httpOnly).toBe(true);
    expect(cookie.sameSite).toBe('Lax');
    expect(cookie.path).toBe('/');
    // Host-only: no Domain attribute, so the browser keeps the exact host, without a dot.
    expect(cookie.domain).toBe(new URL(server.origin).hostname);
    expect(cookie.domain.startsWith('.')).toBe(false);
    // Plain http on loopback here: Secure (and the __Host- prefix) come with HTTPS (C-02).
    expect(cookie.secure).toBe(false);
    // A persistent cookie that outlives no session: at most the absolute lifetime from now.
    const lifetimeSeconds = server.tessera.config.session.absoluteLifetimeMs / 1000;
    expect(cookie.expires).toBeGreaterThan(before / 1000);
    expect(cookie.expires).toBeLessThanOrEqual(Date.now() / 1000 + lifetimeSeconds + 1);
    expect(new TextEncoder().encode(cookie.name + cookie.value).length).toBeLessThanOrEqual(4096);

    // Scripts on the page cannot see it, nor is its value anywhere in the page (C-01).
    const documentCookie = String(await page.evaluate('document.cookie'));
    expect(documentCookie).not.toContain(name);
    expect(documentCookie).not.toContain(cookie.value);
    // The value is `<session id>.<secret>`: the page never shows the secret (the id only names
    // devices in form bodies, and only other devices').
    const [, secret] = cookie.value.split('.');
    expect(secret?.length).toBeGreaterThanOrEqual(40);
    const content = await page.content();
    expect(content).not.toContain(cookie.value);
    expect(content).not.toContain(secret);
    expect(page.url()).not.toContain(secret);

    expect(watch.problems()).toEqual([]);
  });

  it('registers, signs in, changes the password and signs out with JavaScript disabled', async () => {
    const email = uniqueEmail('nojs');
    const { context, page, watch } = await device({ javaScriptEnabled: false });
    const name = server.tessera.cookieNames.session;

    await page.goto(url('/register'));
    await page.getByLabel('E-mail address').fill(email);
    await page.getByLabel('Password').fill(PASSWORD);
    await page.getByRole('button', { name: 'Create account' }).click();
    await waitForPath(page, '/account?done=registered');
    expect(await deviceRows(page).count()).toBe(1);

    await page.getByRole('button', { name: 'Sign out of this device' }).last().click();
    await waitForPath(page, '/login?done=signed-out');
    expect(await browserCookie(context, url('/'), name)).toBeUndefined();

    // A wrong password re-renders the form (401) with the error summary.
    watch.allowFailedLoad('/login', 401);
    await page.getByLabel('E-mail address').fill(email);
    await page.getByLabel('Password').fill('not the password');
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('alert').waitFor({ timeout: WAIT_MS });
    expect(await page.getByLabel('E-mail address').inputValue()).toBe(email);
    expect(await page.getByLabel('Password').inputValue()).toBe('');
    expect(await browserCookie(context, url('/'), name)).toBeUndefined();

    await page.getByLabel('Password').fill(PASSWORD);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await waitForPath(page, '/account?done=signed-in');
    const first = (await browserCookie(context, url('/'), name))?.value;
    expect(first).toBeDefined();

    const newPassword = 'javascript is not needed here';
    await page.getByLabel('Current password').fill(PASSWORD);
    await page.getByLabel('New password').fill(newPassword);
    await page.getByRole('button', { name: 'Change password' }).click();
    await waitForPath(page, '/account?done=password-changed');
    const second = (await browserCookie(context, url('/'), name))?.value;
    expect(second).toBeDefined();
    expect(second).not.toBe(first); // a fresh session after the password change

    await page.getByRole('button', { name: 'Sign out everywhere' }).click();
    await waitForPath(page, '/login?done=signed-out-everywhere');
    await page.goto(url('/account'));
    await waitForPath(page, '/login?next=%2Faccount');

    await signInByForm(page, email, newPassword);
    expect(pathOf(page)).toBe('/account?done=signed-in');
    expect(watch.problems()).toEqual([]);
  });

  it('serves the playground without console errors or CSP violations', async () => {
    requireBuiltClient();
    const { page, watch } = await device();
    await page.goto(url('/playground'));
    // The module script ran: it enables the buttons and renders each column's state.
    await page.locator('[data-column="left"] button[data-action="login"]:enabled').waitFor({ timeout: WAIT_MS });
    await page.locator('[data-column="right"] button[data-action="login"]:enabled').waitFor({ timeout: WAIT_MS });
    await saveScreenshot(page, 'playground');
    expect(watch.problems()).toEqual([]);
  });
});
