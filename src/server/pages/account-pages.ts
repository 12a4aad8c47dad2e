import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { AuthContext } from '../../core/authenticate.js';
import { singleHeader } from '../../core/request.js';
import { isSessionId } from '../../core/session-token.js';
import type { RouteContext } from '../app.js';
import { serializeSessionCookie } from '../cookies.js';
import { ACCOUNT_FIELDS, type AccountState, renderAccountPage } from './account-view.js';
import { toPageErrors } from './components.js';
import { formOf, queryParam, textField } from './form-body.js';
import { clearedSessionCookie, pageSession, sendHtml, statusOf } from './page-support.js';

/**
 * /account and its forms. Every POST passes the core's CSRF rule with the form's `_csrf`
 * (session-bound token + same-origin signal) before anything happens, then redirects (303)
 * with a fixed `done` code — never a token or a session id in a URL. The session to sign out
 * travels in the form body for the same reason.
 */

const MAX_PASSWORD = 4096;
const MAX_ID = 200;

/** Adds the account page and its form handlers. */
export function registerAccountPages(scope: FastifyInstance, ctx: RouteContext): void {
  const { tessera } = ctx;
  const { config, sessions } = tessera;
  const userAgentOf = (request: FastifyRequest): string | null => singleHeader(request.headers, 'user-agent')?.slice(0, 512) ?? null;

  const toLogin = (reply: FastifyReply, stale: boolean): FastifyReply => {
    if (stale) reply.header('set-cookie', clearedSessionCookie(ctx));
    return reply.redirect('/login?next=%2Faccount', 303);
  };
  const show = async (reply: FastifyReply, status: number, auth: AuthContext, state: AccountState): Promise<FastifyReply> =>
    sendHtml(reply, status, await renderAccountPage(tessera, auth, state));

  /** Authenticates a form post (CSRF included); signed-out visitors go to the sign-in page. */
  const formPost = (handler: (auth: AuthContext, request: FastifyRequest, reply: FastifyReply) => Promise<FastifyReply>) =>
    async (request: FastifyRequest, reply: FastifyReply): Promise<FastifyReply> => {
      const { auth, stale } = await pageSession(ctx, request, formOf(request).get('_csrf'));
      return auth ? handler(auth, request, reply) : toLogin(reply, stale);
    };

  const signOutHere = async (auth: AuthContext, reply: FastifyReply, done: string): Promise<FastifyReply> => {
    await sessions.revokeSession(auth.session.id);
    tessera.events({ type: 'logout', userId: auth.user.id, sessionId: auth.session.id });
    reply.header('set-cookie', clearedSessionCookie(ctx));
    return reply.redirect(`/login?done=${done}`, 303);
  };

  /** Signs out another device of the user; false when it is not (or no longer) theirs. */
  const revokeOther = async (auth: AuthContext, id: string): Promise<boolean> => {
    if (!isSessionId(id) || !(await sessions.revokeUserSession(auth.user.id, id))) return false;
    tessera.events({ type: 'session_revoked', userId: auth.user.id, sessionId: id, by: 'user' });
    return true;
  };
  const gone = { message: 'That device is already signed out.' };

  scope.get('/account', async (request, reply) => {
    const { auth, stale } = await pageSession(ctx, request);
    if (!auth) return toLogin(reply, stale);
    return show(reply, 200, auth, { done: queryParam(request, 'done') });
  });

  scope.post('/account/logout', formPost((auth, _request, reply) => signOutHere(auth, reply, 'signed-out')));

  scope.post('/account/logout-all', formPost(async (auth, _request, reply) => {
    const revoked = await sessions.revokeUser(auth.user.id);
    tessera.events({ type: 'logout_all', userId: auth.user.id, count: revoked.length });
    reply.header('set-cookie', clearedSessionCookie(ctx));
    return reply.redirect('/login?done=signed-out-everywhere', 303);
  }));

  scope.post('/account/sessions/revoke', formPost(async (auth, request, reply) => {
    const id = textField(formOf(request), 'session', MAX_ID);
    if (id === auth.session.id) return signOutHere(auth, reply, 'signed-out');
    // Ending another device needs a recent password proof (ASVS 5.0 7.5.2), so a stolen session
    // cannot sign the owner out of their own account: ask for it, keeping the device pending.
    if (tessera.clock.now() - auth.session.authenticatedAt > config.session.reauthenticationWindowMs) {
      return show(reply, 403, auth, { confirmRevoke: id, errors: [{ message: 'Confirm your password to sign out that device.', fieldId: ACCOUNT_FIELDS.password.id }] });
    }
    if (!(await revokeOther(auth, id))) return show(reply, 404, auth, { errors: [gone] });
    return reply.redirect('/account?done=session-revoked', 303);
  }));

  scope.post('/account/reauthenticate', formPost(async (auth, request, reply) => {
    const form = formOf(request);
    const id = textField(form, 'session', MAX_ID);
    try {
      await tessera.accounts.reauthenticate(auth.session, auth.user, textField(form, 'password', MAX_PASSWORD), request.ip);
    } catch (error) {
      const errors = toPageErrors(error, { password: ACCOUNT_FIELDS.password }, ACCOUNT_FIELDS.password.id);
      if (!errors) throw error;
      return show(reply, statusOf(error, reply), auth, { confirmRevoke: id || null, errors });
    }
    if (id === '') return reply.redirect('/account', 303);
    if (id === auth.session.id) return signOutHere(auth, reply, 'signed-out');
    if (!(await revokeOther(auth, id))) return show(reply, 404, auth, { errors: [gone] });
    return reply.redirect('/account?done=session-revoked', 303);
  }));

  scope.post('/account/password', formPost(async (auth, request, reply) => {
    const form = formOf(request);
    try {
      const result = await tessera.accounts.changePassword(
        auth.session,
        auth.user,
        textField(form, 'currentPassword', MAX_PASSWORD),
        textField(form, 'newPassword', MAX_PASSWORD),
        { ip: request.ip, userAgent: userAgentOf(request) },
      );
      // Every session ended, this one included; the browser gets the fresh one (new id).
      reply.header('set-cookie', serializeSessionCookie(tessera.cookieNames.session, result.token, result.session.expiresAt - tessera.clock.now(), config));
      return reply.redirect('/account?done=password-changed', 303);
    } catch (error) {
      const errors = toPageErrors(error, ACCOUNT_FIELDS, ACCOUNT_FIELDS.currentPassword.id);
      if (!errors) throw error;
      return show(reply, statusOf(error, reply), auth, { errors });
    }
  }));
}
