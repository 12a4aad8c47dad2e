/**
 * Cookie names. With `Secure` the `__Host-` prefix makes the browser refuse any version of the
 * cookie that is not Secure, host-only and `Path=/`, so a sibling subdomain cannot toss a
 * session cookie at us (C-02). Without TLS the prefix is unusable, so the plain name is used.
 */
export interface CookieNames {
  readonly session: string;
}

/** The cookie names for a deployment. */
export function cookieNames(secure: boolean): CookieNames {
  return { session: secure ? '__Host-tessera_session' : 'tessera_session' };
}
