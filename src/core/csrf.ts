import { constantTimeEqual, hmacBase64Url } from './hashing.js';

/**
 * CSRF tokens are a signed double-submit bound to the session (OWASP CSRF cheat sheet): the
 * token is HMAC-SHA256(server CSRF key, session id). An attacker cannot compute it without the
 * key, cannot reuse another user's token (it names another session, X-02), and no cookie of
 * theirs can supply it because we never read the token from a cookie.
 */

const CSRF_CONTEXT = 'tessera-csrf-v1:';
/** Length of a CSRF token (base64url of 32 bytes). */
export const CSRF_TOKEN_LENGTH = 43;

/** Derives the CSRF token for a session. */
export function createCsrfToken(csrfKey: Uint8Array, sessionId: string): string {
  return hmacBase64Url(csrfKey, CSRF_CONTEXT + sessionId);
}

/** Checks a presented token in constant time; any malformed input is simply false. */
export function verifyCsrfToken(csrfKey: Uint8Array, sessionId: string, presented: unknown): boolean {
  if (typeof presented !== 'string' || presented.length !== CSRF_TOKEN_LENGTH) return false;
  return constantTimeEqual(createCsrfToken(csrfKey, sessionId), presented);
}
