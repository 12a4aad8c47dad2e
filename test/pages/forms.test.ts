import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { send } from '../helpers/http.js';
import type { TestServer } from '../helpers/server.js';
import { PASSWORD, SAME_ORIGIN, createPageBrowser, registerViaForm, startPageServer, uniqueEmail } from './support.js';

/**
 * Sign-in and registration as plain HTML forms (no JavaScript): they set the session cookie and
 * redirect, re-render with accessible errors, refuse cross-site posts like the JSON API, and
 * keep forms and JSON apart (a form never reaches the API, JSON never reaches a page).
 */

let server: TestServer;
beforeAll(async () => {
  server = await startPageServer();
});
afterAll(() => server.close());

const FORM = { 'content-type': 'application/x-www-form-urlencoded' };

describe('register and sign in without JavaScript', () => {
  it('registers, sets the session cookie and lands on the account page', async () => {
    const email = uniqueEmail();
    const browser = createPageBrowser(server);
    const response = await browser.post('/register', { email, password: PASSWORD });
    expect(response.status).toBe(303);
    expect(response.headers.get('location')).toBe('/account?done=registered');
    const line = response.cookies.find((c) => c.startsWith(`${server.tessera.cookieNames.session}=`)) ?? '';
    expect(line).toMatch(/; Path=\/; Max-Age=\d+; HttpOnly; SameSite=Lax$/);
    const account = await browser.get('/account?done=registered');
    expect(account.status).toBe(200);
    expect(account.text).toContain(`Signed in as <strong>${email}</strong>`);
    expect(account.text).toContain('Your account is ready and you are signed in.');
    expect(account.text).toContain('<span class="badge">This device</span>');
  });

  it('signs in and follows a same-origin next, never another origin', async () => {
    const { email } = await registerViaForm(server);
    const cases: Array<[string, string]> = [
      ['/playground', '/playground'],
      ['//evil.example/x', '/account?done=signed-in'],
      ['https://evil.example/', '/account?done=signed-in'],
      ['/\\evil.example', '/account?done=signed-in'],
    ];
    for (const [next, location] of cases) {
      const response = await createPageBrowser(server).post('/login', { email, password: PASSWORD, next });
      expect(response.status, next).toBe(303);
      expect(response.headers.get('location'), next).toBe(location);
    }
  });

  it('a signed-in visitor skips the forms', async () => {
    const { browser } = await registerViaForm(server);
    const response = await browser.get('/login?next=%2Fplayground');
    expect(response.status).toBe(303);
    expect(response.headers.get('location')).toBe('/playground');
  });

  it('a wrong password re-renders the form with an accessible error and never echoes the password', async () => {
    const { email } = await registerViaForm(server);
    const response = await createPageBrowser(server).post('/login', { email, password: 'not the password' });
    expect(response.status).toBe(401);
    expect(response.cookies).toEqual([]);
    expect(response.text).toMatch(/<div class="error-summary" role="alert"[^>]*>[\s\S]*<a href="#email">The e-mail address or password is wrong.<\/a>/);
    expect(response.text).toMatch(/<input id="email"[^>]*aria-invalid="true" aria-describedby="email-error">/);
    expect(response.text).toContain('<p class="field-error" id="email-error">');
    expect(response.text).toContain(`value="${email}"`);
    expect(response.text).not.toContain('not the password');
  });

  it('shows field errors of registration next to their fields', async () => {
    const short = await createPageBrowser(server).post('/register', { email: 'not-an-address', password: 'short' });
    expect(short.status).toBe(400);
    expect(short.text).toContain('<a href="#email">E-mail address must be an e-mail address.</a>');
    expect(short.text).toContain('<a href="#password">Password must be at least 8 characters.</a>');
    expect(short.text).toMatch(/<input id="password"[^>]*aria-invalid="true" aria-describedby="password-hint password-error">/);

    const { email } = await registerViaForm(server);
    const taken = await createPageBrowser(server).post('/register', { email, password: PASSWORD });
    expect(taken.status).toBe(409);
    expect(taken.text).toContain('An account with this e-mail address already exists.');
  });

  it('a new sign-in replaces the session the browser held (no fixation)', async () => {
    const { browser, email } = await registerViaForm(server);
    const before = browser.cookie;
    expect((await browser.post('/login', { email, password: PASSWORD })).status).toBe(303);
    expect(browser.cookie).not.toBe(before);
    const old = createPageBrowser(server);
    old.cookie = before;
    expect((await old.get('/account')).status).toBe(303);
  });
});

describe('cross-site posts and content types', () => {
  it('refuses a cross-site sign-in or registration and sets no cookie', async () => {
    const { email } = await registerViaForm(server);
    const signals: Array<Record<string, string>> = [
      { 'sec-fetch-site': 'cross-site' },
      { origin: 'https://evil.example' },
      { origin: 'null' },
      { referer: 'https://evil.example/page' },
    ];
    for (const signal of signals) {
      for (const path of ['/login', '/register']) {
        const body = new URLSearchParams({ email: path === '/login' ? email : uniqueEmail(), password: PASSWORD }).toString();
        const response = await send(server, 'POST', path, { body, headers: { ...FORM, ...signal } });
        expect(response.status, JSON.stringify(signal)).toBe(403);
        expect(response.cookies).toEqual([]);
        expect(response.text).toContain('Request refused');
      }
    }
  });

  it('accepts a same-origin Origin and a client without browser signals, like the JSON API', async () => {
    const { email } = await registerViaForm(server);
    const body = new URLSearchParams({ email, password: PASSWORD }).toString();
    for (const headers of [{ origin: server.origin }, {}] as Array<Record<string, string>>) {
      const response = await send(server, 'POST', '/login', { body, headers: { ...FORM, ...headers } });
      expect(response.status).toBe(303);
    }
  });

  it('the JSON API never accepts a form, and the pages never accept JSON', async () => {
    const form = new URLSearchParams({ email: 'a@example.com', password: PASSWORD }).toString();
    const api = await send(server, 'POST', '/auth/login', { body: form, headers: { ...FORM, ...SAME_ORIGIN } });
    expect(api.status).toBe(415);
    expect(api.headers.get('content-type')).toContain('application/problem+json');
    const page = await send(server, 'POST', '/login', { json: { email: 'a@example.com', password: PASSWORD }, headers: SAME_ORIGIN });
    expect(page.status).toBe(415);
    expect(page.headers.get('content-type')).toContain('text/html');
    const plain = await send(server, 'POST', '/login', { body: 'email=a', headers: { 'content-type': 'text/plain', ...SAME_ORIGIN } });
    expect(plain.status).toBe(415);
  });

  it('refuses a field sent twice and an oversized field', async () => {
    const twice = await send(server, 'POST', '/login', { body: 'email=a%40example.com&password=x&password=y', headers: { ...FORM, ...SAME_ORIGIN } });
    expect(twice.status).toBe(400);
    const long = await createPageBrowser(server).post('/login', { email: 'a@example.com', password: 'x'.repeat(5000) });
    expect(long.status).toBe(400);
    expect(long.text).toContain('Password must be at most 4096 characters.');
  });
});

describe('rate limiting', () => {
  it('answers 429 with Retry-After on the form', async () => {
    const limited = await startPageServer({ rateLimit: { loginPerAccount: { limit: 2, windowMs: 60_000 } } });
    try {
      const { email } = await registerViaForm(limited);
      for (let i = 0; i < 2; i++) expect((await createPageBrowser(limited).post('/login', { email, password: 'wrong password' })).status).toBe(401);
      const response = await createPageBrowser(limited).post('/login', { email, password: PASSWORD });
      expect(response.status).toBe(429);
      expect(Number(response.headers.get('retry-after'))).toBeGreaterThan(0);
      expect(response.text).toContain('Too many attempts. Try again in 1 minute.');
    } finally {
      await limited.close();
    }
  });
});

describe('deployments without the cookie carrier', () => {
  it('serve no sign-in pages, as the API would refuse the carrier', async () => {
    const tokensOnly = await startPageServer({ carriers: { mobile: 'bearer', spa: 'hybrid' } });
    try {
      for (const path of ['/login', '/register', '/account']) expect((await send(tokensOnly, 'GET', path)).status, path).toBe(404);
      expect((await send(tokensOnly, 'GET', '/playground')).status).toBe(200);
    } finally {
      await tokensOnly.close();
    }
  });
});
