import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ManagedProcess, requireBuild, spawnProcess } from '../support/processes.js';

/**
 * examples/ssr-cookie, started with its one command (`node examples/ssr-cookie/server.mjs`) on
 * a free port and a temporary data directory, driven over HTTP like a browser: the hosted
 * sign-in form, the app's own /notes page and its `_csrf` form, and the cross-site posts the
 * CSRF rule must refuse.
 */

const PASSWORD = 'correct horse battery staple';

let dataDir: string;
let server: ManagedProcess | undefined;
let url: string;

interface Reply {
  readonly status: number;
  readonly headers: Headers;
  readonly text: string;
  readonly cookies: string[];
}

async function call(path: string, init: { method?: string; headers?: Record<string, string>; body?: string } = {}): Promise<Reply> {
  const response = await fetch(url + path, { method: init.method ?? 'GET', headers: init.headers, body: init.body, redirect: 'manual' });
  return { status: response.status, headers: response.headers, text: await response.text(), cookies: response.headers.getSetCookie() };
}

/** A url-encoded form body (repeated names allowed, for the ambiguity test). */
function form(fields: ReadonlyArray<readonly [string, string]>): string {
  return new URLSearchParams(fields.map(([name, value]): [string, string] => [name, value])).toString();
}

const FORM = 'application/x-www-form-urlencoded';

/** The session cookie (`name=value`) from a sign-in reply. */
function sessionCookie(reply: Reply): string {
  const line = reply.cookies.find((cookie) => cookie.startsWith('tessera_session='));
  if (!line) throw new Error(`no session cookie in ${reply.status} ${reply.text}`);
  return line.split(';')[0]!;
}

/** The hidden `_csrf` value of the first form on a page. */
function csrfField(html: string): string {
  const match = /name="_csrf" value="([^"]+)"/.exec(html);
  if (!match) throw new Error(`no _csrf field in:\n${html}`);
  return match[1]!;
}

/** Registers through Tessera's hosted /register form (as a browser would) and returns the cookie. */
async function registerWithForm(email: string): Promise<string> {
  const reply = await call('/register', {
    method: 'POST',
    headers: { 'content-type': FORM, 'sec-fetch-site': 'same-origin' },
    body: form([['email', email], ['password', PASSWORD], ['next', '/notes']]),
  });
  expect(reply.status, reply.text).toBe(303);
  expect(reply.headers.get('location')).toBe('/notes');
  return sessionCookie(reply);
}

let counter = 0;
const uniqueEmail = (): string => `ssr-${process.pid}-${++counter}@example.com`;

/** Posts a note the way the page's form does: cookie, `_csrf`, and the browser's Origin. */
function postNote(cookie: string, fields: ReadonlyArray<readonly [string, string]>, headers: Record<string, string> = { origin: url }): Promise<Reply> {
  return call('/notes', { method: 'POST', headers: { cookie, 'content-type': FORM, ...headers }, body: form(fields) });
}

beforeAll(async () => {
  requireBuild();
  dataDir = mkdtempSync(join(tmpdir(), 'tessera-ssr-example-'));
  server = spawnProcess({
    name: 'ssr-cookie example',
    command: process.execPath,
    args: ['examples/ssr-cookie/server.mjs'],
    env: { PORT: '0', TESSERA_DATA_DIR: dataDir, TESSERA_LOG_LEVEL: 'warn' },
  });
  // Well under a second on an idle machine; the margin is for a CI machine busy with Chromium.
  const match = await server.waitForOutput(/listening on (http:\/\/[^\s]+)/, 60_000);
  url = match[1]!;
}, 90_000);

afterAll(async () => {
  await server?.stop();
  if (dataDir) rmSync(dataDir, { recursive: true, force: true });
});

describe('examples/ssr-cookie', () => {
  it('serves a public home page without scripts, under a strict CSP', async () => {
    const home = await call('/');
    expect(home.status).toBe(200);
    expect(home.headers.get('content-type')).toMatch(/^text\/html/);
    expect(home.headers.get('content-security-policy')).toContain("default-src 'none'");
    expect(home.headers.get('cache-control')).toBe('no-store');
    expect(home.text).toContain('href="/login?next=%2Fnotes"');
    expect(home.text).not.toMatch(/<script/i);
  });

  it("sends a signed-out visitor from /notes to Tessera's sign-in page, which brings them back", async () => {
    const notes = await call('/notes');
    expect(notes.status).toBe(303);
    expect(notes.headers.get('location')).toBe('/login?next=%2Fnotes');
    const login = await call('/login?next=%2Fnotes');
    expect(login.status).toBe(200);
    expect(login.text).toContain('<input type="hidden" name="next" value="/notes">');
  });

  it('signs in through the hosted form, lists notes added with the _csrf field, escapes them', async () => {
    const cookie = await registerWithForm(uniqueEmail());
    const page = await call('/notes', { headers: { cookie } });
    expect(page.status).toBe(200);
    expect(page.text).toContain('No notes yet.');
    const csrf = csrfField(page.text);
    // The field is the session's CSRF token, the same one Tessera's API hands out.
    const api = await call('/auth/csrf', { headers: { cookie } });
    expect(JSON.parse(api.text).csrfToken).toBe(csrf);

    const added = await postNote(cookie, [['text', 'Buy <b>milk</b>'], ['_csrf', csrf]]);
    expect(added.status, added.text).toBe(303);
    expect(added.headers.get('location')).toBe('/notes');
    const after = await call('/notes', { headers: { cookie } });
    expect(after.text).toContain('Buy &lt;b&gt;milk&lt;/b&gt;');
    expect(after.text).not.toContain('<b>milk</b>');

    // Sec-Fetch-Site alone (modern browsers) is as good a same-origin signal as Origin.
    const viaFetchMetadata = await postNote(cookie, [['text', 'second'], ['_csrf', csrf]], { 'sec-fetch-site': 'same-origin' });
    expect(viaFetchMetadata.status).toBe(303);
  });

  it('takes a session from the JSON API as well (one session model)', async () => {
    const email = uniqueEmail();
    const json = { 'content-type': 'application/json' };
    expect((await call('/auth/register', { method: 'POST', headers: json, body: JSON.stringify({ email, password: PASSWORD }) })).status).toBe(201);
    const login = await call('/auth/login', { method: 'POST', headers: json, body: JSON.stringify({ email, password: PASSWORD }) });
    expect(login.status).toBe(200);
    const cookie = sessionCookie(login);
    const page = await call('/notes', { headers: { cookie } });
    expect(page.status).toBe(200);
    expect(csrfField(page.text)).toBe(JSON.parse(login.text).csrfToken);
  });

  it('refuses a note without _csrf, or with another session\'s token (403)', async () => {
    const cookie = await registerWithForm(uniqueEmail());
    const other = await registerWithForm(uniqueEmail());
    const otherToken = csrfField((await call('/notes', { headers: { cookie: other } })).text);

    const missing = await postNote(cookie, [['text', 'no token']]);
    expect(missing.status).toBe(403);
    expect(missing.headers.get('content-type')).toMatch(/^text\/html/);
    expect(missing.text).toContain('csrf_rejected');
    const foreign = await postNote(cookie, [['text', 'wrong token'], ['_csrf', otherToken]]);
    expect(foreign.status).toBe(403);
    expect((await call('/notes', { headers: { cookie } })).text).toContain('No notes yet.');
  });

  it('refuses a cross-site post even with the right _csrf (403)', async () => {
    const cookie = await registerWithForm(uniqueEmail());
    const csrf = csrfField((await call('/notes', { headers: { cookie } })).text);
    const fields = [['text', 'forged'], ['_csrf', csrf]] as const;
    const attempts: Array<Record<string, string>> = [
      { 'sec-fetch-site': 'cross-site', origin: 'https://evil.example' },
      // Another origin on the same host (cookies ignore ports): same-site is not trusted by default.
      { 'sec-fetch-site': 'same-site', origin: url.replace(/:\d+$/, ':1') },
      { origin: 'https://evil.example' }, // a browser without Fetch Metadata
      { origin: 'null' }, // sandboxed frames, some redirects
      { referer: 'https://evil.example/page' },
      {}, // no signal at all: a cookie-carrying POST must prove it comes from us
    ];
    for (const headers of attempts) {
      const reply = await postNote(cookie, fields, headers);
      expect(reply.status, JSON.stringify(headers)).toBe(403);
      expect(reply.text).toContain('csrf_rejected');
    }
    expect((await call('/notes', { headers: { cookie } })).text).not.toContain('forged');
  });

  it('parses forms only on its own routes: the JSON API still refuses them, /notes refuses JSON and repeated fields', async () => {
    const toApi = await call('/auth/login', {
      method: 'POST',
      headers: { 'content-type': FORM },
      body: form([['email', 'a@example.com'], ['password', PASSWORD]]),
    });
    expect(toApi.status).toBe(415);

    const cookie = await registerWithForm(uniqueEmail());
    const csrf = csrfField((await call('/notes', { headers: { cookie } })).text);
    const json = await call('/notes', {
      method: 'POST',
      headers: { cookie, origin: url, 'content-type': 'application/json', 'x-csrf-token': csrf },
      body: JSON.stringify({ text: 'json' }),
    });
    expect(json.status).toBe(415);
    const repeated = await postNote(cookie, [['text', 'twice'], ['_csrf', csrf], ['_csrf', csrf]]);
    expect(repeated.status).toBe(400);
    const empty = await postNote(cookie, [['text', '   '], ['_csrf', csrf]]);
    expect(empty.status).toBe(400);
    expect(empty.text).toContain('Write something first.');
  });

  it("signs out through Tessera's /account/logout form; the old cookie then opens nothing", async () => {
    const cookie = await registerWithForm(uniqueEmail());
    const page = await call('/notes', { headers: { cookie } });
    expect(page.text).toContain('action="/account/logout"');
    const out = await call('/account/logout', {
      method: 'POST',
      headers: { cookie, 'content-type': FORM, origin: url },
      body: form([['_csrf', csrfField(page.text)]]),
    });
    expect(out.status).toBe(303);
    expect(out.headers.get('location')).toBe('/login?done=signed-out');
    const after = await call('/notes', { headers: { cookie } });
    expect(after.status).toBe(303);
    expect(after.headers.get('location')).toBe('/login?next=%2Fnotes');
    const post = await postNote(cookie, [['text', 'late'], ['_csrf', csrfField(page.text)]]);
    expect(post.status).toBe(401);
  });

  it('stops cleanly on SIGTERM', async () => {
    const started = Date.now();
    await server!.stop(10_000);
    // Well inside the grace period: it closed itself, it was not SIGKILLed.
    expect(Date.now() - started).toBeLessThan(5_000);
    expect(server!.running).toBe(false);
    expect(server!.logs()).not.toMatch(/"level":(50|60)|Error:/);
  });
});
