import type { FastifyInstance } from 'fastify';
import type { RouteContext } from '../app.js';
import { REFRESH_PATH, serializeClearedCookie, serializeClearedTokenCookies, serializeSessionCookie, serializeTokenCookies } from '../cookies.js';
import { type SafeHtml, html } from './html.js';
import { renderPage } from './layout.js';
import { pageSession, sendHtml } from './page-support.js';
import { carrierFlows, renderSequence } from './sequence-diagram.js';

/**
 * /playground: the session cookie and the tokens side by side against this live server, and
 * /playground/cookie-policy, which tells the page how Tessera's Set-Cookie lines look. Fetch
 * never shows Set-Cookie to scripts, and the cookies are HttpOnly precisely so that no script
 * can read them; so the policy comes from the real serialisers with the value replaced —
 * values are never exposed.
 */

const HIDDEN = '<hidden: HttpOnly>';

/** Adds the playground page and its cookie-policy endpoint. */
export function registerPlaygroundPage(scope: FastifyInstance, ctx: RouteContext): void {
  const { tessera } = ctx;
  const { config, cookieNames: names } = tessera;
  const flows = carrierFlows(names);

  scope.get('/playground/cookie-policy', async (_request, reply) => {
    const t = config.tokens;
    const [access, refresh] = serializeTokenCookies(names, { accessToken: HIDDEN, refreshToken: HIDDEN, expiresIn: Math.floor(t.accessTokenTtlMs / 1000) }, t.refreshAbsoluteLifetimeMs, config);
    const [accessCleared, refreshCleared] = serializeClearedTokenCookies(names, config);
    const attributes = { httpOnly: true, sameSite: config.cookie.sameSite === 'strict' ? 'Strict' : 'Lax', secure: config.cookie.secure };
    return reply.header('cache-control', 'no-store').send({
      note: 'Cookie values are never shown: the cookies are HttpOnly, so scripts cannot read them, and fetch never exposes Set-Cookie.',
      cookies: {
        session: { name: names.session, path: '/', maxAge: Math.floor(config.session.absoluteLifetimeMs / 1000), ...attributes, line: serializeSessionCookie(names.session, HIDDEN, config.session.absoluteLifetimeMs, config), cleared: serializeClearedCookie(names.session, config) },
        access: { name: names.access, path: '/', maxAge: Math.floor(t.accessTokenTtlMs / 1000), ...attributes, line: access, cleared: accessCleared },
        refresh: { name: names.refresh, path: REFRESH_PATH, maxAge: Math.floor(t.refreshAbsoluteLifetimeMs / 1000), ...attributes, line: refresh, cleared: refreshCleared },
      },
      accessTokenTtlSeconds: Math.floor(t.accessTokenTtlMs / 1000),
      reauthenticationWindowSeconds: Math.floor(config.session.reauthenticationWindowMs / 1000),
    });
  });

  scope.get('/playground', async (request, reply) => {
    const { auth } = await pageSession(ctx, request);
    const page = renderPage(
      { title: 'Playground', page: 'playground', signedIn: auth !== null, scripts: ['/assets/playground.js'] },
      html`<h1>Playground: session cookie and tokens, side by side</h1>
<p>Each column signs in to the same demo account on this live server, the way a real client would, and shows every request it sends and every answer it gets. The left column uses the <strong>session cookie</strong> (or, switched, the <strong>hybrid</strong> carrier: tokens in HttpOnly cookies); the right one uses <strong>tokens</strong> with an <code>Authorization: Bearer</code> header.</p>
<noscript><p class="error-summary">The playground needs JavaScript. The sign-in, registration and account pages do not; the diagrams below describe each flow.</p></noscript>
<section class="card" aria-labelledby="demo-title">
<h2 id="demo-title">Demo account</h2>
<p>Created on the first sign-in with a random address: <code data-demo-email>not created yet</code>. Its random password lives only in this page's memory.</p>
<p class="muted">Signing the left column in replaces any session cookie this browser holds (a new session on every sign-in), so you may have to sign in to your own account again afterwards.</p>
</section>
<div class="columns">
${column('left', 'cookie', 'Session cookie', html`<fieldset>
<legend>Carrier of this column</legend>
<label><input type="radio" name="left-carrier" value="cookie" checked> Session cookie</label>
<label><input type="radio" name="left-carrier" value="hybrid"> Hybrid (token cookies)</label>
</fieldset>`, [renderSequence(flows.cookie), renderSequence(flows.hybrid)])}
${column('right', 'bearer', 'Tokens (bearer)', html``, [renderSequence(flows.bearer)])}
</div>
<section aria-labelledby="effects-title">
<h2 id="effects-title">What sign-out and revocation do to each</h2>
<table class="devices">
<thead><tr><th scope="col">Carrier</th><th scope="col">At Tessera</th><th scope="col">At other services</th><th scope="col">In the browser</th></tr></thead>
<tbody>
<tr><th scope="row">Session cookie</th><td data-label="At Tessera">Refused on the next request: every request reads the session.</td><td data-label="At other services">Through the gateway (<code>GET /auth/verify</code>), refused at once.</td><td data-label="In the browser">The answer deletes the cookie (<code>Max-Age=0</code>).</td></tr>
<tr><th scope="row">Tokens (bearer)</th><td data-label="At Tessera">Access token refused at once (its <code>sid</code> is in the revocation set); refresh refused.</td><td data-label="At other services">Refused as soon as the revocation feed reaches their verifier (milliseconds); a verifier that loses the feed fails closed.</td><td data-label="In the browser">Nothing to delete: the client drops its in-memory tokens.</td></tr>
<tr><th scope="row">Hybrid</th><td data-label="At Tessera">Like bearer.</td><td data-label="At other services">Like bearer.</td><td data-label="In the browser">The answer deletes both token cookies.</td></tr>
</tbody>
</table>
</section>`,
    );
    return sendHtml(reply, 200, page);
  });
}

function column(name: string, carrier: string, title: string, extra: SafeHtml, diagrams: readonly SafeHtml[]): SafeHtml {
  const titleId = `${name}-title`;
  const button = (action: string, label: string, kind = ''): SafeHtml => html`<button type="button" data-action="${action}"${kind ? html` class="${kind}"` : ''} disabled>${label}</button>`;
  return html`<section class="column" data-column="${name}" data-carrier="${carrier}" aria-labelledby="${titleId}">
<h2 id="${titleId}" data-column-title>${title}</h2>
${extra}
<div class="actions">
${button('login', 'Register & sign in')}
${button('session', 'GET /auth/session', 'secondary')}
${button('refresh', 'Refresh tokens', 'secondary')}
${button('logout', 'Sign out', 'secondary')}
${button('revoke', 'Revoke from the other column', 'danger')}
${button('logout-all', 'Sign out everywhere', 'danger')}
${button('clear', 'Clear log', 'secondary')}
</div>
<p role="status" class="muted" data-status>Not signed in.</p>
<h3>What the client holds</h3>
<dl class="state" data-state><dt>Session</dt><dd>none</dd></dl>
<h3>Exchanges</h3>
<ol class="log" data-log></ol>
<h3>Sequence</h3>
${diagrams}
</section>`;
}
