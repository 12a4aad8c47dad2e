import type { CookieNames } from './cookie-names.js';
import { readCookie } from './cookie-header.js';
import { verifyCsrfToken } from './csrf.js';
import { AuthenticationError, ForbiddenError } from './errors.js';
import type { Carrier, Session, User } from './model.js';
import { type AuthRequest, isSafeMethod, singleHeader } from './request.js';
import { type OriginPolicy, judgeRequestOrigin } from './request-origin.js';
import type { SessionManager, ValidatedSession } from './sessions.js';
import type { AccessTokenClaims } from './tokens/access-token-claims.js';

/**
 * Decides who a request is, by a fixed precedence (H-01):
 *  1. an `Authorization` header, if present, alone decides: cookies are ignored and a bad
 *     bearer token is a 401, never a fall-back to a cookie. This cannot skip CSRF: a cross-site
 *     page cannot attach `Authorization` without a CORS preflight, which Tessera never grants,
 *     and a request without it carries no ambient credential;
 *  2. else the session cookie (cookie carrier);
 *  3. else the access-token cookie (hybrid carrier).
 * Whenever a cookie authenticates an unsafe method, the CSRF check applies.
 */

/** Who the request is, and how they proved it. */
export interface AuthContext {
  readonly user: User;
  readonly session: Session;
  /** How this request carried its proof. */
  readonly carrier: Carrier;
  /** True when a cookie authenticated the request (so CSRF rules applied). */
  readonly viaCookie: boolean;
  /** The verified access-token claims (bearer and hybrid). */
  readonly claims?: AccessTokenClaims;
}

/** Options of one authentication. */
export interface AuthenticateOptions {
  /** Apply the CSRF check to unsafe methods authenticated by a cookie (default true). */
  readonly csrf?: boolean;
}

/** The request authenticator. */
export interface RequestAuthenticator {
  /** The caller, or null when the request carries no credential. Throws 401/403 on a bad one. */
  authenticate(request: AuthRequest, options?: AuthenticateOptions): Promise<AuthContext | null>;
  /**
   * The same decision without waiting, when memory alone can make it (a session already
   * validated and cached, a token already verified); `undefined` means "call authenticate".
   * It throws exactly what authenticate rejects with. Servers answer most requests from here,
   * which saves the promise hops of the async path on every authenticated request.
   */
  authenticateNow(request: AuthRequest, options?: AuthenticateOptions): AuthContext | null | undefined;
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
  /** The strict access-token verifier (synchronous; throws AuthenticationError). */
  readonly verifyAccessToken: (token: string) => AccessTokenClaims;
}

// RFC 6750 §2.1: "Bearer" (any case), one space, then the token. The token's characters are
// not checked here: the access-token verifier accepts only canonical base64url JWS segments,
// which is stricter than b64token, and an exact-string cache hit is a token it already parsed.
const BEARER_SCHEME = 'bearer ';

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

  const revokedSession = (): AuthenticationError =>
    new AuthenticationError('token_revoked', 'The session of this token has ended.');

  /** The access token of an `Authorization` header (throws on anything but one well-formed Bearer). */
  const bearerToken = (request: AuthRequest): string => {
    const header = singleHeader(request.headers, 'authorization') ?? '';
    const token = header.slice(BEARER_SCHEME.length);
    if (token.length === 0 || header.slice(0, BEARER_SCHEME.length).toLowerCase() !== BEARER_SCHEME) {
      throw new AuthenticationError('invalid_token', 'The Authorization header must be "Bearer <access token>".');
    }
    return token;
  };

  // Written out, not spread: an object spread plus extra properties costs microseconds per
  // request on Node 20 (measured), and this is every authenticated request.
  const tokenContext = (
    request: AuthRequest,
    validated: ValidatedSession | null,
    claims: AccessTokenClaims,
    carrier: Carrier,
    viaCookie: boolean,
    csrf: boolean,
  ): AuthContext => {
    if (!validated || validated.user.id !== claims.sub) throw revokedSession();
    if (csrf) assertCsrf(request, validated.session.id);
    return { user: validated.user, session: validated.session, carrier, viaCookie, claims };
  };

  const cookieContext = (request: AuthRequest, validated: ValidatedSession | null, csrf: boolean): AuthContext => {
    if (!validated) throw new AuthenticationError('invalid_session', 'The session is invalid or has expired.');
    if (csrf) assertCsrf(request, validated.session.id);
    return { user: validated.user, session: validated.session, carrier: 'cookie', viaCookie: true };
  };

  /** Verifies an access token and finds its live session (the server's own routes need the user). */
  const fromAccessToken = (
    request: AuthRequest,
    token: string,
    carrier: Carrier,
    viaCookie: boolean,
    csrf: boolean,
    wait: boolean,
  ): AuthContext | undefined | Promise<AuthContext> => {
    const claims = deps.verifyAccessToken(token);
    const validated = sessions.validateSessionIdNow(claims.sid);
    if (validated !== undefined) return tokenContext(request, validated, claims, carrier, viaCookie, csrf);
    if (!wait) return undefined;
    return sessions.validateSessionId(claims.sid).then((later) => tokenContext(request, later, claims, carrier, viaCookie, csrf));
  };

  /**
   * One decision for both entry points, by the precedence above, with the credential found and
   * parsed once. From memory when it can; otherwise, with `wait`, the store read continues the
   * same decision (a promise), and without it the answer is `undefined` and no I/O is started.
   */
  const decide = (request: AuthRequest, options: AuthenticateOptions | undefined, wait: boolean): AuthContext | null | undefined | Promise<AuthContext> => {
    if (request.headers.authorization !== undefined) return fromAccessToken(request, bearerToken(request), 'bearer', false, false, wait);
    const csrf = options?.csrf !== false && !isSafeMethod(request.method);
    const sessionToken = readCookie(request.headers, cookieNames.session);
    if (sessionToken !== null) {
      const validated = sessions.validateSessionTokenNow(sessionToken);
      if (validated !== undefined) return cookieContext(request, validated, csrf);
      return wait ? sessions.validateSessionToken(sessionToken).then((later) => cookieContext(request, later, csrf)) : undefined;
    }
    const accessToken = readCookie(request.headers, cookieNames.access);
    return accessToken === null ? null : fromAccessToken(request, accessToken, 'hybrid', true, csrf, wait);
  };

  return {
    authenticateNow(request, options) {
      // Without `wait`, decide never returns a promise.
      return decide(request, options, false) as AuthContext | null | undefined;
    },

    async authenticate(request, options) {
      // Most requests are decided from memory; the rest read the store. With `wait`, decide
      // never answers undefined.
      return decide(request, options, true) as AuthContext | null | Promise<AuthContext>;
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
