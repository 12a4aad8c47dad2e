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
import { decodeBase64UrlInto } from './decode-base64url-into.js';
import {
  decodeUtf8Strict,
  MAX_COMPACT_JWS_LENGTH,
  parseHeaderSegment,
  parseStrictJsonText,
} from './parse-compact-jws.js';
import type { JsonObject } from './parse-compact-jws.js';
import { parseFlatClaims } from './parse-flat-claims.js';
import { VerifiedTokenCache } from './verified-token-cache.js';
import type { ExpectedStrings, FlatClaims } from './parse-flat-claims.js';
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
  /** The header segment exactly as written (base64url text). */
  readonly text: string;
  readonly header: JsonObject;
  readonly kid: string;
  readonly alg: string;
}

/**
 * Header segments already seen to be valid, per verifier; bounded, cleared when full. An array
 * searched by prefix rather than a Map: one issuer has one header per key (two or three during a
 * rotation), and a prefix compare needs neither a slice of the token nor a hash of it.
 */
type HeaderCache = CheckedHeader[];
const HEADER_CACHE_SIZE = 16;

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
  return { text: segment, header: Object.freeze(header), kid, alg };
}

function findCachedHeader(cache: HeaderCache | null, token: string, headerEnd: number): CheckedHeader | undefined {
  if (cache === null) return undefined;
  for (const entry of cache) {
    if (entry.text.length === headerEnd && token.startsWith(entry.text)) return entry;
  }
  return undefined;
}

// The token lives in one scratch buffer shared by every verifier: its own ASCII bytes (so the
// signing input is the first part, up to the second dot), then the decoded payload, then the
// decoded signature. Verification is synchronous and calls no user code between writing the
// buffer and its last read (resolveKey runs before, isRevoked after), so no two uses can
// interleave, and nothing is allocated per token for bytes thrown away microseconds later.
const MAX_DECODED_LENGTH = Math.floor((MAX_COMPACT_JWS_LENGTH * 3) / 4);
const PAYLOAD_OFFSET = MAX_COMPACT_JWS_LENGTH;
const SIGNATURE_OFFSET = PAYLOAD_OFFSET + MAX_DECODED_LENGTH;
const scratch = Buffer.allocUnsafeSlow(SIGNATURE_OFFSET + MAX_DECODED_LENGTH);

// Views of the scratch buffer handed to node:crypto, one per region, kept for the last length
// seen: every token of one issuer and key has the same signature length, and often the same
// signing-input length, so the view objects are made once instead of per token.
let signingInputView = scratch.subarray(0, 0);
let signatureView = scratch.subarray(SIGNATURE_OFFSET, SIGNATURE_OFFSET);

/** A verified JWS whose payload bytes sit in the scratch buffer until the next verification. */
interface VerifiedInScratch {
  readonly header: CheckedHeader;
  readonly key: VerificationKey;
  readonly payloadLength: number;
}

function verifyJwsInScratch(
  token: string,
  resolveKey: (kid: string) => VerificationKey | undefined,
  expectedTyp: string | null,
  headerCache: HeaderCache | null,
): VerifiedInScratch {
  if (typeof token !== 'string' || token.length > MAX_COMPACT_JWS_LENGTH) throw invalid();
  // Exactly three segments: JWE (five), JSON serialisation and extra segments are refused.
  const headerEnd = token.indexOf('.');
  const payloadEnd = headerEnd <= 0 ? -1 : token.indexOf('.', headerEnd + 1);
  // A third dot needs no search: '.' is outside the alphabet the signature decode accepts.
  if (payloadEnd < 0) throw invalid();
  // Nearly every token of one issuer has the same header segment, so its parse and checks are
  // done once; the cache only ever holds headers whose key has verified a signature.
  const cached = findCachedHeader(headerCache, token, headerEnd);
  const checked = cached ?? checkHeader(token.slice(0, headerEnd), expectedTyp);
  const key = resolveKey(checked.kid);
  // The header's alg must equal the key's pinned alg: "none", HS256-with-the-public-key and any
  // kty/alg mismatch can never match, because no key is pinned to them (J-01, J-03, J-04).
  if (key === undefined || checked.alg !== key.alg || key.kid !== checked.kid) throw invalid();
  // The token's bytes go into the scratch buffer in one native copy, and everything after works
  // on bytes: the signing input is already in place (offset 0 up to the second dot). UTF-8, not
  // latin1: latin1 would keep only the low byte of a character above U+00FF (U+012E would become
  // '.'), while UTF-8 turns any non-ASCII character into bytes ≥ 0x80, which no base64url check
  // accepts — and then makes more bytes than characters, which is refused right here.
  if (scratch.write(token, 0, token.length, 'utf8') !== token.length) throw invalid();
  // Canonical base64url only (J-13); an empty signature is an unsecured JWS (J-01, J-02).
  const payloadLength = decodeBase64UrlInto(scratch, headerEnd + 1, payloadEnd, scratch, PAYLOAD_OFFSET);
  const signatureLength = decodeBase64UrlInto(scratch, payloadEnd + 1, token.length, scratch, SIGNATURE_OFFSET);
  if (payloadLength < 0 || signatureLength <= 0) throw invalid();
  if (signingInputView.length !== payloadEnd) signingInputView = scratch.subarray(0, payloadEnd);
  if (signatureView.length !== signatureLength) signatureView = scratch.subarray(SIGNATURE_OFFSET, SIGNATURE_OFFSET + signatureLength);
  const signingInput = signingInputView;
  const signature = signatureView;
  if (!verifyJwsSignature(key.alg, key.key, signingInput, signature)) throw invalid();
  if (headerCache !== null && cached === undefined) {
    if (headerCache.length >= HEADER_CACHE_SIZE) headerCache.length = 0;
    headerCache.push(checked);
  }
  return { header: checked, key, payloadLength };
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
  const { header, key, payloadLength } = verifyJwsInScratch(token, resolveKey, expectedTyp, null);
  const payloadBytes = Buffer.from(scratch.subarray(PAYLOAD_OFFSET, PAYLOAD_OFFSET + payloadLength));
  return { header: header.header, payloadBytes, key };
}

/**
 * Parses the verified payload in the scratch buffer: the flat fast path first, then — for
 * anything outside its subset, which is also where every malformed payload is refused — strict
 * UTF-8 decoding and the full strict JSON parser.
 */
function parsePayload(payloadLength: number, expected: ExpectedStrings): FlatClaims | JsonObject | null {
  const end = PAYLOAD_OFFSET + payloadLength;
  const flat = parseFlatClaims(scratch, PAYLOAD_OFFSET, end, expected);
  if (flat !== undefined) return flat;
  const text = decodeUtf8Strict(scratch.subarray(PAYLOAD_OFFSET, end));
  return text === null ? null : parseStrictJsonText(text);
}

function isNumericDate(value: unknown): value is number {
  return typeof value === 'number' && Number.isFinite(value);
}

function isIdentifier(value: unknown): value is string {
  return typeof value === 'string' && value.length > 0 && value.length <= MAX_IDENTIFIER_LENGTH;
}

interface CacheEntry {
  readonly token: string;
  readonly claims: AccessTokenClaims;
  /** The key that verified the token: a hit only counts while its kid still resolves to it. */
  readonly verifiedBy: VerificationKey;
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

  const cache = cacheSize > 0 ? new VerifiedTokenCache<CacheEntry>(cacheSize) : null;
  const expectedStrings: ExpectedStrings = { iss: issuer, aud: audience };
  const headerCache: HeaderCache = [];

  function readClaims(payload: FlatClaims | JsonObject, nowSeconds: number): AccessTokenClaims {
    const { iss, aud, sub, sid, jti, iat, exp, nbf, scope } = payload;
    // Exact string equality: no arrays, prefixes or substrings (J-09).
    if (typeof iss !== 'string' || iss !== issuer) throw invalid();
    let audClaim: string | readonly string[];
    if (typeof aud === 'string') {
      if (aud !== audience) throw invalid();
      audClaim = audience; // the configured string (equal): every cached token shares it
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
    // One literal per shape (no property added afterwards, so no map transitions); iss and aud
    // are the configured strings, equal to the token's, shared by every cached token.
    // Frozen: cached claims are shared by every later hit, so no caller may change them.
    if (nbf === undefined) {
      return Object.freeze(
        scope === undefined
          ? { iss: issuer, aud: audClaim, sub, sid, jti, iat, exp }
          : { iss: issuer, aud: audClaim, sub, sid, jti, iat, exp, scope },
      );
    }
    return Object.freeze(
      scope === undefined
        ? { iss: issuer, aud: audClaim, sub, sid, jti, iat, exp, nbf }
        : { iss: issuer, aud: audClaim, sub, sid, jti, iat, exp, nbf, scope },
    );
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
    if (cache !== null) {
      const hit = cache.get(token);
      if (hit !== undefined) {
        if (hit.claims.exp <= nowSeconds - skewSeconds) {
          cache.delete(token);
          throw new AuthenticationError('token_expired', 'The access token has expired.');
        }
        // A retired or replaced key ends the hit: fall through to a full verification.
        if (resolveKey(hit.verifiedBy.kid)?.key === hit.verifiedBy.key) {
          return checkRevocation(hit.claims);
        }
        cache.delete(token);
      }
    }
    const { key, payloadLength } = verifyJwsInScratch(token, resolveKey, expectedTyp, headerCache);
    const payload = parsePayload(payloadLength, expectedStrings);
    if (payload === null) throw invalid();
    const claims = readClaims(payload, nowSeconds);
    if (cache !== null) cache.add({ token, claims, verifiedBy: key });
    return checkRevocation(claims);
  }

  return {
    verify,
    get cachedTokens(): number {
      return cache === null ? 0 : cache.size;
    },
  };
}
