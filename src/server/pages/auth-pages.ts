import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { singleHeader } from '../../core/request.js';
import type { RouteContext } from '../app.js';
import { serializeSessionCookie } from '../cookies.js';
import { type PageError, errorSummary, field, flash, toPageErrors } from './components.js';
import { formOf, queryParam, safeNextPath, textField } from './form-body.js';
import { html } from './html.js';
import { renderPage } from './layout.js';
import { clearedSessionCookie, pageSession, refuseCrossSite, sendHtml, statusOf } from './page-support.js';

/**
 * /login and /register: plain HTML forms that work without JavaScript. A successful sign-in
 * sets the session cookie (cookie carrier) and redirects (303) to `next` — a same-origin path
 * only — or to /account. Failures re-render the form with an error summary; the password is
 * never echoed back.
 */

const MAX_EMAIL = 320;
const MAX_PASSWORD = 4096;
const FIELDS = {
  email: { id: 'email', label: 'E-mail address' },
  password: { id: 'password', label: 'Password' },
};

interface FormState {
  readonly email?: string;
  readonly next: string | null;
  readonly errors?: readonly PageError[];
  readonly done?: string | undefined;
}

/** Adds the sign-in and registration pages. */
export function registerAuthPages(scope: FastifyInstance, ctx: RouteContext): void {
  const { tessera } = ctx;
  const { config } = tessera;

  const withNext = (path: string, next: string | null): string => (next ? `${path}?next=${encodeURIComponent(next)}` : path);

  const loginPage = (state: FormState): string =>
    renderPage(
      { title: 'Sign in', page: 'login', narrow: true },
      html`<h1>Sign in</h1>
${errorSummary(state.errors ?? [])}${flash(state.done)}
<form method="post" action="/login" novalidate>
${state.next ? html`<input type="hidden" name="next" value="${state.next}">` : ''}
${field({ ...FIELDS.email, name: 'email', type: 'email', autocomplete: 'username', value: state.email ?? '', errors: state.errors })}
${field({ ...FIELDS.password, name: 'password', type: 'password', autocomplete: 'current-password', errors: state.errors })}
<button type="submit">Sign in</button>
</form>
<p>No account yet? <a href="${withNext('/register', state.next)}">Create one</a>.</p>`,
    );

  const registerPage = (state: FormState): string =>
    renderPage(
      { title: 'Create an account', page: 'register', narrow: true },
      html`<h1>Create an account</h1>
${errorSummary(state.errors ?? [])}
<form method="post" action="/register" novalidate>
${state.next ? html`<input type="hidden" name="next" value="${state.next}">` : ''}
${field({ ...FIELDS.email, name: 'email', type: 'email', autocomplete: 'email', value: state.email ?? '', errors: state.errors })}
${field({
  ...FIELDS.password,
  name: 'password',
  type: 'password',
  autocomplete: 'new-password',
  hint: `At least ${config.password.minLength} characters. A long passphrase is best.`,
  errors: state.errors,
})}
<button type="submit">Create account</button>
</form>
<p>Already registered? <a href="${withNext('/login', state.next)}">Sign in</a>.</p>`,
    );

  /** Signed-in visitors skip the forms; a dead cookie is cleared. */
  const showForm = async (request: FastifyRequest, reply: FastifyReply, render: (state: FormState) => string): Promise<FastifyReply> => {
    const next = safeNextPath(queryParam(request, 'next'));
    const { auth, stale } = await pageSession(ctx, request);
    if (auth) return reply.redirect(next ?? '/account', 303);
    if (stale) reply.header('set-cookie', clearedSessionCookie(ctx));
    return sendHtml(reply, 200, render({ next, done: queryParam(request, 'done') }));
  };

  /** Signs in with the cookie carrier and redirects. */
  const signIn = async (request: FastifyRequest, reply: FastifyReply, email: string, password: string, target: string): Promise<FastifyReply> => {
    const result = await tessera.accounts.login({
      email,
      password,
      carrier: 'cookie',
      ip: request.ip,
      userAgent: singleHeader(request.headers, 'user-agent')?.slice(0, 512) ?? null,
      // The session the browser held before is destroyed: no fixation (S-01).
      previousSessionId: await tessera.authenticator.findCookieSessionId(ctx.toAuthRequest(request)),
    });
    const remaining = result.session.expiresAt - tessera.clock.now();
    reply.header('set-cookie', serializeSessionCookie(tessera.cookieNames.session, result.token, remaining, config));
    return reply.redirect(target, 303);
  };

  scope.get('/login', (request, reply) => showForm(request, reply, loginPage));
  scope.get('/register', (request, reply) => showForm(request, reply, registerPage));

  scope.post('/login', async (request, reply) => {
    refuseCrossSite(ctx, request);
    const form = formOf(request);
    const next = safeNextPath(form.get('next'));
    let email = '';
    try {
      email = textField(form, 'email', MAX_EMAIL);
      const password = textField(form, 'password', MAX_PASSWORD);
      return await signIn(request, reply, email, password, next ?? '/account?done=signed-in');
    } catch (error) {
      const errors = toPageErrors(error, FIELDS, FIELDS.email.id);
      if (!errors) throw error;
      return sendHtml(reply, statusOf(error, reply), loginPage({ email: email.slice(0, MAX_EMAIL), next, errors }));
    }
  });

  scope.post('/register', async (request, reply) => {
    refuseCrossSite(ctx, request);
    const form = formOf(request);
    const next = safeNextPath(form.get('next'));
    let email = '';
    try {
      email = textField(form, 'email', MAX_EMAIL);
      const password = textField(form, 'password', MAX_PASSWORD);
      await tessera.accounts.register(email, password, request.ip);
      return await signIn(request, reply, email, password, next ?? '/account?done=registered');
    } catch (error) {
      const errors = toPageErrors(error, FIELDS, FIELDS.email.id);
      if (!errors) throw error;
      return sendHtml(reply, statusOf(error, reply), registerPage({ email: email.slice(0, MAX_EMAIL), next, errors }));
    }
  });
}
