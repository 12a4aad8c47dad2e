/**
 * Shared fixtures for the token tests: hand-built compact JWS (so attack tokens can carry any
 * header, any bytes and any signature), keys, claims and an assertion on error codes.
 */
import { constants, generateKeyPairSync, sign } from 'node:crypto';
import type { KeyObject } from 'node:crypto';
import { expect } from 'vitest';
import { createManualClock } from '../../src/core/clock.js';
import type { ManualClock } from '../../src/core/clock.js';
import { AuthenticationError } from '../../src/core/errors.js';
import type { ErrorCode } from '../../src/core/errors.js';
import type { AccessTokenAlgorithm, AccessTokenClaims } from '../../src/core/tokens/access-token-claims.js';
import { importVerificationKey } from '../../src/core/tokens/import-verification-key.js';
import type { VerificationJwk } from '../../src/core/tokens/import-verification-key.js';
import { createAccessTokenVerifier } from '../../src/core/tokens/verify-access-token.js';
import type {
  AccessTokenVerifier,
  AccessTokenVerifierOptions,
  VerificationKey,
} from '../../src/core/tokens/verify-access-token.js';

export const ISSUER = 'https://auth.test';
export const AUDIENCE = 'https://api.test';
/** 2026-01-01T00:00:00Z, the manual clock's default start. */
export const NOW_MS = Date.UTC(2026, 0, 1);
export const NOW = NOW_MS / 1000;

/** Base64url of text (UTF-8), bytes, or a value serialised with JSON.stringify. */
export function b64url(value: string | Uint8Array | object): string {
  if (typeof value === 'string') return Buffer.from(value, 'utf8').toString('base64url');
  if (value instanceof Uint8Array) return Buffer.from(value).toString('base64url');
  return Buffer.from(JSON.stringify(value), 'utf8').toString('base64url');
}

/** A generated key pair with its imported VerificationKey. */
export interface TestKey {
  readonly kid: string;
  readonly alg: AccessTokenAlgorithm;
  readonly privateKey: KeyObject;
  readonly publicKey: KeyObject;
  readonly publicJwk: VerificationJwk;
  readonly verificationKey: VerificationKey;
}

/** Generates a key for `alg` through node:crypto and imports its public JWK the production way. */
export function makeKey(alg: AccessTokenAlgorithm, kid = `kid-${alg.toLowerCase()}`): TestKey {
  const pair =
    alg === 'ES256'
      ? generateKeyPairSync('ec', { namedCurve: 'P-256' })
      : alg === 'EdDSA'
        ? generateKeyPairSync('ed25519')
        : generateKeyPairSync('rsa', { modulusLength: 2048 });
  const publicJwk = { ...pair.publicKey.export({ format: 'jwk' }), kid, alg, use: 'sig' };
  return {
    kid,
    alg,
    privateKey: pair.privateKey,
    publicKey: pair.publicKey,
    publicJwk,
    verificationKey: importVerificationKey(publicJwk),
  };
}

/** Raw signature bytes for `data` under `alg` (ES256 in the JOSE r‖s form). */
export function signBytes(alg: AccessTokenAlgorithm, privateKey: KeyObject, data: Buffer): Buffer {
  switch (alg) {
    case 'ES256':
      return sign('sha256', data, { key: privateKey, dsaEncoding: 'ieee-p1363' });
    case 'RS256':
      return sign('sha256', data, privateKey);
    case 'PS256':
      return sign('sha256', data, {
        key: privateKey,
        padding: constants.RSA_PKCS1_PSS_PADDING,
        saltLength: 32,
      });
    case 'EdDSA':
      return sign(null, data, privateKey);
  }
}

/**
 * Builds a compact JWS by hand. Header and payload may be objects, raw JSON text (duplicate keys)
 * or raw bytes (invalid UTF-8), so the only defect in an attack token is the one under test.
 */
export function signCompact(
  key: Pick<TestKey, 'alg' | 'privateKey'>,
  header: object | string | Uint8Array,
  payload: object | string | Uint8Array,
): string {
  const signingInput = `${b64url(header)}.${b64url(payload)}`;
  const signature = signBytes(key.alg, key.privateKey, Buffer.from(signingInput, 'latin1'));
  return `${signingInput}.${signature.toString('base64url')}`;
}

/** Valid claims at NOW, with overrides (undefined deletes a claim). */
export function claimsAt(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  const claims: Record<string, unknown> = {
    iss: ISSUER,
    aud: AUDIENCE,
    sub: 'user-1',
    sid: 'session-1',
    jti: 'token-1',
    iat: NOW,
    exp: NOW + 300,
    scope: 'read write',
  };
  for (const [name, value] of Object.entries(overrides)) {
    if (value === undefined) delete claims[name];
    else claims[name] = value;
  }
  return claims;
}

/** A correct access token for `key`, with optional header and claim overrides. */
export function accessToken(
  key: TestKey,
  claimOverrides: Record<string, unknown> = {},
  headerOverrides: Record<string, unknown> = {},
): string {
  const header: Record<string, unknown> = { alg: key.alg, typ: 'at+jwt', kid: key.kid };
  for (const [name, value] of Object.entries(headerOverrides)) {
    if (value === undefined) delete header[name];
    else header[name] = value;
  }
  return signCompact(key, header, claimsAt(claimOverrides));
}

/** A verifier trusting `keys`, on a manual clock at NOW. */
export function makeVerifier(
  keys: readonly TestKey[],
  options: Partial<AccessTokenVerifierOptions> = {},
): { verifier: AccessTokenVerifier; clock: ManualClock } {
  const byKid = new Map(keys.map((k) => [k.kid, k.verificationKey]));
  const clock = createManualClock(NOW_MS);
  const verifier = createAccessTokenVerifier({
    issuer: ISSUER,
    audience: AUDIENCE,
    resolveKey: (kid) => byKid.get(kid),
    clock,
    ...options,
  });
  return { verifier, clock };
}

/** Asserts that `fn` throws an AuthenticationError with `code`, and that it leaks no token. */
export function expectAuthError(fn: () => unknown, code: ErrorCode, token?: string): void {
  let thrown: unknown;
  try {
    fn();
  } catch (error) {
    thrown = error;
  }
  expect(thrown, 'expected an AuthenticationError').toBeInstanceOf(AuthenticationError);
  const error = thrown as AuthenticationError;
  expect(error.code).toBe(code);
  expect(error.status).toBe(401);
  if (token !== undefined && token.length > 0) {
    expect(error.message).not.toContain(token);
    expect(error.message).not.toContain(token.slice(0, 20));
  }
}

/** Returns the verified claims of `token`, typed for assertions. */
export function verifyOk(verifier: AccessTokenVerifier, token: string): AccessTokenClaims {
  return verifier.verify(token);
}
