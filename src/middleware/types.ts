import type { Carrier } from '../core/model.js';

/**
 * The public types of the middleware. `AuthInfo` is deliberately a narrow copy of the core's
 * `AuthContext`: handlers get ids and what they need to make decisions, never the password hash
 * or the session's secret hash, so a handler that echoes `req.auth` (or logs it) leaks nothing.
 */

/** Options every adapter accepts; unknown keys are refused when the middleware is created. */
export interface MiddlewareOptions {
  /**
   * Apply the CSRF check to unsafe methods authenticated by a cookie (default true). Turn it off
   * only for a route that calls `tessera.authenticator.assertCsrf` itself later.
   */
  readonly csrf?: boolean;
}

/** The user as handlers see it. */
export interface AuthUser {
  readonly id: string;
  readonly email: string;
}

/** The session as handlers see it (`expiresAt`: milliseconds since the epoch, absolute end of life). */
export interface AuthSession {
  readonly id: string;
  readonly carrier: Carrier;
  readonly expiresAt: number;
}

/** Who made the request, as the middleware attaches it (`req.auth`, `request.auth`, `c.get('auth')`). */
export interface AuthInfo {
  readonly user: AuthUser;
  readonly session: AuthSession;
  /** How this request carried its proof. */
  readonly carrier: Carrier;
  /** True when a cookie authenticated the request (so the CSRF rules applied). */
  readonly viaCookie: boolean;
}
