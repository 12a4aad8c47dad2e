/**
 * Cookie names. With `Secure` the `__Host-` prefix makes the browser refuse any version of the
 * cookie that is not Secure, host-only and `Path=/`, so a sibling subdomain cannot toss a
 * session cookie at us (C-02). Without TLS the prefix is unusable, so the plain name is used.
 */
export interface CookieNames {
  /** Cookie carrier: the opaque session token (Path=/). */
  readonly session: string;
  /** Hybrid carrier: the JWT access token (Path=/). */
  readonly access: string;
  /**
   * Hybrid carrier: the refresh token, scoped to `Path=/auth/refresh` so it is sent nowhere
   * else. `__Host-` requires Path=/, so it takes `__Secure-` (Secure, host-only).
   */
  readonly refresh: string;
}

/** The cookie names for a deployment. */
export function cookieNames(secure: boolean): CookieNames {
  return secure
    ? { session: '__Host-tessera_session', access: '__Host-tessera_access', refresh: '__Secure-tessera_refresh' }
    : { session: 'tessera_session', access: 'tessera_access', refresh: 'tessera_refresh' };
}
