import { encodeBase64Url, isBase64UrlOfLength } from './encoding.js';
import type { RandomSource } from './clock.js';

/**
 * Session tokens are `<sessionId>.<secret>` (DESIGN §2): a 128-bit public id used for lookups,
 * listing and the `sid` claim, and a 256-bit secret whose SHA-256 alone is stored. Splitting id
 * and secret means a lookup by id can never be a timing oracle on the secret, and a leaked
 * store row cannot be replayed as a cookie.
 */

/** Bytes of the session id (128 bits ≥ the 120 DESIGN asks; ASVS 5.0 7.2.3). */
export const SESSION_ID_BYTES = 16;
/** Bytes of the session secret (256 bits). */
export const SESSION_SECRET_BYTES = 32;
/** Exact length of a well-formed token: 22 + 1 + 43 characters. */
export const SESSION_TOKEN_LENGTH = 22 + 1 + 43;

/** A parsed session token. */
export interface SessionTokenParts {
  readonly sessionId: string;
  readonly secret: string;
}

/** Generates a fresh session id and secret. */
export function generateSessionToken(random: RandomSource): SessionTokenParts & { readonly token: string } {
  const sessionId = encodeBase64Url(random(SESSION_ID_BYTES));
  const secret = encodeBase64Url(random(SESSION_SECRET_BYTES));
  return { sessionId, secret, token: `${sessionId}.${secret}` };
}

/** Generates a bare id (users, and anything else that needs a 128-bit unguessable id). */
export function generateId(random: RandomSource): string {
  return encodeBase64Url(random(SESSION_ID_BYTES));
}

/** Parses a token strictly (exact lengths, canonical base64url); null for anything else. */
export function parseSessionToken(token: string): SessionTokenParts | null {
  if (token.length !== SESSION_TOKEN_LENGTH || token.charCodeAt(22) !== 46 /* '.' */) return null;
  const sessionId = token.slice(0, 22);
  const secret = token.slice(23);
  if (!isBase64UrlOfLength(sessionId, SESSION_ID_BYTES) || !isBase64UrlOfLength(secret, SESSION_SECRET_BYTES)) {
    return null;
  }
  return { sessionId, secret };
}

/** True when `id` has the shape of a session id (for route parameters). */
export function isSessionId(id: string): boolean {
  return isBase64UrlOfLength(id, SESSION_ID_BYTES);
}
