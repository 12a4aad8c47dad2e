/**
 * Access-token verification, the hot path of every service (DESIGN §2). Synchronous and strict:
 * canonical parsing, a header allowlist, `alg` pinned per `kid`, the signature checked through
 * `node:crypto` with a pre-imported KeyObject, then the claims. A bounded cache of verified
 * tokens makes repeat use cost a hash lookup; revocation is checked on every call, after the
 * cache, and is never cached away. Nothing here ever fetches a key (no `jku`, `x5u`, `jwk`).
 */
import type { KeyObject } from 'node:crypto';
import { systemClock } from '../clock.js';
import type { Clock } from '../clock.js';
import { AuthenticationError, ConfigurationError } from '../errors.js';
import { ACCESS_TOKEN_TYP, MAX_IDENTIFIER_LENGTH } from './access-token-claims.js';
import type { AccessTokenAlgorithm, AccessTokenClaims } from './access-token-claims.js';
import {
  decodeSegment,
  MAX_COMPACT_JWS_LENGTH,
  parseHeaderSegment,
  parseStrictJsonObject,
  splitCompactJws,
} from './parse-compact-jws.js';
import type { JsonObject } from './parse-compact-jws.js';
import { verifyJwsSignature } from './verify-jws-signature.js';

export { verifyJwsSignature } from './verify-jws-signature.js';

/** A public key trusted for one `kid`, pinned to exactly one algorithm (J-03, J-04). */
export interface VerificationKey {
  readonly kid: string;
  readonly alg: AccessTokenAlgorithm;
  /** A public KeyObject, imported once (see importVerificationKey), never per request. */
  readonly key: KeyObject;
}

/** Options of createAccessTokenVerifier; validated once, at creation. */
export interface AccessTokenVerifierOptions {
  readonly issuer: string;
  readonly audience: string;
  /** Looks a key up by `kid`; a plain Map lookup. Must never fetch anything. */
  readonly resolveKey: (kid: string) => VerificationKey | undefined;
  /** Revocation check run on every call, cache hit or not; true means revoked. Must not throw. */
  readonly isRevoked?: (claims: AccessTokenClaims) => boolean;
  readonly clock?: Clock;
  /** Tolerated clock difference for `exp`, `nbf` and `iat`. Default 30. */
  readonly clockSkewSeconds?: number;
  /** Verified tokens kept in memory; 0 disables the cache. Default 10 000. */
  readonly cacheSize?: number;
  /** The `typ` header required, compared per RFC 7515 §4.1.9. Default 'at+jwt'. */
  readonly expectedTyp?: string;
}

/** A configured verifier. */
export interface AccessTokenVerifier {
  /** Verifies a token and returns its frozen claims, or throws AuthenticationError. */
  verify(token: string): AccessTokenClaims;
  /** Number of tokens currently cached (never more than the configured cacheSize). */
  readonly cachedTokens: number;
}

/** What verifyCompactJws returns: the authenticated header and payload bytes, and the key used. */
export interface VerifiedCompactJws {
  readonly header: JsonObject;
  readonly payloadBytes: Buffer;
  readonly key: VerificationKey;
}

const ALLOWED_HEADER_MEMBERS = new Set(['alg', 'typ', 'kid']);

function invalid(): AuthenticationError {
  return new AuthenticationError('invalid_token', 'The access token is invalid.');
}

/** Normalises a `typ` value per RFC 7515 §4.1.9: case-insensitive, `application/` optional. */
function normaliseTyp(typ: string): string {
  const lower = typ.toLowerCase();
  return lower.startsWith('application/') ? lower.slice('application/'.length) : lower;
}

/** A header that passed the allowlist and whose key verified a signature. */
interface CheckedHeader {
  readonly header: JsonObject;
  readonly kid: string;
  readonly alg: string;
}

/** Header segments already seen to be valid, per verifier; bounded, cleared when full. */
type HeaderCache = Map<string, CheckedHeader>;
const HEADER_CACHE_SIZE = 64;

/** Applies the header allowlist to a header segment; throws invalid_token. */
function checkHeader(segment: string, expectedTyp: string | null): CheckedHeader {
  const header = parseHeaderSegment(segment);
  if (header === null) throw invalid();
  // Allowlist, not denylist: crit, jku, x5u, x5c, jwk, zip, enc, b64 and anything invented
  // tomorrow are all refused (J-05, J-06, J-12, J-17).
  for (const name in header) {
    if (!ALLOWED_HEADER_MEMBERS.has(name)) throw invalid();
  }
  const { alg, typ, kid } = header;
  if (expectedTyp !== null) {
    if (typeof typ !== 'string' || normaliseTyp(typ) !== normaliseTyp(expectedTyp)) throw invalid();
  } else if (typ !== undefined && typeof typ !== 'string') {
    throw invalid();
  }
  // kid is only ever a Map key: bounded, and never a path, a query or a URL (J-07).
  if (typeof kid !== 'string' || kid.length === 0 || kid.length > MAX_IDENTIFIER_LENGTH) {
    throw invalid();
  }
  if (typeof alg !== 'string') throw invalid();
  return { header: Object.freeze(header), kid, alg };
}

function verifyJws(
  token: string,
  resolveKey: (kid: string) => VerificationKey | undefined,
  expectedTyp: string | null,
  headerCache: HeaderCache | null,
): VerifiedCompactJws {
  const segments = splitCompactJws(token);
  if (segments === null) throw invalid();
  // Nearly every token of one issuer has the same header segment, so its parse and checks are
  // done once; the cache only ever holds headers whose key has verified a signature.
  const cached = headerCache?.get(segments.header);
  const checked = cached ?? checkHeader(segments.header, expectedTyp);
  const key = resolveKey(checked.kid);
  // The header's alg must equal the key's pinned alg: "none", HS256-with-the-public-key and any
  // kty/alg mismatch can never match, because no key is pinned to them (J-01, J-03, J-04).
  if (key === undefined || checked.alg !== key.alg || key.kid !== checked.kid) throw invalid();
  const payloadBytes = decodeSegment(segments.payload);
  const signature = decodeSegment(segments.signature);
  if (payloadBytes === null || signature === null) throw invalid();
  // The regex in splitCompactJws admits only base64url and '.', so latin1 is exact ASCII.
  const signingInput = Buffer.from(segments.signingInput, 'latin1');
  if (!verifyJwsSignature(key.alg, key.key, signingInput, signature)) throw invalid();
  if (headerCache !== null && cached === undefined) {
    if (headerCache.size >= HEADER_CACHE_SIZE) headerCache.clear();
    headerCache.set(segments.header, checked);
  }
  return { header: checked.header, payloadBytes, key };
}

/**
 * Parses a compact JWS, applies the header allowlist, resolves the key by `kid` (with `alg`
 * pinned to the key) and checks the signature. Claims are not looked at. `expectedTyp` null skips
 * the `typ` requirement and exists only for plain-JWS test vectors; access tokens always pass it.
 * Throws AuthenticationError('invalid_token').
 */
export function verifyCompactJws(
  token: string,
  resolveKey: (kid: string) => VerificationKey | undefined,
  expectedTyp: string | null,
): VerifiedCompactJws {
  return verifyJws(token, resolveKey, expectedTyp, null);
}

function isNumericDate(value: unknown): value is number {
  return typeof value === 'number' && Number.isFinite(value);
}

function isIdentifier(value: unknown): value is string {
  return typeof value === 'string' && value.length > 0 && value.length <= MAX_IDENTIFIER_LENGTH;
}

interface CacheEntry {
  readonly claims: AccessTokenClaims;
  /** The key that verified the token: a hit only counts while `kid` still resolves to it. */
  readonly kid: string;
  readonly key: KeyObject;
}

/** Creates a synchronous access-token verifier; throws ConfigurationError on bad options. */
export function createAccessTokenVerifier(options: AccessTokenVerifierOptions): AccessTokenVerifier {
  const { issuer, audience, resolveKey, isRevoked } = options;
  const clock = options.clock ?? systemClock;
  const skewSeconds = options.clockSkewSeconds ?? 30;
  const cacheSize = options.cacheSize ?? 10_000;
  const expectedTyp = options.expectedTyp ?? ACCESS_TOKEN_TYP;
  if (typeof issuer !== 'string' || issuer.length === 0) {
    throw new ConfigurationError('The access-token verifier needs `issuer`: the exact iss URL.');
  }
  if (typeof audience !== 'string' || audience.length === 0) {
    throw new ConfigurationError('The access-token verifier needs `audience`: this service’s aud.');
  }
  if (typeof resolveKey !== 'function') {
    throw new ConfigurationError('The access-token verifier needs `resolveKey(kid)`.');
  }
  if (!Number.isFinite(skewSeconds) || skewSeconds < 0 || skewSeconds > 300) {
    throw new ConfigurationError('`clockSkewSeconds` must be between 0 and 300.');
  }
  if (!Number.isSafeInteger(cacheSize) || cacheSize < 0) {
    throw new ConfigurationError('`cacheSize` must be a non-negative integer (0 disables it).');
  }
  if (typeof expectedTyp !== 'string' || expectedTyp.length === 0) {
    throw new ConfigurationError('`expectedTyp` must be a non-empty string such as "at+jwt".');
  }

  // FIFO: a ring of the last `cacheSize` inserted tokens decides eviction, so an insert is O(1)
  // (a Map iterator would have to skip every deleted slot to find the oldest entry). Hits are not
  // re-ordered, so a hit stays one lookup; access tokens live minutes, so insertion order is close
  // to expiry order anyway. Every cached token is in some ring slot, so size ≤ cacheSize.
  const cache = new Map<string, CacheEntry>();
  const ring: (string | undefined)[] = [];
  let ringNext = 0;
  const headerCache: HeaderCache = new Map();

  function readClaims(payload: JsonObject, nowSeconds: number): AccessTokenClaims {
    const { iss, aud, sub, sid, jti, iat, exp, nbf, scope } = payload;
    // Exact string equality: no arrays, prefixes or substrings (J-09).
    if (typeof iss !== 'string' || iss !== issuer) throw invalid();
    let audClaim: string | readonly string[];
    if (typeof aud === 'string') {
      if (aud !== audience) throw invalid();
      audClaim = aud;
    } else if (Array.isArray(aud) && aud.length > 0 && aud.every((a) => typeof a === 'string')) {
      if (!aud.includes(audience)) throw invalid();
      audClaim = Object.freeze([...(aud as string[])]);
    } else {
      throw invalid(); // missing or malformed aud (J-10)
    }
    if (!isNumericDate(exp) || !isNumericDate(iat) || (nbf !== undefined && !isNumericDate(nbf))) {
      throw invalid(); // a missing exp is never "does not expire" (J-08)
    }
    if (!isIdentifier(sub) || !isIdentifier(sid) || !isIdentifier(jti)) throw invalid();
    if (scope !== undefined && typeof scope !== 'string') throw invalid();
    if ((nbf !== undefined && nbf > nowSeconds + skewSeconds) || iat > nowSeconds + skewSeconds) {
      throw invalid();
    }
    // Expiry last, so token_expired is only ever said about an otherwise valid token.
    if (exp <= nowSeconds - skewSeconds) {
      throw new AuthenticationError('token_expired', 'The access token has expired.');
    }
    const claims: { -readonly [K in keyof AccessTokenClaims]: AccessTokenClaims[K] } = {
      iss,
      aud: audClaim,
      sub,
      sid,
      jti,
      iat,
      exp,
    };
    if (nbf !== undefined) claims.nbf = nbf;
    if (scope !== undefined) claims.scope = scope;
    // Frozen: cached claims are shared by every later hit, so no caller may change them.
    return Object.freeze(claims);
  }

  function checkRevocation(claims: AccessTokenClaims): AccessTokenClaims {
    if (isRevoked !== undefined && isRevoked(claims)) {
      throw new AuthenticationError('token_revoked', 'The access token has been revoked.');
    }
    return claims;
  }

  function verify(token: string): AccessTokenClaims {
    // The length cap comes before anything else, the cache lookup included (J-17).
    if (typeof token !== 'string' || token.length > MAX_COMPACT_JWS_LENGTH) throw invalid();
    const nowSeconds = clock.now() / 1000;
    if (cacheSize > 0) {
      const hit = cache.get(token);
      if (hit !== undefined) {
        if (hit.claims.exp <= nowSeconds - skewSeconds) {
          cache.delete(token);
          throw new AuthenticationError('token_expired', 'The access token has expired.');
        }
        // A retired or replaced key ends the hit: fall through to a full verification.
        if (resolveKey(hit.kid)?.key === hit.key) {
          return checkRevocation(hit.claims);
        }
        cache.delete(token);
      }
    }
    const { payloadBytes, key } = verifyJws(token, resolveKey, expectedTyp, headerCache);
    const payload = parseStrictJsonObject(payloadBytes);
    if (payload === null) throw invalid();
    const claims = readClaims(payload, nowSeconds);
    if (cacheSize > 0) {
      const evicted = ring[ringNext];
      if (evicted !== undefined) cache.delete(evicted);
      ring[ringNext] = token;
      ringNext = ringNext + 1 === cacheSize ? 0 : ringNext + 1;
      cache.set(token, { claims, kid: key.kid, key: key.key });
    }
    return checkRevocation(claims);
  }

  return {
    verify,
    get cachedTokens(): number {
      return cache.size;
    },
  };
}
