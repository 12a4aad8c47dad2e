import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { BrowserContext, Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { Revocation } from '../../src/core/model.js';
import { type RunningSpaExample, startSpaExample } from '../../examples/spa-hybrid/server.mjs';
import { BIG_LIMITS, PASSWORD, WAIT_MS, createBrowserHandle, newWatchedContext, requireBuiltClient, saveScreenshot, uniqueEmail } from './support.js';

/**
 * Two tabs of examples/spa-hybrid (the hybrid carrier: tokens in HttpOnly cookies) in ONE
 * Chromium context, so they share cookies, localStorage, Web Locks and BroadcastChannel — as two
 * tabs of a real browser do. After the access token expires both tabs call the API at the same
 * moment: one refresh happens (single-flight across tabs), both calls succeed, and the server
 * detects no refresh-token reuse (which would have revoked the session). Signing out in one tab
 * signs the other out (BroadcastChannel), and the session is dead at the server.
 */

/** Short-lived access tokens, so the test sees them expire; the skew leaves ~4 s of use after a refresh. */
const ACCESS_TOKEN_TTL = '5s';

const browser = createBrowserHandle();
let spa: RunningSpaExample;
let dataDir: string;
const contexts: BrowserContext[] = [];

beforeAll(async () => {
  requireBuiltClient(); // the example and the SDK it serves are the built dist/
  dataDir = mkdtempSync(join(tmpdir(), 'tessera-tabs-'));
  spa = await startSpaExample({
    port: 0,
    dataDir,
    // The whole environment Tessera reads; info-level auth events would flood the test output.
    env: { TESSERA_ACCESS_TOKEN_TTL: ACCESS_TOKEN_TTL, TESSERA_LOG_LEVEL: 'warn' },
    overrides: BIG_LIMITS,
  });
});
afterEach(async () => {
  await Promise.all(contexts.splice(0).map((context) => context.close().catch(() => undefined)));
});
afterAll(async () => {
  await browser.close();
  await spa?.close();
  if (dataDir) rmSync(dataDir, { recursive: true, force: true });
});

const testId = (page: Page, id: string) => page.locator(`[data-testid="${id}"]`);

/** Waits until the tab's status reads `status`. */
async function waitForStatus(page: Page, status: 'signed-in' | 'signed-out', timeout = WAIT_MS): Promise<void> {
  await page.waitForFunction((expected) => (globalThis as any).document.querySelector('[data-testid="status"]')?.textContent === expected, status, { timeout });
}

/** The access token's expiry the tabs share (the SDK's localStorage entry), in ms. */
const sharedExpiry = (page: Page): Promise<number | null> =>
  page.evaluate(() => {
    const stored = JSON.parse((globalThis as any).localStorage.getItem('tessera') ?? '{}');
    return typeof stored.expiresAt === 'number' ? stored.expiresAt : null;
  });

/** Waits for the answer of "Call API"; returns the status the page shows. */
async function resultStatus(page: Page): Promise<string | null> {
  await page.locator('[data-testid="api-result"][data-status]').waitFor({ state: 'attached', timeout: WAIT_MS });
  return testId(page, 'api-result').getAttribute('data-status');
}

/** A user signed in in tab A; tab B opened afterwards in the same context. */
async function twoSignedInTabs(context: BrowserContext): Promise<{ tabA: Page; tabB: Page; email: string; userId: string }> {
  const email = uniqueEmail('tabs');
  const registered = await fetch(`${spa.url}/auth/register`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ email, password: PASSWORD }) });
  expect(registered.status).toBe(201);
  const userId: string = ((await registered.json()) as { user: { id: string } }).user.id;

  const tabA = await context.newPage();
  await tabA.goto(`${spa.url}/`);
  await waitForStatus(tabA, 'signed-out');
  await testId(tabA, 'signin-email').fill(email);
  await testId(tabA, 'signin-password').fill(PASSWORD);
  await testId(tabA, 'signin-submit').click();
  await waitForStatus(tabA, 'signed-in');
  expect(await testId(tabA, 'user-email').innerText()).toBe(email);

  // Tab B opens signed in: same cookies, same storage.
  const tabB = await context.newPage();
  await tabB.goto(`${spa.url}/`);
  await waitForStatus(tabB, 'signed-in');
  expect(await testId(tabB, 'user-email').innerText()).toBe(email);
  return { tabA, tabB, email, userId };
}

/** Waits (bounded polling on the shared expiry, no sleep) until the access token has expired. */
async function waitForAccessTokenExpiry(tab: Page): Promise<void> {
  const expiry = await sharedExpiry(tab);
  expect(expiry).not.toBeNull();
  await tab.waitForFunction((at) => Date.now() >= at, expiry!, { timeout: 30_000, polling: 100 });
}

/** Clicks "Call API" in both tabs at the same moment; both answers must be 200 and both tabs stay signed in. */
async function callApiInBothTabs(tabA: Page, tabB: Page): Promise<void> {
  // Forget the previous answer, so the waits below see this call's.
  for (const tab of [tabA, tabB]) await testId(tab, 'api-result').evaluate((output) => output.removeAttribute('data-status'));
  await Promise.all([testId(tabA, 'call-api').click(), testId(tabB, 'call-api').click()]);
  expect(await resultStatus(tabA)).toBe('200');
  expect(await resultStatus(tabB)).toBe('200');
  expect(await testId(tabA, 'status').innerText()).toBe('signed-in');
  expect(await testId(tabB, 'status').innerText()).toBe('signed-in');
}

/** Counts the refresh requests the context's pages send. */
function countRefreshes(context: BrowserContext): () => number {
  let count = 0;
  context.on('request', (request) => {
    if (request.method() === 'POST' && new URL(request.url()).pathname === '/auth/refresh') count += 1;
  });
  return () => count;
}

describe('two tabs of the hybrid SPA in Chromium', () => {
  it('refresh at the same moment: one refresh, no reuse detected; sign-out in one tab signs out the other', async () => {
    const { context, watch } = await newWatchedContext(await browser.get());
    contexts.push(context);
    const refreshRequests = countRefreshes(context);
    const { tabA, tabB, userId } = await twoSignedInTabs(context);

    const [session] = await spa.tessera.sessions.listUserSessions(userId);
    expect(session?.carrier).toBe('hybrid');
    const sessionId = session!.id;
    const generation = session!.refreshGeneration;
    const revoked: Revocation[] = [];
    const unsubscribe = spa.tessera.revocationFeed.subscribe((entry) => void revoked.push(entry));
    try {
      await waitForAccessTokenExpiry(tabA);
      const before = refreshRequests();
      await callApiInBothTabs(tabA, tabB);
      // One refresh for the two tabs: the second waited for the Web Lock and used the first's
      // new tokens instead of spending the refresh token again.
      expect(refreshRequests() - before).toBe(1);
      const counts = await Promise.all([tabA, tabB].map(async (tab) => Number(await testId(tab, 'refresh-count').innerText())));
      expect(counts[0]! + counts[1]!, `refresh counts ${counts.join(', ')}`).toBe(1);

      // No reuse detected: the session is alive, rotated once, and nothing revoked it.
      const [after] = await spa.tessera.sessions.listUserSessions(userId);
      expect(after?.id).toBe(sessionId);
      expect(after!.refreshGeneration).toBe(generation + 1);
      expect(revoked.filter((entry) => entry.kind === 'sid' && entry.value === sessionId)).toEqual([]);
      await saveScreenshot(tabB, 'spa-two-tabs');

      // Sign out in tab A: tab B hears it (BroadcastChannel) and shows the sign-in form.
      const names = (await context.cookies()).map((cookie) => cookie.name).sort();
      expect(names).toEqual([spa.tessera.cookieNames.access, spa.tessera.cookieNames.refresh].sort());
      await testId(tabA, 'signout').click();
      await waitForStatus(tabA, 'signed-out');
      await waitForStatus(tabB, 'signed-out', 5_000);
      expect(await tabB.getByText('You were signed out in another tab.').isVisible()).toBe(true);

      // Tab B's next API call is refused, and the session is over at the server.
      watch.allowFailedLoad('/api/echo', 401);
      const status = await tabB.evaluate(async () => (await (globalThis as any).fetch('/api/echo', { method: 'POST' })).status);
      expect(status).toBe(401);
      expect(await spa.tessera.sessions.listUserSessions(userId)).toEqual([]);
      expect(revoked.some((entry) => entry.kind === 'sid' && entry.value === sessionId)).toBe(true);
      // Both token cookies are gone from the browser (the refresh cookie's path is /auth/refresh).
      expect((await context.cookies()).map((cookie) => `${cookie.name} ${cookie.path}`)).toEqual([]);
    } finally {
      unsubscribe();
    }
    expect(watch.problems()).toEqual([]);
  });

  it('without Web Locks (older browsers) both tabs may refresh; the grace window keeps both signed in', async () => {
    const { context, watch } = await newWatchedContext(await browser.get());
    contexts.push(context);
    // As in a browser without the Web Locks API: refreshes are single-flight per tab only.
    await context.addInitScript({ content: "Object.defineProperty(Navigator.prototype, 'locks', { get: () => undefined, configurable: true });" });
    const refreshRequests = countRefreshes(context);
    const { tabA, tabB, userId } = await twoSignedInTabs(context);
    expect(await tabA.evaluate('navigator.locks === undefined')).toBe(true);

    const [session] = await spa.tessera.sessions.listUserSessions(userId);
    const sessionId = session!.id;
    const revoked: Revocation[] = [];
    const unsubscribe = spa.tessera.revocationFeed.subscribe((entry) => void revoked.push(entry));
    try {
      await waitForAccessTokenExpiry(tabA);
      const before = refreshRequests();
      await callApiInBothTabs(tabA, tabB);
      expect(refreshRequests() - before).toBeGreaterThanOrEqual(1);
      // Whether the second tab spent the same refresh token (answered from the grace window) or
      // saw the first tab's message in time, nobody was signed out and nothing was revoked.
      const [after] = await spa.tessera.sessions.listUserSessions(userId);
      expect(after?.id).toBe(sessionId);
      expect(revoked.filter((entry) => entry.kind === 'sid' && entry.value === sessionId)).toEqual([]);
      // And the tabs keep working afterwards.
      await callApiInBothTabs(tabA, tabB);
    } finally {
      unsubscribe();
    }
    expect(watch.problems()).toEqual([]);
  });
});
