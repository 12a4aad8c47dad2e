/**
 * The claims of a Tessera access token (RFC 9068 profile, DESIGN §2) and the constants every
 * signer and verifier shares. Kept apart from the verifier so signers, the key ring and the
 * revocation set can import the shape without pulling in `node:crypto`.
 */

/** The JOSE `typ` of an access token (RFC 9068 §2.1); anything else is not an access token. */
export const ACCESS_TOKEN_TYP = 'at+jwt';

/** The media-type form of the same `typ`, which RFC 7515 §4.1.9 lets issuers send instead. */
export const ACCESS_TOKEN_MEDIA_TYPE = 'application/at+jwt';

/** Longest `sub`, `sid`, `jti` and `kid` we accept: bounds memory in caches and revocation maps. */
export const MAX_IDENTIFIER_LENGTH = 256;

/** Signature algorithms Tessera signs and verifies with; HS* and `none` are deliberately absent. */
export type AccessTokenAlgorithm = 'ES256' | 'RS256' | 'PS256' | 'EdDSA';

/** The allowlist of `AccessTokenAlgorithm` values, for runtime checks of untrusted input. */
export const ACCESS_TOKEN_ALGORITHMS: readonly AccessTokenAlgorithm[] = [
  'ES256',
  'RS256',
  'PS256',
  'EdDSA',
];

/**
 * The verified claims of an access token. Numeric dates are seconds since the epoch (JWT
 * NumericDate); `sid` ties the token to its session so revoking the session revokes the token.
 */
export interface AccessTokenClaims {
  readonly iss: string;
  readonly aud: string | readonly string[];
  readonly sub: string;
  readonly sid: string;
  readonly jti: string;
  readonly iat: number;
  readonly exp: number;
  readonly nbf?: number;
  readonly scope?: string;
}

/** True when `value` is one of the allowlisted signature algorithms. */
export function isAccessTokenAlgorithm(value: unknown): value is AccessTokenAlgorithm {
  return (
    value === 'ES256' || value === 'RS256' || value === 'PS256' || value === 'EdDSA'
  );
}
