/**
 * Interoperability with `jose`: our signer's tokens verify with jose's jwtVerify, and tokens jose
 * signs with typ at+jwt verify with ours, for every algorithm we generate keys for.
 */
import { jwtVerify, SignJWT } from 'jose';
import { KeyObject } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { importVerificationKey } from '../../src/core/tokens/import-verification-key.js';
import {
  generateSigningKey,
  signAccessToken,
} from '../../src/core/tokens/sign-access-token.js';
import { createAccessTokenVerifier } from '../../src/core/tokens/verify-access-token.js';
import type { AccessTokenClaims } from '../../src/core/tokens/access-token-claims.js';
import { AUDIENCE, ISSUER } from './helpers.js';

const nowSeconds = Math.floor(Date.now() / 1000);
const claims: AccessTokenClaims = {
  iss: ISSUER,
  aud: AUDIENCE,
  sub: 'user-42',
  sid: 'session-42',
  jti: 'jti-42',
  iat: nowSeconds,
  exp: nowSeconds + 300,
  scope: 'profile',
};

describe.each(['ES256', 'RS256', 'EdDSA'] as const)('jose cross-check (%s)', (alg) => {
  it(`signAccessToken(${alg}) → jose jwtVerify accepts, with header typ at+jwt and kid`, async () => {
    const key = await generateSigningKey(alg, `kid-${alg}`);
    const token = await signAccessToken(claims, key);
    const { payload, protectedHeader } = await jwtVerify(token, key.publicKey, {
      issuer: ISSUER,
      audience: AUDIENCE,
      typ: 'at+jwt',
      algorithms: [alg],
    });
    expect(protectedHeader).toEqual({ alg, kid: `kid-${alg}`, typ: 'at+jwt' });
    expect(payload).toEqual(claims);

    const verificationKey = importVerificationKey(key.publicJwk);
    const ours = createAccessTokenVerifier({
      issuer: ISSUER,
      audience: AUDIENCE,
      resolveKey: (kid) => (kid === verificationKey.kid ? verificationKey : undefined),
    });
    expect(ours.verify(token)).toEqual(claims);
  });

  it(`a token signed by jose SignJWT(${alg}, typ at+jwt) → our verifier accepts`, async () => {
    const key = await generateSigningKey(alg, `jose-${alg}`);
    const token = await new SignJWT({ sid: 'session-7', scope: 'a b' })
      .setProtectedHeader({ alg, kid: `jose-${alg}`, typ: 'at+jwt' })
      .setIssuer(ISSUER)
      .setAudience([AUDIENCE, 'https://other.test'])
      .setSubject('user-7')
      .setJti('jti-7')
      .setIssuedAt()
      .setExpirationTime('5m')
      .sign(key.privateKey);
    const verificationKey = { kid: key.kid, alg, key: KeyObject.from(key.publicKey) };
    const ours = createAccessTokenVerifier({
      issuer: ISSUER,
      audience: AUDIENCE,
      resolveKey: (kid) => (kid === key.kid ? verificationKey : undefined),
    });
    expect(ours.verify(token)).toMatchObject({
      sub: 'user-7',
      sid: 'session-7',
      jti: 'jti-7',
      aud: [AUDIENCE, 'https://other.test'],
      scope: 'a b',
    });
  });
});
