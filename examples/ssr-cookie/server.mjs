#!/usr/bin/env node
/**
 * Server-rendered app on the COOKIE carrier: Tessera's hosted /login, /register and /account
 * pages and this app's own pages on one Fastify instance, one origin.
 *
 *   node examples/ssr-cookie/server.mjs          (run `npm run build` first)
 *
 * Environment: PORT (default 4000; 0 = any free port), HOST (default 127.0.0.1),
 * TESSERA_DATA_DIR (default ./.tessera-ssr), TESSERA_PUBLIC_URL (when behind a proxy) and every
 * other variable `tessera serve` reads.
 *
 * What it shows:
 *  - `requireAuth` / `optionalAuth` from `tessera/middleware/fastify` on the app's own routes;
 *  - a form with a hidden `_csrf` field (`tessera.csrfTokenFor(session.id)`), read by the
 *    middleware from the parsed form body;
 *  - a form parser scoped to the app's routes, so Tessera's JSON API never accepts a form;
 *  - a cross-site POST refused with 403 `csrf_rejected`, even with a stolen CSRF token (see
 *    README.md for the curl commands).
 */
import { realpathSync } from 'node:fs';
import { URLSearchParams, pathToFileURL } from 'node:url';
import { BadRequestError } from '../../dist/index.js';
import { optionalAuth, requireAuth } from '../../dist/middleware/fastify.js';
import { startServer } from '../../dist/index.js';

const MAX_NOTE = 500;
const MAX_NOTES_PER_USER = 100;
const FORM_TYPE = 'application/x-www-form-urlencoded';

/**
 * Security headers of the app's pages. No script at all (`script-src` falls back to 'none');
 * the stylesheet is Tessera's. `Referrer-Policy: same-origin`, not `no-referrer`: under
 * `no-referrer` browsers send `Origin: null` with same-origin form posts, which the CSRF rule
 * must refuse, so our own forms would break in browsers without `Sec-Fetch-Site`.
 */
const PAGE_HEADERS = {
  'content-security-policy':
    "default-src 'none'; style-src 'self'; img-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
  'x-frame-options': 'DENY',
  'referrer-policy': 'same-origin',
  'x-content-type-options': 'nosniff',
  // Pages carry per-user data and CSRF tokens: no cache may keep them.
  'cache-control': 'no-store',
};

/** Escapes text for HTML text and double-quoted attributes. */
function escapeHtml(value) {
  return String(value).replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]);
}

/** The page shell (Tessera's stylesheet, no scripts). `body` is already-escaped HTML. */
function renderPage(title, body) {
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(title)} · Notes</title>
<link rel="icon" href="/assets/favicon.svg" type="image/svg+xml">
<link rel="stylesheet" href="/assets/styles.css">
</head>
<body>
<header class="site-header"><div class="bar"><a class="brand" href="/">Notes</a>
<nav class="site-nav" aria-label="Main"><ul><li><a href="/notes">Your notes</a></li><li><a href="/account">Your account</a></li></ul></nav></div></header>
<main id="main" class="narrow">
${body}
</main>
</body>
</html>
`;
}

/**
 * A url-encoded form parser for this plugin scope only. Tessera's API is JSON-only on purpose:
 * a cross-site HTML form can post url-encoded bodies without a CORS preflight. Registering the
 * parser inside our scope keeps it away from /auth/*. Fields go into a null-prototype object
 * (a field named `__proto__` is just a field) and a repeated field is refused: which of two
 * `_csrf` values would win is ambiguous.
 */
function useFormParser(scope) {
  scope.removeAllContentTypeParsers();
  scope.addContentTypeParser(FORM_TYPE, { parseAs: 'string', bodyLimit: 8 * 1024 }, (_request, body, done) => {
    const fields = Object.create(null);
    for (const [name, value] of new URLSearchParams(body)) {
      if (Object.hasOwn(fields, name)) return done(new BadRequestError('bad_request', 'A form field was sent twice.'));
      fields[name] = value;
    }
    done(null, fields);
  });
}

/** What a person is told for the refusals a form post can meet. */
const PROBLEM_TEXT = {
  csrf_rejected: 'This form was sent from another site, or it belonged to an earlier session. Go back, reload the page and try again.',
  unsupported_media_type: 'This page accepts ordinary HTML form posts only.',
};

/**
 * The middleware answers like Tessera's API: problem+json. On HTML pages a person should see a
 * page instead: a signed-out (or expired) visitor asking for a page goes to Tessera's sign-in
 * page and comes back (`next`); any other refusal (403 `csrf_rejected`, …) keeps its status and
 * becomes a short HTML page.
 */
function presentProblemsAsPages(scope) {
  scope.addHook('onSend', async (request, reply, payload) => {
    reply.headers(PAGE_HEADERS);
    const type = String(reply.getHeader('content-type') ?? '');
    if (!type.startsWith('application/problem+json')) return payload;
    let problem = {};
    try {
      problem = JSON.parse(String(payload));
    } catch {
      // Not ours to parse: show the generic text.
    }
    if (reply.statusCode === 401 && request.method === 'GET') {
      // /login also clears a dead session cookie, so the next visit is simply signed out.
      reply.code(303).header('location', `/login?next=${encodeURIComponent(request.url)}`).removeHeader('www-authenticate');
      reply.type('text/html; charset=utf-8');
      return renderPage('Sign in', '<p><a href="/login">Sign in</a> to continue.</p>');
    }
    reply.type('text/html; charset=utf-8');
    const text = PROBLEM_TEXT[problem.code] ?? problem.detail ?? 'The request was refused.';
    return renderPage(
      'Request refused',
      `<h1>Request refused</h1><p>${escapeHtml(text)}</p><p class="muted">Code: <code>${escapeHtml(problem.code ?? 'unknown')}</code></p><p><a href="/notes">Back to your notes</a></p>`,
    );
  });
}

/** The app's data: notes per user id, in memory (a real app has a database). */
function createNoteBook() {
  const byUser = new Map();
  let next = 0;
  return {
    list: (userId) => byUser.get(userId) ?? [],
    add(userId, text) {
      const notes = byUser.get(userId) ?? [];
      notes.unshift({ id: ++next, text, createdAt: new Date() });
      notes.length = Math.min(notes.length, MAX_NOTES_PER_USER);
      byUser.set(userId, notes);
    },
  };
}

/** Registers the app's pages: `/` (public) and `/notes` (signed in). */
function registerNotesApp(scope, tessera) {
  const notes = createNoteBook();
  // Created once: options are validated at start-up, not on the first request.
  const signedIn = requireAuth(tessera);
  const maybeSignedIn = optionalAuth(tessera);

  useFormParser(scope);
  presentProblemsAsPages(scope);

  scope.get('/', { preHandler: maybeSignedIn }, async (request, reply) => {
    const auth = request.auth;
    const who = auth
      ? `<p>Signed in as <strong>${escapeHtml(auth.user.email)}</strong>. <a href="/notes">Open your notes</a> or manage your devices on <a href="/account">your account</a>.</p>`
      : '<p><a href="/login?next=%2Fnotes">Sign in</a> or <a href="/register?next=%2Fnotes">create an account</a> to keep notes.</p>';
    return reply.type('text/html; charset=utf-8').send(
      renderPage(
        'Home',
        `<h1>Notes</h1>
<p>A server-rendered app on Tessera's <strong>cookie</strong> carrier: an HttpOnly session cookie, and a CSRF token in every form.</p>
${who}`,
      ),
    );
  });

  const notesPage = (auth, { error = '', draft = '' } = {}) => {
    // The session-bound CSRF token (an HMAC of the session id): a page on another site cannot
    // read it, and it is useless with any other session.
    const csrf = escapeHtml(tessera.csrfTokenFor(auth.session.id));
    const items = notes
      .list(auth.user.id)
      .map((note) => `<li><time datetime="${note.createdAt.toISOString()}">${escapeHtml(note.createdAt.toISOString().slice(0, 16).replace('T', ' '))}</time> ${escapeHtml(note.text)}</li>`)
      .join('\n');
    return renderPage(
      'Your notes',
      `<h1>Your notes</h1>
<p>Signed in as <strong>${escapeHtml(auth.user.email)}</strong>.</p>
${error ? `<div class="error-summary" role="alert"><p>${escapeHtml(error)}</p></div>` : ''}
<form method="post" action="/notes" class="card">
<input type="hidden" name="_csrf" value="${csrf}">
<div class="field"><label for="text">New note</label>
<textarea id="text" name="text" rows="3" cols="50" maxlength="${MAX_NOTE}" required>${escapeHtml(draft)}</textarea></div>
<button type="submit">Add note</button>
</form>
<ul class="entries" aria-label="Notes">
${items || '<li class="muted">No notes yet.</li>'}
</ul>
<form method="post" action="/account/logout" class="inline-form">
<input type="hidden" name="_csrf" value="${csrf}">
<button type="submit" class="secondary">Sign out</button>
</form>`,
    );
  };

  scope.get('/notes', { preHandler: signedIn }, async (request, reply) =>
    reply.type('text/html; charset=utf-8').send(notesPage(request.auth)),
  );

  // By the time this handler runs, requireAuth has checked the session cookie, the `_csrf`
  // field against the session, and the same-origin signal (Sec-Fetch-Site, else Origin/Referer).
  scope.post('/notes', { preHandler: signedIn }, async (request, reply) => {
    const text = typeof request.body?.text === 'string' ? request.body.text.trim() : '';
    if (text.length === 0 || text.length > MAX_NOTE) {
      const error = text.length === 0 ? 'Write something first.' : `A note has at most ${MAX_NOTE} characters.`;
      return reply.code(400).type('text/html; charset=utf-8').send(notesPage(request.auth, { error, draft: text.slice(0, MAX_NOTE) }));
    }
    notes.add(request.auth.user.id, text);
    // Post/redirect/get: reloading the list does not post the note again.
    return reply.redirect('/notes', 303);
  });
}

/**
 * Starts the example: Tessera plus the notes app on one port.
 *
 * @param {{ port?: number, dataDir?: string, env?: Record<string, string | undefined> }} [options]
 * @returns {Promise<{ url: string, tessera: import('../../dist/index.js').Tessera, close(): Promise<void> }>}
 */
export async function startSsrExample({ port = 4000, dataDir = '.tessera-ssr', env = {} } = {}) {
  // startServer's `configure` adds the app's routes to Tessera's own Fastify instance before it
  // listens: one origin for the app and Tessera, which the cookie carrier and CSRF need.
  const server = await startServer({
    env: { HOST: '127.0.0.1', ...env, PORT: String(port), TESSERA_DATA_DIR: dataDir },
    configure: async (app, tessera) => {
      app.decorateRequest('auth', null);
      await app.register(async (scope) => registerNotesApp(scope, tessera));
    },
  });
  return { url: server.url, tessera: server.tessera, close: server.close };
}

/** True when this file is the program being run (not imported by a test). */
function isMain() {
  try {
    return process.argv[1] !== undefined && import.meta.url === pathToFileURL(realpathSync(process.argv[1])).href;
  } catch {
    return false;
  }
}

if (isMain()) {
  const env = process.env;
  const example = await startSsrExample({
    port: env.PORT === undefined || env.PORT === '' ? 4000 : Number(env.PORT),
    dataDir: env.TESSERA_DATA_DIR || '.tessera-ssr',
    env,
  });
  console.log(`ssr-cookie example listening on ${example.url} — open ${example.url}/ in a browser`);
  const stop = () => {
    example.close().then(
      () => process.exit(0),
      (error) => {
        console.error(error);
        process.exit(1);
      },
    );
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
}
