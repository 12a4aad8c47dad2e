/**
 * Access-token verification, the hot path of every service (DESIGN §2). Synchronous and strict:
 * canonical parsing, a header allowlist, `alg` pinned per `kid`, the signature checked through
 * `node:crypto` with a pre-imported KeyObject, then the claims. A bounded cache of verified
 * tokens makes repeat use cost a hash lookup; revocation is checked on every call, after the
 * cache, and is never cached away. Nothing here ever fetches a key (no `jku`, `x5u`, `jwk`).
 */
import { constants, verify as cryptoVerify } from 'node:crypto';
import type { KeyObject } from 'node:crypto';
import { systemClock } from '../clock.js';
import type { Clock } from '../clock.js';
import { AuthenticationError, ConfigurationError } from '../errors.js';
import { ACCESS_TOKEN_TYP, MAX_IDENTIFIER_LENGTH } from './access-token-claims.js';
import type { AccessTokenAlgorithm, AccessTokenClaims } from './access-token-claims.js';
import { decodeCompactJws, parseStrictJsonObject } from './parse-compact-jws.js';
import type { JsonObject } from './parse-compact-jws.js';

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
  /** Revocation check run on every call, cache hit or not; true means revoked. */
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

// Order of the P-256 group. A signature scalar must lie in [1, n-1]; r = s = 0 is the "psychic
// signature" that Java accepted (CVE-2022-21449), so we refuse it before OpenSSL sees it (J-15).
const P256_ORDER = Buffer.from(
  'ffffffff00000000ffffffffffffffffbce6faada7179e84f3b9cac2fc632551',
  'hex',
);
const MIN_RSA_BITS = 2048;
// Bounds the cost of one RSA verification an attacker-chosen JWKS could impose.
const MAX_RSA_BITS = 8192;
const ALLOWED_HEADER_MEMBERS = new Set(['alg', 'typ', 'kid']);

type NodeVerifyKey =
  | KeyObject
  | { key: KeyObject; dsaEncoding: 'ieee-p1363' }
  | { key: KeyObject; padding: number; saltLength?: number };

interface PreparedKey {
  readonly alg: AccessTokenAlgorithm;
  readonly verifyKey: NodeVerifyKey;
  readonly signatureLength: number;
}

// Key checks and option objects are computed once per KeyObject, not once per token.
const preparedKeys = new WeakMap<KeyObject, PreparedKey | null>();

/** Checks that `key` really is a key for `alg` and builds the node:crypto options for it. */
function prepareKey(alg: AccessTokenAlgorithm, key: KeyObject): PreparedKey | null {
  // A private key would verify too, but verifiers have no business holding one.
  if (key.type !== 'public') return null;
  const type = key.asymmetricKeyType;
  const details = key.asymmetricKeyDetails ?? {};
  switch (alg) {
    case 'ES256':
      if (type !== 'ec' || details.namedCurve !== 'prime256v1') return null;
      return { alg, verifyKey: { key, dsaEncoding: 'ieee-p1363' }, signatureLength: 64 };
    case 'EdDSA':
      // Ed25519 only: Ed448 is a different algorithm with a different security level.
      if (type !== 'ed25519') return null;
      return { alg, verifyKey: key, signatureLength: 64 };
    case 'RS256':
    case 'PS256': {
      const bits = details.modulusLength ?? 0;
      if (type !== 'rsa' || bits < MIN_RSA_BITS || bits > MAX_RSA_BITS) return null;
      const verifyKey =
        alg === 'RS256'
          ? { key, padding: constants.RSA_PKCS1_PADDING }
          : { key, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: 32 };
      return { alg, verifyKey, signatureLength: Math.ceil(bits / 8) };
    }
    default:
      return null;
  }
}

function preparedKeyFor(alg: AccessTokenAlgorithm, key: KeyObject): PreparedKey | null {
  const cached = preparedKeys.get(key);
  if (cached !== undefined && (cached === null || cached.alg === alg)) {
    return cached === null ? null : cached;
  }
  const prepared = prepareKey(alg, key);
  preparedKeys.set(key, prepared);
  return prepared;
}

/** True when the 32-byte big-endian scalar at `offset` is in [1, n-1] for P-256. */
function isP256ScalarInRange(signature: Buffer, offset: number): boolean {
  let isZero = true;
  for (let i = 0; i < 32; i++) {
    if (signature[offset + i] !== 0) {
      isZero = false;
      break;
    }
  }
  if (isZero) return false;
  for (let i = 0; i < 32; i++) {
    const a = signature[offset + i] as number;
    const b = P256_ORDER[i] as number;
    if (a !== b) return a < b;
  }
  return false; // equal to n
}

/**
 * The low-level signature check shared by the verifier and the Wycheproof tests: true only when
 * `signature` is a valid `alg` signature of `signingInput` under `key`. Never throws.
 *
 * ES256 takes the JOSE r‖s form (exactly 64 bytes) with both scalars range-checked. Note that
 * ECDSA stays malleable: (r, n−s) verifies as well as (r, s), and Node does not reject high-S.
 * That is why revocation and every denylist key on `jti`/`sid`/`sub`, never on token bytes (J-14).
 */
export function verifyJwsSignature(
  alg: AccessTokenAlgorithm,
  key: KeyObject,
  signingInput: Uint8Array,
  signature: Uint8Array,
): boolean {
  const prepared = preparedKeyFor(alg, key);
  if (prepared === null || signature.length !== prepared.signatureLength) return false;
  const sig = Buffer.isBuffer(signature)
    ? signature
    : Buffer.from(signature.buffer, signature.byteOffset, signature.byteLength);
  if (alg === 'ES256' && !(isP256ScalarInRange(sig, 0) && isP256ScalarInRange(sig, 32))) {
    return false;
  }
  try {
    return cryptoVerify(alg === 'EdDSA' ? null : 'sha256', signingInput, prepared.verifyKey, sig);
  } catch {
    return false;
  }
}

function invalid(): AuthenticationError {
  return new AuthenticationError('invalid_token', 'The access token is invalid.');
}

/** Normalises a `typ` value per RFC 7515 §4.1.9: case-insensitive, `application/` optional. */
function normaliseTyp(typ: string): string {
  const lower = typ.toLowerCase();
  return lower.startsWith('application/') ? lower.slice('application/'.length) : lower;
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
  const { header, payloadBytes, signingInput, signature } = decodeCompactJws(token);
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
  const key = resolveKey(kid);
  // The header's alg must equal the key's pinned alg: "none", HS256-with-the-public-key and any
  // kty/alg mismatch can never match, because no key is pinned to them (J-01, J-03, J-04).
  if (key === undefined || typeof alg !== 'string' || alg !== key.alg || key.kid !== kid) {
    throw invalid();
  }
  if (!verifyJwsSignature(key.alg, key.key, signingInput, signature)) throw invalid();
  return { header, payloadBytes, key };
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

  // Insertion-ordered Map, oldest evicted first. Hits are not re-ordered, so a hit stays one
  // lookup; access tokens live minutes, so insertion order is close to expiry order anyway.
  const cache = new Map<string, CacheEntry>();

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
    const claims: AccessTokenClaims = { iss, aud: audClaim, sub, sid, jti, iat, exp };
    // Frozen: cached claims are shared by every later hit, so no caller may change them.
    return Object.freeze({
      ...claims,
      ...(nbf !== undefined ? { nbf } : {}),
      ...(scope !== undefined ? { scope } : {}),
    });
  }

  function checkRevocation(claims: AccessTokenClaims): AccessTokenClaims {
    if (isRevoked !== undefined && isRevoked(claims)) {
      throw new AuthenticationError('token_revoked', 'The access token has been revoked.');
    }
    return claims;
  }

  function verify(token: string): AccessTokenClaims {
    const nowSeconds = clock.now() / 1000;
    if (cacheSize > 0 && typeof token === 'string') {
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
    const { payloadBytes, key } = verifyCompactJws(token, resolveKey, expectedTyp);
    const payload = parseStrictJsonObject(payloadBytes);
    if (payload === null) throw invalid();
    const claims = readClaims(payload, nowSeconds);
    if (cacheSize > 0) {
      if (cache.size >= cacheSize) {
        const oldest = cache.keys().next();
        if (oldest.done !== true) cache.delete(oldest.value);
      }
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
