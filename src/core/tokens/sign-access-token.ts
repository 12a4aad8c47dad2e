/**
 * Signing side of access tokens: small helpers over `jose`, the best-kept JOSE library (DESIGN
 * §4b). Signing happens once per token issue, so jose's async API costs nothing that matters
 * here; verification, the hot path, lives in verify-access-token.ts and uses node:crypto.
 */
import { exportJWK, generateKeyPair, SignJWT } from 'jose';
import type { JWK } from 'jose';
import type { KeyObject, webcrypto } from 'node:crypto';
import { ACCESS_TOKEN_TYP } from './access-token-claims.js';
import type { AccessTokenAlgorithm, AccessTokenClaims } from './access-token-claims.js';

/** A private key able to sign access tokens under one `kid` with one pinned `alg`. */
export interface SigningKey {
  readonly kid: string;
  readonly alg: AccessTokenAlgorithm;
  readonly privateKey: KeyObject | webcrypto.CryptoKey;
}

/** Algorithms new signing keys are generated for. */
export type SigningAlgorithm = Extract<AccessTokenAlgorithm, 'ES256' | 'RS256' | 'EdDSA'>;

/** A freshly generated key pair with its publishable JWK. */
export interface GeneratedSigningKey extends SigningKey {
  readonly publicKey: webcrypto.CryptoKey;
  /** Public members only, with `kid`, `alg` and `use: "sig"`, as the JWKS publishes it (K-01). */
  readonly publicJwk: JWK & { kid: string; alg: SigningAlgorithm; use: 'sig' };
}

/** Signs `claims` as a compact JWS with header `{ alg, kid, typ: "at+jwt" }` (RFC 9068). */
export async function signAccessToken(
  claims: AccessTokenClaims,
  signingKey: SigningKey,
): Promise<string> {
  const aud = typeof claims.aud === 'string' ? claims.aud : [...claims.aud];
  return new SignJWT({ ...claims, aud })
    .setProtectedHeader({ alg: signingKey.alg, kid: signingKey.kid, typ: ACCESS_TOKEN_TYP })
    .sign(signingKey.privateKey);
}

/** Generates a signing key pair (RSA keys are 2048-bit, EdDSA is Ed25519) and its public JWK. */
export async function generateSigningKey(
  alg: SigningAlgorithm,
  kid: string,
): Promise<GeneratedSigningKey> {
  // extractable, so the key ring can store the private key (encrypted at rest).
  const { privateKey, publicKey } = await generateKeyPair(alg, { extractable: true });
  const exported = await exportJWK(publicKey);
  // exportJWK of a public key has no private members; rebuild anyway so nothing else leaks in.
  const { kty, crv, x, y, n, e } = exported;
  const publicJwk = {
    kty,
    ...(crv !== undefined ? { crv } : {}),
    ...(x !== undefined ? { x } : {}),
    ...(y !== undefined ? { y } : {}),
    ...(n !== undefined ? { n } : {}),
    ...(e !== undefined ? { e } : {}),
    kid,
    alg,
    use: 'sig' as const,
  };
  return { kid, alg, privateKey, publicKey, publicJwk };
}
