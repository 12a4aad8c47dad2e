/**
 * Checklist items for key import (K-01, K-03) and revocation, named after their IDs in
 * REFERENCES.md. The JWT-verification items (J-01 … J-17) are in jwt-attacks.test.ts.
 */
import { generateKeyPairSync } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { createManualClock } from '../../src/core/clock.js';
import { importVerificationKey } from '../../src/core/tokens/import-verification-key.js';
import type { VerificationJwk } from '../../src/core/tokens/import-verification-key.js';
import { createRevocationSet } from '../../src/core/tokens/revocation-set.js';
import { generateSigningKey } from '../../src/core/tokens/sign-access-token.js';
import { accessToken, expectAuthError, makeKey, makeVerifier, NOW, NOW_MS } from './helpers.js';

const es = makeKey('ES256');
const rsa = makeKey('RS256');
const ed = makeKey('EdDSA');

function rejects(jwk: Record<string, unknown>): void {
  expectAuthError(() => importVerificationKey(jwk as VerificationJwk), 'invalid_token');
}

function jwkOf(kind: 'ec' | 'rsa', options: Record<string, unknown>): Record<string, unknown> {
  const pair =
    kind === 'ec'
      ? generateKeyPairSync('ec', options as { namedCurve: string })
      : generateKeyPairSync('rsa', options as { modulusLength: number });
  return pair.publicKey.export({ format: 'jwk' }) as Record<string, unknown>;
}

describe('K-01 only public, allowlisted, well-formed signature keys are imported', () => {
  it('K-01 accepts each supported key type with kid, alg and use', () => {
    for (const key of [es, rsa, ed]) {
      expect(importVerificationKey(key.publicJwk)).toMatchObject({ kid: key.kid, alg: key.alg });
    }
    expect(importVerificationKey({ ...rsa.publicJwk, alg: 'PS256' }).alg).toBe('PS256');
  });

  it('K-01 rejects private members (d, p, q, dp, dq, qi, oth) and symmetric oct keys (k)', () => {
    const privateEc = es.privateKey.export({ format: 'jwk' });
    rejects({ ...privateEc, kid: 'x', alg: 'ES256', use: 'sig' });
    const privateRsa = rsa.privateKey.export({ format: 'jwk' });
    rejects({ ...privateRsa, kid: 'x', alg: 'RS256' });
    for (const member of ['d', 'p', 'q', 'dp', 'dq', 'qi', 'oth', 'k']) {
      rejects({ ...rsa.publicJwk, [member]: 'AQAB' });
    }
    rejects({ kty: 'oct', k: 'c2VjcmV0', kid: 'hs', alg: 'HS256', use: 'sig' });
    rejects({ kty: 'oct', kid: 'hs', alg: 'ES256', use: 'sig' });
  });

  it('K-01 rejects RSA keys under 2048 bits, e = 1, even e, and a ROCA-fingerprinted modulus', () => {
    rejects({ ...jwkOf('rsa', { modulusLength: 1024 }), kid: 'r', alg: 'RS256' });
    rejects({ ...jwkOf('rsa', { modulusLength: 2040 }), kid: 'r', alg: 'RS256' });
    rejects({ ...rsa.publicJwk, e: 'AQ' });
    rejects({ ...rsa.publicJwk, e: 'Ag' });
    rejects({ ...rsa.publicJwk, e: 'AQAA' });
    const hugeExponent = Buffer.concat([Buffer.from([1]), Buffer.alloc(31), Buffer.from([1])]); // 2^256 + 1
    rejects({ ...rsa.publicJwk, e: hugeExponent.toString('base64url') });
    // The ROCA key from Wycheproof json_web_key_test.json (tcId 7): 2049 bits, so size alone
    // would let it through; the fingerprint check refuses it.
    const vectors = JSON.parse(
      readFileSync(new URL('../../../shared/vectors/wycheproof/json_web_key_test.json', import.meta.url), 'utf8'),
    ) as { testGroups: { type: string; public?: { keys: Record<string, unknown>[] }; tests: { tcId: number }[] }[] };
    const roca = vectors.testGroups.find((g) => g.tests.some((t) => t.tcId === 7))?.public?.keys[0];
    expect(roca?.kid).toBe('kid-rsa-roca-sign');
    rejects(roca as Record<string, unknown>);
    // …and does not fire on ordinary keys.
    for (let i = 0; i < 3; i++) {
      expect(importVerificationKey({ ...jwkOf('rsa', { modulusLength: 2048 }), kid: 'r', alg: 'RS256' }).alg).toBe('RS256');
    }
  });

  it('K-01 rejects invalid EC points, short coordinates and curve / kty / alg mismatches', () => {
    const { x, y } = es.publicJwk as { x: string; y: string };
    const flipped = Buffer.from(y, 'base64url');
    flipped[31] = (flipped[31] as number) ^ 1;
    rejects({ ...es.publicJwk, y: flipped.toString('base64url') });
    rejects({ ...es.publicJwk, x: Buffer.alloc(32).toString('base64url'), y: Buffer.alloc(32).toString('base64url') });
    rejects({ ...es.publicJwk, x: x.slice(0, -2) });
    rejects({ ...es.publicJwk, x: `${x}=` });
    rejects({ ...jwkOf('ec', { namedCurve: 'P-384' }), kid: 'e', alg: 'ES256' });
    rejects({ ...jwkOf('ec', { namedCurve: 'secp256k1' }), kid: 'e', alg: 'ES256' });
    rejects({ ...es.publicJwk, crv: 'P-384' });
    rejects({ ...es.publicJwk, kty: 'RSA' });
    rejects({ ...es.publicJwk, alg: 'RS256' });
    rejects({ ...es.publicJwk, alg: 'EdDSA' });
    rejects({ ...rsa.publicJwk, alg: 'ES256' });
    rejects({ ...rsa.publicJwk, alg: 'EdDSA' });
    rejects({ ...ed.publicJwk, alg: 'ES256' });
    rejects({ ...generateKeyPairSync('ed448').publicKey.export({ format: 'jwk' }), kid: 'e', alg: 'EdDSA' });
    rejects({ ...generateKeyPairSync('x25519').publicKey.export({ format: 'jwk' }), kid: 'e', alg: 'EdDSA' });
  });

  it('K-01 rejects a missing or non-allowlisted alg and a missing or oversized kid', () => {
    for (const alg of [undefined, 'none', 'HS256', 'ES384', 'RS512', 'PS384', 'ES521', 'es256', 1]) {
      rejects({ ...es.publicJwk, alg });
    }
    for (const kid of [undefined, '', 'k'.repeat(257), 7]) rejects({ ...es.publicJwk, kid });
    for (const bad of [null, [], 'jwk']) rejects(bad as unknown as Record<string, unknown>);
  });

  it('K-01 generateSigningKey publishes only public sig members with kid, alg and use', async () => {
    for (const alg of ['ES256', 'RS256', 'EdDSA'] as const) {
      const key = await generateSigningKey(alg, `kid-${alg}`);
      const members = Object.keys(key.publicJwk).sort();
      const expected = { ES256: ['crv', 'x', 'y'], RS256: ['e', 'n'], EdDSA: ['crv', 'x'] }[alg];
      expect(members).toEqual([...expected, 'alg', 'kid', 'kty', 'use'].sort());
      expect(key.publicJwk).toMatchObject({ kid: `kid-${alg}`, alg, use: 'sig' });
      expect(importVerificationKey(key.publicJwk).alg).toBe(alg);
    }
  });
});

describe('K-03 keys meant for encryption or other operations never verify', () => {
  it('K-03 rejects use other than sig and key_ops without verify or with unrelated operations', () => {
    for (const use of ['enc', 'SIG', '', 1]) rejects({ ...es.publicJwk, use });
    for (const keyOps of [['encrypt'], [], ['verify', 'encrypt'], ['sign, verify'], 'verify', [1]]) {
      rejects({ ...es.publicJwk, key_ops: keyOps });
    }
  });

  it('K-03 accepts use sig, no use, key_ops [verify] and [sign, verify]', () => {
    const withoutUse: Record<string, unknown> = { ...es.publicJwk };
    delete withoutUse.use;
    expect(importVerificationKey(withoutUse as VerificationJwk).alg).toBe('ES256');
    for (const keyOps of [['verify'], ['sign', 'verify']]) {
      expect(importVerificationKey({ ...es.publicJwk, key_ops: keyOps }).alg).toBe('ES256');
    }
  });
});

describe('R-01 revoked access tokens are refused; entries expire', () => {
  it('R-01 a token whose jti is on the denylist → token_revoked; other tokens still pass', () => {
    const clock = createManualClock(NOW_MS);
    const revocations = createRevocationSet(clock);
    const { verifier } = makeVerifier([es], { isRevoked: (c) => revocations.isRevoked(c) });
    const revoked = accessToken(es, { jti: 'jti-revoked' });
    const other = accessToken(es, { jti: 'jti-other' });
    expect(verifier.verify(revoked).jti).toBe('jti-revoked');
    revocations.apply({ kind: 'jti', value: 'jti-revoked', expiresAt: (NOW + 300) * 1000 });
    expectAuthError(() => verifier.verify(revoked), 'token_revoked', revoked);
    expect(verifier.verify(other).jti).toBe('jti-other');
  });

  it('R-01 sid and sub-not-before revocations cover every token they name', () => {
    const clock = createManualClock(NOW_MS);
    const revocations = createRevocationSet(clock);
    const { verifier } = makeVerifier([es], { isRevoked: (c) => revocations.isRevoked(c) });
    revocations.apply({ kind: 'sid', value: 'session-x', expiresAt: (NOW + 300) * 1000 });
    expectAuthError(() => verifier.verify(accessToken(es, { sid: 'session-x', jti: 'a' })), 'token_revoked');
    revocations.apply({ kind: 'sub', value: 'user-y', notBefore: NOW_MS, expiresAt: (NOW + 300) * 1000 });
    expectAuthError(() => verifier.verify(accessToken(es, { sub: 'user-y', iat: NOW - 1 })), 'token_revoked');
    // Issued at or after the not-before instant: a later sign-in is not revoked.
    expect(verifier.verify(accessToken(es, { sub: 'user-y', iat: NOW })).sub).toBe('user-y');
  });

  it('R-01 entries expire at exp: sweep drops them, stale or narrower events never shorten them', () => {
    const clock = createManualClock(NOW_MS);
    const set = createRevocationSet(clock);
    set.apply({ kind: 'jti', value: 'j', expiresAt: NOW_MS + 300_000 });
    set.apply({ kind: 'jti', value: 'j', expiresAt: NOW_MS + 100_000 });
    set.apply({ kind: 'sid', value: 's', expiresAt: NOW_MS + 100_000 });
    set.apply({ kind: 'sub', value: 'u', notBefore: NOW_MS, expiresAt: NOW_MS + 100_000 });
    set.apply({ kind: 'sub', value: 'u', notBefore: NOW_MS - 50_000, expiresAt: NOW_MS + 50_000 });
    set.apply({ kind: 'jti', value: 'already-expired', expiresAt: NOW_MS });
    expect(set.size).toBe(3);
    const subject = { sid: 'other', sub: 'u', jti: 'other', iat: NOW - 10 };
    expect(set.isRevoked(subject)).toBe(true);
    clock.advance(100_000);
    set.sweep();
    expect(set.size).toBe(1);
    expect(set.isRevoked(subject)).toBe(false);
    expect(set.isRevoked({ ...subject, jti: 'j' })).toBe(true);
    clock.advance(200_000);
    set.sweep();
    expect(set.size).toBe(0);
  });

  it('R-01 applySnapshot replaces the whole set at once', () => {
    const clock = createManualClock(NOW_MS);
    const set = createRevocationSet(clock);
    set.apply({ kind: 'jti', value: 'old', expiresAt: NOW_MS + 1000 });
    set.applySnapshot([
      { kind: 'sid', value: 's1', expiresAt: NOW_MS + 1000 },
      { kind: 'jti', value: 'j1', expiresAt: NOW_MS + 1000 },
    ]);
    expect(set.size).toBe(2);
    expect(set.isRevoked({ sid: 'x', sub: 'x', jti: 'old', iat: NOW })).toBe(false);
    expect(set.isRevoked({ sid: 's1', sub: 'x', jti: 'x', iat: NOW })).toBe(true);
  });
});
