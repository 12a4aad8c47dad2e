import { encodeBase64Url, isBase64UrlOfLength } from './encoding.js';
import type { RandomSource } from './clock.js';
import { sha256Base64Url } from './hashing.js';

/**
 * Session tokens are `<sessionId>.<secret>` (DESIGN §2): a 128-bit public id used for lookups,
 * listing and the `sid` claim, and a 256-bit secret whose SHA-256 alone is stored. Splitting id
 * and secret means a lookup by id can never be a timing oracle on the secret, and a leaked
 * store row cannot be replayed as a cookie.
 */

/** Random bytes in a session id (128 bits ≥ the 120 DESIGN asks; ASVS 5.0 7.2.3). */
export const SESSION_ID_BYTES = 16;
/** Bytes of the session secret (256 bits). */
export const SESSION_SECRET_BYTES = 32;
/** Characters of the routing tag that starts every session id (3 bytes). */
export const ROUTING_TAG_LENGTH = 4;
/** Characters of a session id: the routing tag, then 128 random bits. */
export const SESSION_ID_LENGTH = ROUTING_TAG_LENGTH + 22;
/** Exact length of a well-formed token: 26 + 1 + 43 characters. */
export const SESSION_TOKEN_LENGTH = SESSION_ID_LENGTH + 1 + 43;

/**
 * The routing tag of a user: 24 bits of SHA-256(user id). Every session id of the user starts
 * with it, so a sharded store (Redis Cluster) can find the user's shard from the session id
 * alone and keep the session and the user's session index in one slot, updated atomically.
 * It carries no secret and adds no predictability to the 128 random bits that follow.
 */
export function sessionRoutingTag(userId: string): string {
  return sha256Base64Url(userId).slice(0, ROUTING_TAG_LENGTH);
}

/** A parsed session token. */
export interface SessionTokenParts {
  readonly sessionId: string;
  readonly secret: string;
}

/** Generates a fresh session id (routing tag of `userId` + 128 random bits) and secret. */
export function generateSessionToken(random: RandomSource, userId: string): SessionTokenParts & { readonly token: string } {
  const sessionId = sessionRoutingTag(userId) + encodeBase64Url(random(SESSION_ID_BYTES));
  const secret = encodeBase64Url(random(SESSION_SECRET_BYTES));
  return { sessionId, secret, token: `${sessionId}.${secret}` };
}

/** Generates a bare id (users, and anything else that needs a 128-bit unguessable id). */
export function generateId(random: RandomSource): string {
  return encodeBase64Url(random(SESSION_ID_BYTES));
}

/** Parses a token strictly (exact lengths, canonical base64url); null for anything else. */
export function parseSessionToken(token: string): SessionTokenParts | null {
  if (token.length !== SESSION_TOKEN_LENGTH || token.charCodeAt(SESSION_ID_LENGTH) !== 46 /* '.' */) return null;
  const sessionId = token.slice(0, SESSION_ID_LENGTH);
  const secret = token.slice(SESSION_ID_LENGTH + 1);
  if (!isSessionId(sessionId) || !isBase64UrlOfLength(secret, SESSION_SECRET_BYTES)) return null;
  return { sessionId, secret };
}

/** True when `id` has the exact shape of a session id (canonical base64url, 26 characters). */
export function isSessionId(id: string): boolean {
  return id.length === SESSION_ID_LENGTH && isBase64UrlOfLength(id, 3 + SESSION_ID_BYTES);
}
