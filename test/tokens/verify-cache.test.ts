/**
 * The verified-token cache: hits are cheap, but never skip expiry, revocation or key retirement,
 * and the cache never grows past its bound.
 */
import { describe, expect, it } from 'vitest';
import { ConfigurationError } from '../../src/core/errors.js';
import { createRevocationSet } from '../../src/core/tokens/revocation-set.js';
import { createAccessTokenVerifier } from '../../src/core/tokens/verify-access-token.js';
import type { VerificationKey } from '../../src/core/tokens/verify-access-token.js';
import { accessToken, AUDIENCE, expectAuthError, ISSUER, makeKey, makeVerifier, NOW } from './helpers.js';

const es = makeKey('ES256');

describe('verified-token cache', () => {
  it('a cache hit returns the same frozen claims object', () => {
    const { verifier } = makeVerifier([es]);
    const token = accessToken(es);
    const first = verifier.verify(token);
    expect(verifier.cachedTokens).toBe(1);
    const second = verifier.verify(token);
    expect(second).toBe(first);
    expect(Object.isFrozen(first)).toBe(true);
    expect(first).toEqual({
      iss: ISSUER,
      aud: AUDIENCE,
      sub: 'user-1',
      sid: 'session-1',
      jti: 'token-1',
      iat: NOW,
      exp: NOW + 300,
      scope: 'read write',
    });
    // Claims are frozen all the way down, so no caller can poison later hits.
    const withArray = verifier.verify(accessToken(es, { aud: [AUDIENCE, 'x'], jti: 'arr' }));
    expect(Object.isFrozen(withArray.aud)).toBe(true);
  });

  it('a token revoked after it was cached is still rejected: revocation is never cached away', () => {
    const revocations = createRevocationSet({ now: () => NOW * 1000 });
    let checks = 0;
    const { verifier } = makeVerifier([es], {
      isRevoked: (claims) => {
        checks += 1;
        return revocations.isRevoked(claims);
      },
    });
    const token = accessToken(es);
    verifier.verify(token);
    verifier.verify(token);
    expect(checks).toBe(2);
    revocations.apply({ kind: 'sid', value: 'session-1', expiresAt: (NOW + 300) * 1000 });
    expectAuthError(() => verifier.verify(token), 'token_revoked', token);
    expect(verifier.cachedTokens).toBe(1);
  });

  it('an expired cached entry is rejected with token_expired and evicted', () => {
    const { verifier, clock } = makeVerifier([es]);
    const token = accessToken(es, { exp: NOW + 60 });
    verifier.verify(token);
    clock.advance((60 + 30 - 1) * 1000); // still inside the 30 s skew
    expect(verifier.verify(token).exp).toBe(NOW + 60);
    clock.advance(1000);
    expectAuthError(() => verifier.verify(token), 'token_expired', token);
    expect(verifier.cachedTokens).toBe(0);
    expectAuthError(() => verifier.verify(token), 'token_expired', token);
  });

  it('the cache is bounded: its size never exceeds cacheSize', () => {
    const { verifier } = makeVerifier([es], { cacheSize: 5 });
    const tokens = Array.from({ length: 40 }, (_, i) => accessToken(es, { jti: `jti-${i}` }));
    for (const token of tokens) {
      verifier.verify(token);
      expect(verifier.cachedTokens).toBeLessThanOrEqual(5);
    }
    expect(verifier.cachedTokens).toBe(5);
    // Evicted tokens still verify (fully), and re-enter the bounded cache.
    for (const token of tokens) expect(verifier.verify(token).sub).toBe('user-1');
    expect(verifier.cachedTokens).toBe(5);
  });

  it('cacheSize 0 disables caching', () => {
    const { verifier } = makeVerifier([es], { cacheSize: 0 });
    const token = accessToken(es);
    expect(verifier.verify(token)).not.toBe(verifier.verify(token));
    expect(verifier.cachedTokens).toBe(0);
  });

  it('a retired key ends cache hits for the tokens it signed', () => {
    const keys = new Map<string, VerificationKey>([[es.kid, es.verificationKey]]);
    const verifier = createAccessTokenVerifier({
      issuer: ISSUER,
      audience: AUDIENCE,
      resolveKey: (kid) => keys.get(kid),
      clock: { now: () => NOW * 1000 },
    });
    const token = accessToken(es);
    verifier.verify(token);
    keys.delete(es.kid);
    expectAuthError(() => verifier.verify(token), 'invalid_token', token);
    expect(verifier.cachedTokens).toBe(0);
  });

  it('a rejected token is never cached, so a later valid key cannot be skipped', () => {
    const { verifier } = makeVerifier([es]);
    const token = accessToken(es, { iss: 'https://evil.test' });
    expectAuthError(() => verifier.verify(token), 'invalid_token');
    expectAuthError(() => verifier.verify(token), 'invalid_token');
    expect(verifier.cachedTokens).toBe(0);
  });

  it('misconfiguration throws ConfigurationError at creation', () => {
    const base = { issuer: ISSUER, audience: AUDIENCE, resolveKey: () => undefined };
    for (const bad of [
      { ...base, issuer: '' },
      { ...base, audience: '' },
      { ...base, resolveKey: undefined },
      { ...base, clockSkewSeconds: -1 },
      { ...base, clockSkewSeconds: Number.NaN },
      { ...base, cacheSize: 1.5 },
      { ...base, expectedTyp: '' },
    ]) {
      expect(() => createAccessTokenVerifier(bad as never)).toThrow(ConfigurationError);
    }
  });
});
