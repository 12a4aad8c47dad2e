import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { AuthContext } from '../../core/authenticate.js';
import { AuthenticationError, ForbiddenError, RateLimitedError, TesseraError } from '../../core/errors.js';
import { judgeRequestOrigin } from '../../core/request-origin.js';
import type { RouteContext } from '../app.js';
import { serializeClearedCookie } from '../cookies.js';
import { toProblem } from '../problem.js';
import { html } from './html.js';
import { markRoute } from '../request-latency.js';
import { renderPage } from './layout.js';

/**
 * What every page route shares: security headers, HTML replies, the cookie session of the
 * request, the origin check of sign-in forms, and an HTML error page.
 */

/**
 * Content-Security-Policy of every page: only our own scripts, styles and connections; no
 * framing (clickjacking), forms post only to us, no <base> rewriting, no plugins.
 */
export const PAGE_CSP =
  "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self'; connect-src 'self'; object-src 'none'; " +
  "frame-ancestors 'none'; form-action 'self'; base-uri 'none'";

/**
 * `same-origin`, not `no-referrer`: under `no-referrer` a browser sends `Origin: null` with a
 * same-origin form POST (Fetch §3.1), which our CSRF rule must refuse, so sign-in would break
 * in browsers without `Sec-Fetch-Site`. `same-origin` still sends nothing to other sites.
 */
export const REFERRER_POLICY = 'same-origin';

/** Adds the security headers to every reply of `scope` (pages, redirects, errors, assets). */
export function addSecurityHeaders(scope: FastifyInstance): void {
  scope.addHook('onSend', async (_request, reply, payload) => {
    reply.header('content-security-policy', PAGE_CSP);
    reply.header('x-frame-options', 'DENY');
    reply.header('referrer-policy', REFERRER_POLICY);
    reply.header('x-content-type-options', 'nosniff');
    reply.header('cross-origin-opener-policy', 'same-origin');
    // Pages show per-user data and CSRF tokens: no cache may keep them. Assets set their own.
    if (!reply.hasHeader('cache-control')) reply.header('cache-control', 'no-store');
    return payload;
  });
}

/** Sends an HTML page. */
export function sendHtml(reply: FastifyReply, status: number, page: string): FastifyReply {
  return reply.code(status).type('text/html; charset=utf-8').send(page);
}

/** The request's cookie session, and whether it presented a dead one (to clear the cookie). */
export interface PageSession {
  readonly auth: AuthContext | null;
  readonly stale: boolean;
}

/**
 * The cookie-carrier session of a page request. `csrfFormField` is the form's `_csrf`: for a
 * POST the core then applies the full CSRF rule (token bound to the session + same-origin
 * signal) and throws 403 `csrf_rejected`. Pages serve the cookie carrier only: a bearer header
 * or a hybrid access cookie does not sign anyone in here.
 */
export async function pageSession(ctx: RouteContext, request: FastifyRequest, csrfFormField?: string): Promise<PageSession> {
  try {
    const auth = await ctx.requireAuthOf({ ...ctx.toAuthRequest(request), csrfFormField });
    return { auth: auth.carrier === 'cookie' ? auth : null, stale: false };
  } catch (error) {
    if (error instanceof AuthenticationError) return { auth: null, stale: error.code !== 'unauthenticated' };
    if (error instanceof TesseraError && error.code === 'malformed_cookie') return { auth: null, stale: true };
    throw error;
  }
}

/** The Set-Cookie that deletes the session cookie. */
export function clearedSessionCookie(ctx: RouteContext): string {
  return serializeClearedCookie(ctx.tessera.cookieNames.session, ctx.tessera.config);
}

/**
 * Sign-in and registration have no session yet, so, like the JSON API, their CSRF
 * defence is the origin check: a cross-site browser signal is refused.
 */
export function refuseCrossSite(ctx: RouteContext, request: FastifyRequest): void {
  if (judgeRequestOrigin(request.headers, ctx.tessera.originPolicy) === 'untrusted') {
    throw new ForbiddenError('cross_site_request', 'Cross-site sign-in and registration are refused.');
  }
}

/** The HTTP status of a form failure. */
export function statusOf(error: unknown, reply: FastifyReply): number {
  if (error instanceof RateLimitedError) reply.header('retry-after', String(error.retryAfterSeconds));
  return error instanceof TesseraError ? error.status : 400;
}

const ERROR_TEXT: Readonly<Record<string, { title: string; text: string }>> = {
  csrf_rejected: {
    title: 'This form has expired',
    text: 'The form was sent from another site, or it belonged to an earlier session. Go back, reload the page and try again.',
  },
  cross_site_request: { title: 'Request refused', text: 'Signing in or creating an account from another site is not allowed.' },
  unsupported_media_type: { title: 'Request refused', text: 'These pages accept ordinary HTML form posts only.' },
  not_found: { title: 'Not found', text: 'There is nothing here.' },
};

/** Renders failures of page routes as HTML pages (the JSON API keeps its problem documents). */
export function setPageErrorHandler(scope: FastifyInstance, ctx: RouteContext): void {
  scope.setErrorHandler((error, request, reply) => {
    markRoute(request.raw, request.routeOptions.url);
    const problem = toProblem(error);
    if (problem.status >= 500 && problem.code !== 'store_unavailable') {
      ctx.observability.logger.error({ err: error, route: request.routeOptions.url }, 'page request failed');
    }
    if (error instanceof RateLimitedError) reply.header('retry-after', String(error.retryAfterSeconds));
    const known = ERROR_TEXT[problem.code];
    const title = known?.title ?? (problem.status >= 500 ? 'Something went wrong' : 'Request refused');
    const text = known?.text ?? (problem.status >= 500 ? 'Please try again in a moment.' : problem.detail);
    const page = renderPage(
      { title, page: 'error', narrow: true },
      html`<h1>${title}</h1><p>${text}</p><p><a href="/account">Go to your account</a> · <a href="/login">Sign in</a></p>`,
    );
    return sendHtml(reply, problem.status, page);
  });
}
