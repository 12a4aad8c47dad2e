import { existsSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { send } from '../helpers/http.js';
import type { TestServer } from '../helpers/server.js';
import { createPageBrowser, registerViaForm, startPageServer } from './support.js';

/**
 * Every page renders server-side with the security headers, the landmarks and labels a screen
 * reader needs, and nothing loaded from elsewhere.
 */

let server: TestServer;
beforeAll(async () => {
  server = await startPageServer();
});
afterAll(() => server.close());

const CSP_DIRECTIVES = ["default-src 'self'", "script-src 'self'", "style-src 'self'", "frame-ancestors 'none'", "form-action 'self'", "base-uri 'none'"];

/** Checks the structure every page shares. */
function expectAccessiblePage(page: string): void {
  expect(page).toMatch(/^<!doctype html>\n<html lang="en">/);
  expect(page).toContain('<a class="skip-link" href="#main">');
  expect(page).toMatch(/<header class="site-header">[\s\S]*<nav class="site-nav" aria-label="Main">/);
  expect(page).toContain('<main id="main" tabindex="-1"');
  expect(page).toContain('<meta name="viewport" content="width=device-width, initial-scale=1">');
  // Every visible input has a label pointing at it.
  for (const match of page.matchAll(/<input\b[^>]*>/g)) {
    const tag = match[0];
    if (/type="hidden"/.test(tag) || /\shidden[\s>]/.test(tag)) continue;
    const id = /id="([^"]+)"/.exec(tag)?.[1];
    const wrapped = /type="radio"/.test(tag) && new RegExp(`<label>${escapeRegExp(tag)}`).test(page);
    expect(wrapped || (id !== undefined && page.includes(`<label for="${id}">`)), `label for ${tag}`).toBe(true);
  }
  // No inline script or style (the CSP would refuse them) and nothing from another origin.
  expect(page).not.toMatch(/<script(?![^>]*\ssrc="\/)/);
  expect(page).not.toMatch(/\sstyle="/);
  expect(page).not.toMatch(/<style/);
  expect(page).not.toMatch(/(src|href)="(https?:)?\/\//);
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

describe('hosted pages', () => {
  it.each(['/login', '/register', '/playground'])('%s renders with the security headers', async (path) => {
    const response = await send(server, 'GET', path);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toBe('text/html; charset=utf-8');
    const csp = response.headers.get('content-security-policy') ?? '';
    for (const directive of CSP_DIRECTIVES) expect(csp).toContain(directive);
    expect(response.headers.get('x-frame-options')).toBe('DENY');
    expect(response.headers.get('referrer-policy')).toBe('same-origin');
    expect(response.headers.get('cache-control')).toBe('no-store');
    expect(response.headers.get('x-content-type-options')).toBe('nosniff');
    expectAccessiblePage(response.text);
  });

  it('the account page is accessible and its forms all carry the CSRF token', async () => {
    const { browser } = await registerViaForm(server);
    const response = await browser.get('/account');
    expect(response.status).toBe(200);
    expect(response.headers.get('content-security-policy')).toContain("frame-ancestors 'none'");
    expect(response.headers.get('cache-control')).toBe('no-store');
    expectAccessiblePage(response.text);
    const forms = [...response.text.matchAll(/<form\b[\s\S]*?<\/form>/g)].map((m) => m[0]);
    expect(forms.length).toBeGreaterThanOrEqual(4);
    for (const form of forms) {
      expect(form).toMatch(/method="post"/);
      expect(form).toContain('name="_csrf"');
    }
  });

  it('redirects and error pages carry the headers too', async () => {
    const redirect = await send(server, 'GET', '/account');
    expect(redirect.status).toBe(303);
    expect(redirect.headers.get('location')).toBe('/login?next=%2Faccount');
    expect(redirect.headers.get('x-frame-options')).toBe('DENY');
    const refused = await send(server, 'POST', '/login', { body: 'email=a', headers: { 'content-type': 'application/x-www-form-urlencoded', 'sec-fetch-site': 'cross-site' } });
    expect(refused.status).toBe(403);
    expect(refused.headers.get('content-type')).toContain('text/html');
    expect(refused.headers.get('content-security-policy')).toContain("default-src 'self'");
    expectAccessiblePage(refused.text);
  });

  it('escapes what it echoes and shows only known success messages', async () => {
    const browser = createPageBrowser(server);
    const evil = '"><script>alert(1)</script>@example.com';
    const response = await browser.post('/login', { email: evil, password: 'wrong password!' });
    expect(response.status).toBe(401);
    expect(response.text).not.toContain('<script>alert(1)');
    expect(response.text).toContain('value="&quot;&gt;&lt;script&gt;alert(1)&lt;/script&gt;@example.com"');
    const known = await send(server, 'GET', '/login?done=signed-out');
    expect(known.text).toContain('<p class="flash" role="status">You are signed out.</p>');
    const unknown = await send(server, 'GET', '/login?done=%3Cb%3Ehacked%3C%2Fb%3E');
    expect(unknown.text).not.toContain('class="flash"');
    expect(unknown.text).not.toContain('hacked');
  });

  it('keeps a same-origin next and drops anything else', async () => {
    const kept = await send(server, 'GET', '/login?next=%2Fplayground%3Fx%3D1');
    expect(kept.text).toContain('<input type="hidden" name="next" value="/playground?x=1">');
    expect(kept.text).toContain('href="/register?next=%2Fplayground%3Fx%3D1"');
    for (const next of ['//evil.example/x', 'https://evil.example/', '/\\evil.example', 'javascript:alert(1)', '/\r\nSet-Cookie:x', '/ok\u0000']) {
      const page = await send(server, 'GET', `/login?next=${encodeURIComponent(next)}`);
      expect(page.text, next).not.toContain('name="next"');
    }
  });
});

describe('playground', () => {
  it('shows both columns, the hybrid switch and a text alternative for each diagram', async () => {
    const page = (await send(server, 'GET', '/playground')).text;
    expect(page).toContain('data-carrier="cookie"');
    expect(page).toContain('data-carrier="bearer"');
    expect(page).toContain('value="hybrid"');
    expect(page).toContain('<script type="module" src="/assets/playground.js"></script>');
    for (const id of ['seq-cookie', 'seq-bearer', 'seq-hybrid']) {
      expect(page).toContain(`<svg viewBox="0 0 720`);
      expect(page).toContain(`aria-labelledby="${id}-title"`);
      expect(page).toMatch(new RegExp(`data-diagram="${id}"[\\s\\S]*?<details><summary>[^<]+: the steps as text</summary><ol><li>`));
    }
    expect(page).toContain('<noscript>');
  });

  it('describes the Set-Cookie lines without ever exposing a value', async () => {
    const response = await send(server, 'GET', '/playground/cookie-policy');
    expect(response.status).toBe(200);
    const { cookies } = response.body;
    const names = server.tessera.cookieNames;
    expect(cookies.session).toMatchObject({ name: names.session, path: '/', httpOnly: true, sameSite: 'Lax' });
    expect(cookies.refresh).toMatchObject({ name: names.refresh, path: '/auth/refresh', httpOnly: true });
    expect(cookies.session.line).toMatch(new RegExp(`^${names.session}=<hidden: HttpOnly>; Path=/; Max-Age=\\d+; HttpOnly; SameSite=Lax$`));
    expect(cookies.access.cleared).toContain('Max-Age=0');
  });
});

describe('assets', () => {
  it('serves the stylesheet and the playground modules with revalidation', async () => {
    for (const [path, type] of [['/assets/styles.css', 'text/css'], ['/assets/playground.js', 'text/javascript'], ['/assets/playground-render.js', 'text/javascript']]) {
      const response = await send(server, 'GET', path as string);
      expect(response.status, path).toBe(200);
      expect(response.headers.get('content-type')).toContain(type as string);
      expect(response.headers.get('x-content-type-options')).toBe('nosniff');
      const etag = response.headers.get('etag') ?? '';
      const again = await send(server, 'GET', path as string, { headers: { 'if-none-match': etag } });
      expect(again.status).toBe(304);
    }
  });

  it('serves only plain module names of the compiled SDK', async () => {
    for (const path of ['/assets/client/..%2F..%2Fpackage.json', '/assets/client/%2e%2e', '/assets/client/index.d.ts', '/assets/client/Index.js', '/assets/client/nope.js']) {
      const response = await send(server, 'GET', path);
      expect(response.status, path).toBe(404);
    }
  });

  // The SDK is served from dist/ (npm test builds it first).
  it('serves the compiled SDK the playground imports (needs `npm run build`, which npm test runs first)', async () => {
    expect(existsSync(new URL('../../dist/client/index.js', import.meta.url))).toBe(true);
    const response = await send(server, 'GET', '/assets/client/index.js');
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toContain('text/javascript');
    expect(response.text).toContain('export function createTesseraClient');
    expect(response.text).not.toMatch(/from ['"]node:/);
  });
});
