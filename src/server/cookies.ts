import type { TesseraConfig } from '../core/config.js';

/**
 * Set-Cookie for the session cookie (DESIGN §4, C-01…C-05): HttpOnly, explicit SameSite,
 * Path=/, no Domain (host-only), Secure with the `__Host-` prefix when configured, and a
 * Max-Age no longer than the absolute session lifetime.
 */

/** Serialises the session cookie. */
export function serializeSessionCookie(name: string, token: string, maxAgeMs: number, config: TesseraConfig): string {
  const maxAge = Math.max(0, Math.floor(maxAgeMs / 1000));
  return `${name}=${token}; Path=/; Max-Age=${maxAge}; HttpOnly; SameSite=${sameSite(config)}${config.cookie.secure ? '; Secure' : ''}`;
}

/** Serialises the header that deletes the session cookie. */
export function serializeClearedCookie(name: string, config: TesseraConfig): string {
  return `${name}=; Path=/; Max-Age=0; HttpOnly; SameSite=${sameSite(config)}${config.cookie.secure ? '; Secure' : ''}`;
}

function sameSite(config: TesseraConfig): string {
  return config.cookie.sameSite === 'strict' ? 'Strict' : 'Lax';
}
