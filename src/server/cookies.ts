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

/** Set-Cookie lines for the hybrid carrier: access token (Path=/) and refresh token (Path=/auth/refresh). */
export function serializeTokenCookies(
  names: { access: string; refresh: string },
  tokens: { accessToken: string; refreshToken: string; expiresIn: number },
  sessionRemainingMs: number,
  config: TesseraConfig,
): string[] {
  const attributes = `; HttpOnly; SameSite=${sameSite(config)}${config.cookie.secure ? '; Secure' : ''}`;
  return [
    `${names.access}=${tokens.accessToken}; Path=/; Max-Age=${tokens.expiresIn}${attributes}`,
    `${names.refresh}=${tokens.refreshToken}; Path=${REFRESH_PATH}; Max-Age=${Math.max(0, Math.floor(sessionRemainingMs / 1000))}${attributes}`,
  ];
}

/** Set-Cookie lines that delete the hybrid carrier's cookies. */
export function serializeClearedTokenCookies(names: { access: string; refresh: string }, config: TesseraConfig): string[] {
  const attributes = `; Max-Age=0; HttpOnly; SameSite=${sameSite(config)}${config.cookie.secure ? '; Secure' : ''}`;
  return [`${names.access}=; Path=/${attributes}`, `${names.refresh}=; Path=${REFRESH_PATH}${attributes}`];
}

/** The only path the refresh cookie is sent to. */
export const REFRESH_PATH = '/auth/refresh';
