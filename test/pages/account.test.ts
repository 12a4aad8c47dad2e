import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { send } from '../helpers/http.js';
import type { TestServer } from '../helpers/server.js';
import { PASSWORD, createPageBrowser, csrfOf, otherSessionIds, registerViaForm, signInViaForm, startPageServer } from './support.js';

/**
 * The account page without JavaScript: devices with sign-out, sign out everywhere, change
 * password, sign out. Every form needs the session-bound `_csrf` token and a same-origin
 * signal; a refused form changes nothing.
 */

let server: TestServer;
beforeAll(async () => {
  server = await startPageServer();
});
afterAll(() => server.close());

const FIREFOX = 'Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0';

/** A user signed in twice: `here` (registered) and `there` (a second device). */
async function twoDevices() {
  const { browser: here, email } = await registerViaForm(server);
  const there = await signInViaForm(server, email, PASSWORD, FIREFOX);
  const page = (await here.get('/account')).text;
  return { here, there, email, csrf: csrfOf(page), otherId: otherSessionIds(page)[0] as string, page };
}

const signedIn = async (browser: ReturnType<typeof createPageBrowser>): Promise<boolean> => (await browser.get('/account')).status === 200;

describe('account page', () => {
  it('lists the devices with the current one marked, and the CSRF token is the session’s', async () => {
    const { here, page, csrf } = await twoDevices();
    expect(page).toContain('<span class="badge">This device</span>');
    expect(page).toContain('Firefox on Linux');
    expect(page).toMatch(/<td data-label="Last seen"><time datetime="[^"]+">/);
    const token = here.cookie?.split('=')[1] ?? '';
    const sessionId = token.slice(0, token.indexOf('.'));
    expect(csrf).toBe(server.tessera.csrfTokenFor(sessionId));
    // The session's secret never appears on the page, and its id travels in form bodies only.
    expect(page).not.toContain(token);
    expect(page).not.toMatch(/action="[^"]*sessions\/[A-Za-z0-9_-]{10,}/);
  });

  it('refuses a form without the right _csrf or from another site, and nothing changes', async () => {
    const { here, there, csrf, otherId } = await twoDevices();
    const stranger = await registerViaForm(server);
    const strangerCsrf = csrfOf((await stranger.browser.get('/account')).text);
    const attempts: Array<[string, Record<string, string>, Record<string, string>]> = [
      ['/account/logout-all', {}, {}],
      ['/account/logout-all', { _csrf: 'x'.repeat(43) }, {}],
      ['/account/logout-all', { _csrf: strangerCsrf }, {}], // another session's token
      ['/account/logout-all', { _csrf: csrf }, { 'sec-fetch-site': 'cross-site' }],
      ['/account/logout', { _csrf: csrf }, { 'sec-fetch-site': 'same-site' }],
      ['/account/sessions/revoke', { session: otherId }, {}],
      ['/account/password', { currentPassword: PASSWORD, newPassword: 'a brand new passphrase' }, {}],
    ];
    for (const [path, fields, headers] of attempts) {
      const response = await here.post(path, fields, headers);
      expect(response.status, `${path} ${JSON.stringify(headers)}`).toBe(403);
      expect(response.text).toContain('This form has expired');
    }
    // Without any browser signal the cookie is not enough either (DESIGN §4).
    const bare = await send(server, 'POST', '/account/logout-all', {
      body: new URLSearchParams({ _csrf: csrf }).toString(),
      headers: { 'content-type': 'application/x-www-form-urlencoded', cookie: here.cookie ?? '' },
    });
    expect(bare.status).toBe(403);
    expect(await signedIn(here)).toBe(true);
    expect(await signedIn(there)).toBe(true);
  });

  it('signs out this device', async () => {
    const { here, there, csrf } = await twoDevices();
    const old = here.cookie;
    const response = await here.post('/account/logout', { _csrf: csrf });
    expect(response.status).toBe(303);
    expect(response.headers.get('location')).toBe('/login?done=signed-out');
    expect(response.cookies.some((line) => /Max-Age=0/.test(line))).toBe(true);
    const replay = createPageBrowser(server);
    replay.cookie = old;
    expect(await signedIn(replay)).toBe(false);
    expect(await signedIn(there)).toBe(true);
  });

  it('signs out everywhere', async () => {
    const { here, there, csrf } = await twoDevices();
    const response = await here.post('/account/logout-all', { _csrf: csrf });
    expect(response.headers.get('location')).toBe('/login?done=signed-out-everywhere');
    expect(await signedIn(here)).toBe(false);
    expect(await signedIn(there)).toBe(false);
  });

  it('signs out another device with a recent sign-in', async () => {
    const { here, there, csrf, otherId } = await twoDevices();
    const response = await here.post('/account/sessions/revoke', { _csrf: csrf, session: otherId });
    expect(response.status).toBe(303);
    expect(response.headers.get('location')).toBe('/account?done=session-revoked');
    expect(await signedIn(there)).toBe(false);
    expect(await signedIn(here)).toBe(true);
    const again = await here.post('/account/sessions/revoke', { _csrf: csrf, session: otherId });
    expect(again.status).toBe(404);
    expect(again.text).toContain('That device is already signed out.');
  });

  it('asks for the password before signing out another device after the window', async () => {
    const { here, there, csrf, otherId } = await twoDevices();
    server.clock.advance(server.tessera.config.session.reauthenticationWindowMs + 60_000);
    const asked = await here.post('/account/sessions/revoke', { _csrf: csrf, session: otherId });
    expect(asked.status).toBe(403);
    expect(asked.text).toContain('Confirm it is you');
    expect(asked.text).toMatch(/<form method="post" action="\/account\/reauthenticate" novalidate><input type="hidden" name="_csrf" value="[^"]+">\n<input type="hidden" name="session" value="[^"]+">/);
    expect(asked.text).toContain('<a href="#confirm-password">Confirm your password to sign out that device.</a>');
    expect(await signedIn(there)).toBe(true);

    const wrong = await here.post('/account/reauthenticate', { _csrf: csrf, session: otherId, password: 'wrong password' });
    expect(wrong.status).toBe(401);
    expect(wrong.text).toMatch(/<input id="confirm-password"[^>]*aria-invalid="true"/);
    expect(await signedIn(there)).toBe(true);

    const confirmed = await here.post('/account/reauthenticate', { _csrf: csrf, session: otherId, password: PASSWORD });
    expect(confirmed.status).toBe(303);
    expect(confirmed.headers.get('location')).toBe('/account?done=session-revoked');
    expect(await signedIn(there)).toBe(false);
  });

  it('changes the password: errors on the fields, then a fresh session and every other one ended', async () => {
    const { here, there, csrf, email } = await twoDevices();
    const wrong = await here.post('/account/password', { _csrf: csrf, currentPassword: 'not it', newPassword: 'another long passphrase' });
    expect(wrong.status).toBe(401);
    expect(wrong.text).toContain('<a href="#current-password">The current password is wrong.</a>');
    expect(wrong.text).toMatch(/<input id="current-password"[^>]*aria-invalid="true" aria-describedby="current-password-error">/);
    const short = await here.post('/account/password', { _csrf: csrf, currentPassword: PASSWORD, newPassword: 'short' });
    expect(short.status).toBe(400);
    expect(short.text).toContain('<a href="#new-password">New password must be at least 8 characters.</a>');

    const old = here.cookie;
    const changed = await here.post('/account/password', { _csrf: csrf, currentPassword: PASSWORD, newPassword: 'another long passphrase' });
    expect(changed.status).toBe(303);
    expect(changed.headers.get('location')).toBe('/account?done=password-changed');
    expect(here.cookie).not.toBe(old);
    const page = await here.get('/account?done=password-changed');
    expect(page.text).toContain('Your password was changed.');
    expect(csrfOf(page.text)).not.toBe(csrf); // a new session, a new token
    expect(await signedIn(there)).toBe(false);
    const replay = createPageBrowser(server);
    replay.cookie = old;
    expect(await signedIn(replay)).toBe(false);
    expect((await createPageBrowser(server).post('/login', { email, password: 'another long passphrase' })).status).toBe(303);
  });

  it('a dead cookie is cleared on the way to the sign-in page; a bearer header signs nobody in here', async () => {
    const stale = createPageBrowser(server);
    stale.cookie = `${server.tessera.cookieNames.session}=${'A'.repeat(22)}.${'B'.repeat(43)}`;
    const response = await stale.get('/account');
    expect(response.status).toBe(303);
    expect(response.headers.get('location')).toBe('/login?next=%2Faccount');
    expect(response.cookies.some((line) => /Max-Age=0/.test(line))).toBe(true);

    const { email } = await registerViaForm(server);
    const login = await send(server, 'POST', '/auth/login', { json: { email, password: PASSWORD, carrier: 'bearer' } });
    const bearer = await send(server, 'GET', '/account', { headers: { authorization: `Bearer ${login.body.access_token}` } });
    expect(bearer.status).toBe(303);
  });
});
