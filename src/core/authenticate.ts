import type { CookieNames } from './cookie-names.js';
import { readCookie } from './cookie-header.js';
import { verifyCsrfToken } from './csrf.js';
import { AuthenticationError, ForbiddenError } from './errors.js';
import type { Carrier, Session, User } from './model.js';
import { type AuthRequest, isSafeMethod, singleHeader } from './request.js';
import { type OriginPolicy, judgeRequestOrigin } from './request-origin.js';
import type { SessionManager } from './sessions.js';

/**
 * Decides who a request is. Precedence is fixed (H-01): if an `Authorization` header is
 * present it alone decides — the cookie is ignored and a bad bearer token is a 401, never a
 * fall-back to the cookie. That cannot skip CSRF: a cross-site page cannot attach an
 * `Authorization` header without a CORS preflight, which Tessera never grants, and without
 * one there is no ambient credential to abuse. Otherwise the session cookie decides, and every
 * unsafe method it authenticates must pass the CSRF check.
 */

/** Who the request is, and how they proved it. */
export interface AuthContext {
  readonly user: User;
  readonly session: Session;
  /** How this request carried its proof. */
  readonly carrier: Carrier;
  /** True when a cookie authenticated the request (so CSRF rules applied). */
  readonly viaCookie: boolean;
}

/** Verifies bearer credentials; supplied by the token carrier. */
export type BearerAuthenticator = (authorization: string, request: AuthRequest) => Promise<AuthContext>;

/** Options of one authentication. */
export interface AuthenticateOptions {
  /** Apply the CSRF check to unsafe methods authenticated by a cookie (default true). */
  readonly csrf?: boolean;
}

/** The request authenticator. */
export interface RequestAuthenticator {
  /** The caller, or null when the request carries no credential. Throws 401/403 on a bad one. */
  authenticate(request: AuthRequest, options?: AuthenticateOptions): Promise<AuthContext | null>;
  /** The CSRF check alone (for routes that authenticate first and check later). */
  assertCsrf(request: AuthRequest, sessionId: string): void;
  /**
   * The id of the session the request's cookie proves, or null (for sign-in to destroy it).
   * The full token is checked: a bare id is not secret (it is listed and put in tokens), so
   * acting on an unproven id would let anyone sign another user's device out.
   */
  findCookieSessionId(request: AuthRequest): Promise<string | null>;
}

/** Dependencies of the authenticator. */
export interface AuthenticatorDeps {
  readonly sessions: SessionManager;
  readonly cookieNames: CookieNames;
  readonly csrfKey: Uint8Array;
  readonly originPolicy: OriginPolicy;
  readonly bearer?: BearerAuthenticator | undefined;
}

/** Creates the request authenticator. */
export function createRequestAuthenticator(deps: AuthenticatorDeps): RequestAuthenticator {
  const { sessions, cookieNames, csrfKey, originPolicy } = deps;

  const assertCsrf = (request: AuthRequest, sessionId: string): void => {
    // Both must hold (DESIGN §4): a same-origin browser signal AND the session-bound token.
    if (judgeRequestOrigin(request.headers, originPolicy) !== 'trusted') {
      throw new ForbiddenError('csrf_rejected', 'Cross-site or unverifiable request refused.');
    }
    const presented = request.headers['x-csrf-token'] !== undefined ? singleHeader(request.headers, 'x-csrf-token') : request.csrfFormField;
    if (!verifyCsrfToken(csrfKey, sessionId, presented)) {
      throw new ForbiddenError('csrf_rejected', 'Missing or invalid CSRF token.');
    }
  };

  return {
    async authenticate(request, options) {
      const authorization = request.headers.authorization;
      if (authorization !== undefined) {
        const value = singleHeader(request.headers, 'authorization');
        if (value === null || !deps.bearer) {
          throw new AuthenticationError('invalid_token', 'Bearer tokens are not accepted here.');
        }
        return deps.bearer(value, request);
      }
      const token = readCookie(request.headers, cookieNames.session);
      if (token === null) return null;
      const validated = await sessions.validateSessionToken(token);
      if (!validated) throw new AuthenticationError('invalid_session', 'The session is invalid or has expired.');
      if (options?.csrf !== false && !isSafeMethod(request.method)) assertCsrf(request, validated.session.id);
      return { ...validated, carrier: validated.session.carrier, viaCookie: true };
    },

    assertCsrf,

    async findCookieSessionId(request) {
      let token: string | null;
      try {
        token = readCookie(request.headers, cookieNames.session);
      } catch {
        return null;
      }
      if (token === null) return null;
      const validated = await sessions.validateSessionToken(token);
      return validated?.session.id ?? null;
    },
  };
}
