import { constantTimeEqual, hmacBase64Url } from '../hashing.js';
import { isBase64UrlOfLength } from '../encoding.js';
import { isSessionId } from '../session-token.js';

/**
 * Refresh tokens are `<sessionId>.<generation>.<tag>` where the tag is
 * HMAC-SHA256(refresh key, sessionId · generation · session seed). The seed is the session's
 * stored secret hash, the key is derived from the master secret and never stored.
 *
 * Why derive rather than store a hash per generation (DESIGN §2 allows either):
 *  - every generation is verifiable on its own, so an *authentic* old generation (reuse →
 *    revoke the session) is told apart from a *forged* one (plain 401, revokes nothing) —
 *    the session id is public (it is the `sid` claim), so forgeries must never revoke;
 *  - within the grace window the server can hand the previous generation's holder the very
 *    same successor token, so two tabs refreshing at once never fork the chain;
 *  - the store holds nothing a thief could present: without the key the seed is useless.
 */

/** Largest generation accepted (keeps parsing exact and bounded). */
const MAX_GENERATION = 2 ** 31 - 1;
const TAG_LENGTH = 43;

/** A parsed refresh token. */
export interface RefreshTokenParts {
  readonly sessionId: string;
  readonly generation: number;
  readonly tag: string;
}

/** Computes the refresh token of one generation. */
export function deriveRefreshToken(refreshKey: Uint8Array, sessionId: string, generation: number, seed: string): string {
  return `${sessionId}.${generation}.${refreshTag(refreshKey, sessionId, generation, seed)}`;
}

/** Parses strictly: canonical id, decimal generation without leading zeros, 43-char tag. */
export function parseRefreshToken(token: string): RefreshTokenParts | null {
  if (token.length > 100) return null;
  const parts = token.split('.');
  if (parts.length !== 3) return null;
  const [sessionId, generationText, tag] = parts as [string, string, string];
  if (!/^(0|[1-9]\d{0,9})$/.test(generationText)) return null;
  const generation = Number(generationText);
  if (generation > MAX_GENERATION) return null;
  if (!isSessionId(sessionId) || tag.length !== TAG_LENGTH || !isBase64UrlOfLength(tag, 32)) return null;
  return { sessionId, generation, tag };
}

/** True when the token's tag is authentic for its generation (constant-time). */
export function isAuthenticRefreshToken(refreshKey: Uint8Array, parts: RefreshTokenParts, seed: string): boolean {
  return constantTimeEqual(refreshTag(refreshKey, parts.sessionId, parts.generation, seed), parts.tag);
}

/**
 * The `jti` of the access token issued with a generation: derived, so re-issuing the same
 * successor pair within the grace window yields the same token identity.
 */
export function deriveAccessTokenId(refreshKey: Uint8Array, sessionId: string, generation: number): string {
  return hmacBase64Url(refreshKey, `tessera-jti-v1:${sessionId}.${generation}`).slice(0, 22);
}

function refreshTag(refreshKey: Uint8Array, sessionId: string, generation: number, seed: string): string {
  return hmacBase64Url(refreshKey, `tessera-refresh-v1:${sessionId}.${generation}.${seed}`);
}
