/**
 * Attack tests named after the checklist in REFERENCES.md (J-01 … J-17). Every attack token is
 * built by hand so that the defect under test is the only one it has; each test asserts the exact
 * error code. Key-import (K-01, K-03) and revocation items are in key-revocation.test.ts.
 */
import { createHmac } from 'node:crypto';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { describe, expect, it } from 'vitest';
import { AuthenticationError } from '../../src/core/errors.js';
import {
  MAX_JSON_DEPTH,
  parseCompactJws,
  parseStrictJsonObject,
} from '../../src/core/tokens/parse-compact-jws.js';
import { createRevocationSet } from '../../src/core/tokens/revocation-set.js';
import { verifyJwsSignature } from '../../src/core/tokens/verify-access-token.js';
import {
  accessToken,
  AUDIENCE,
  b64url,
  claimsAt,
  expectAuthError,
  ISSUER,
  makeKey,
  makeVerifier,
  NOW,
  signCompact,
} from './helpers.js';

const es = makeKey('ES256');
const rsa = makeKey('RS256');
const ed = makeKey('EdDSA');
const ps = makeKey('PS256');
const { verifier } = makeVerifier([es, rsa, ed, ps]);
const header = { alg: 'ES256', typ: 'at+jwt', kid: es.kid };
const P256_N = BigInt('0xffffffff00000000ffffffffffffffffbce6faada7179e84f3b9cac2fc632551');

/** header.payload.signature with a raw (possibly attacker-made) signature. */
function withSignature(head: object, payload: object, signature: Buffer | string): string {
  const sig = typeof signature === 'string' ? signature : signature.toString('base64url');
  return `${b64url(head)}.${b64url(payload)}.${sig}`;
}

function hmacToken(head: object, payload: object, secret: string | Buffer): string {
  const input = `${b64url(head)}.${b64url(payload)}`;
  return `${input}.${createHmac('sha256', secret).update(input).digest('base64url')}`;
}

function scalars(r: bigint, s: bigint): Buffer {
  const hex = (v: bigint): string => v.toString(16).padStart(64, '0');
  return Buffer.from(hex(r) + hex(s), 'hex');
}

describe('JWT verification attacks', () => {
  it('accepts the well-formed baseline token for every algorithm (control)', () => {
    for (const key of [es, rsa, ed, ps]) {
      expect(verifier.verify(accessToken(key)).sub).toBe('user-1');
    }
  });

  it('J-01 alg none / None / NONE / nOnE with an empty or any signature → invalid_token', () => {
    for (const alg of ['none', 'None', 'NONE', 'nOnE']) {
      const head = { alg, typ: 'at+jwt', kid: es.kid };
      for (const token of [withSignature(head, claimsAt(), ''), withSignature(head, claimsAt(), 'AAAA')]) {
        expectAuthError(() => verifier.verify(token), 'invalid_token', token);
      }
    }
  });

  it('J-02 stripped, null or empty-secret HMAC signature, or an edited payload → invalid_token', () => {
    const good = accessToken(es);
    const [h, , s] = good.split('.') as [string, string, string];
    const edited = `${h}.${b64url(claimsAt({ sub: 'admin', scope: 'admin' }))}.${s}`;
    const attacks = [
      `${h}.${good.split('.')[1]}.`,
      `${h}.${good.split('.')[1]}`,
      withSignature(header, claimsAt(), Buffer.alloc(64)),
      hmacToken({ ...header, alg: 'HS256' }, claimsAt(), ''),
      hmacToken(header, claimsAt(), ''),
      edited,
    ];
    for (const token of attacks) expectAuthError(() => verifier.verify(token), 'invalid_token', token);
  });

  it('J-03 RS/ES → HS256 key confusion with our PEM / JWK public key as the HMAC secret → invalid_token', () => {
    for (const key of [es, rsa, ed]) {
      const pem = key.publicKey.export({ format: 'pem', type: 'spki' }).toString();
      const der = key.publicKey.export({ format: 'der', type: 'spki' });
      const secrets = [pem, `\n${pem}`, ` ${pem}`, pem.trim(), der, JSON.stringify(key.publicJwk)];
      for (const secret of secrets) {
        for (const alg of ['HS256', 'HS384', 'HS512']) {
          const token = hmacToken({ alg, typ: 'at+jwt', kid: key.kid }, claimsAt(), secret);
          expectAuthError(() => verifier.verify(token), 'invalid_token', token);
        }
      }
    }
  });

  it('J-04 alg off the allowlist, or not the alg pinned to the kid → invalid_token', () => {
    const offList = ['ES384', 'ES512', 'RS384', 'RS512', 'PS384', 'ES256K', 'Ed25519', 'es256'];
    for (const alg of offList) {
      const token = signCompact(es, { ...header, alg }, claimsAt());
      expectAuthError(() => verifier.verify(token), 'invalid_token', token);
    }
    // Correctly signed with the RSA key, but labelled with another allowlisted alg or kid.
    const mismatches = [
      signCompact(rsa, { alg: 'PS256', typ: 'at+jwt', kid: rsa.kid }, claimsAt()),
      signCompact(rsa, { alg: 'RS256', typ: 'at+jwt', kid: es.kid }, claimsAt()),
      signCompact(es, { alg: 'ES256', typ: 'at+jwt', kid: ed.kid }, claimsAt()),
      signCompact({ alg: 'PS256', privateKey: rsa.privateKey }, { alg: 'PS256', typ: 'at+jwt', kid: rsa.kid }, claimsAt()),
    ];
    for (const token of mismatches) expectAuthError(() => verifier.verify(token), 'invalid_token', token);
  });

  it('J-05 an attacker key embedded in the jwk header → invalid_token', () => {
    const attacker = makeKey('ES256', es.kid);
    const { kty, crv, x, y } = attacker.publicJwk;
    const jwk = { kty, crv, x, y };
    for (const head of [
      { ...header, jwk },
      { alg: 'ES256', typ: 'at+jwt', jwk },
      { ...header, jwk: es.publicJwk },
    ]) {
      const token = signCompact(attacker, head, claimsAt());
      expectAuthError(() => verifier.verify(token), 'invalid_token', token);
    }
  });

  it('J-06 jku / x5u to a loopback URL we control are refused and never fetched; x5c → invalid_token', async () => {
    let requests = 0;
    const server = createServer((_req, res) => {
      requests += 1;
      res.end(JSON.stringify({ keys: [es.publicJwk] }));
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/jwks.json`;
    try {
      const attacker = makeKey('ES256', 'attacker');
      const selfSigned = attacker.publicKey.export({ format: 'der', type: 'spki' }).toString('base64');
      for (const extra of [{ jku: url }, { x5u: url }, { x5c: [selfSigned] }, { x5t: 'AAAA' }]) {
        for (const signer of [es, attacker]) {
          const token = signCompact(signer, { ...header, ...extra }, claimsAt());
          expectAuthError(() => verifier.verify(token), 'invalid_token', token);
        }
      }
      await new Promise((resolve) => setTimeout(resolve, 50));
      expect(requests).toBe(0);
    } finally {
      await new Promise((resolve) => server.close(resolve));
    }
  });

  it('J-07 kid path traversal, SQL injection, unknown, 300-char or 10 KB values → invalid_token, no other error', () => {
    const seen: string[] = [];
    const { verifier: spying } = makeVerifier([es], {
      resolveKey: (kid) => {
        seen.push(kid);
        return kid === es.kid ? es.verificationKey : undefined;
      },
    });
    const kids = ['../../dev/null', "' OR '1'='1' --", 'unknown', '', 'k'.repeat(300), 'k'.repeat(10_240)];
    for (const kid of kids) {
      const token = signCompact(es, { ...header, kid }, claimsAt());
      expectAuthError(() => spying.verify(token), 'invalid_token', token);
    }
    for (const kid of [1, null, ['kid-es256'], { $ne: '' }]) {
      const token = signCompact(es, { ...header, kid }, claimsAt());
      expectAuthError(() => spying.verify(token), 'invalid_token', token);
    }
    // Oversized kids never reach the key lookup at all.
    expect(seen.every((kid) => kid.length <= 256)).toBe(true);
  });

  it('J-08 past exp beyond the skew → token_expired; future nbf or iat, missing or non-numeric exp → invalid_token', () => {
    expectAuthError(() => verifier.verify(accessToken(es, { exp: NOW - 31 })), 'token_expired');
    expect(verifier.verify(accessToken(es, { exp: NOW - 29 })).exp).toBe(NOW - 29);
    for (const overrides of [
      { nbf: NOW + 31 },
      { iat: NOW + 31 },
      { exp: undefined },
      { exp: String(NOW + 300) },
      { exp: null },
      { iat: undefined },
      { nbf: 'later' },
    ]) {
      expectAuthError(() => verifier.verify(accessToken(es, overrides)), 'invalid_token');
    }
    expect(verifier.verify(accessToken(es, { nbf: NOW + 29 })).nbf).toBe(NOW + 29);
  });

  it('J-09 wrong iss, or iss as array, prefix, substring or extension → invalid_token', () => {
    for (const iss of ['https://evil.test', [ISSUER], 'http', 'https://auth.tes', `${ISSUER}.evil`, `${ISSUER}/`, ISSUER.toUpperCase(), undefined, null]) {
      expectAuthError(() => verifier.verify(accessToken(es, { iss })), 'invalid_token');
    }
  });

  it('J-10 wrong, missing or malformed aud → invalid_token; an array containing ours passes', () => {
    for (const aud of ['https://other.test', undefined, [], ['https://other.test'], [AUDIENCE, 7], `${AUDIENCE} `, { aud: AUDIENCE }]) {
      expectAuthError(() => verifier.verify(accessToken(es, { aud })), 'invalid_token');
    }
    expect(verifier.verify(accessToken(es, { aud: ['https://other.test', AUDIENCE] })).aud).toEqual([
      'https://other.test',
      AUDIENCE,
    ]);
  });

  it('J-11 refresh token, ID token, DPoP proof, CSRF token or another typ → invalid_token', () => {
    const attacks = [
      'c2Vzc2lvbklk.3.c2VjcmV0c2VjcmV0c2VjcmV0', // <sessionId>.<generation>.<secret> refresh token
      createHmac('sha256', 'k').update('session-1').digest('base64url'), // CSRF token
      accessToken(es, { nonce: 'n' }, { typ: 'JWT' }), // an ID token
      accessToken(es, {}, { typ: undefined }),
      accessToken(es, {}, { typ: 'dpop+jwt' }),
      accessToken(es, {}, { typ: 'refresh+jwt' }),
      accessToken(es, {}, { typ: 'at+jwt ' }),
      accessToken(es, {}, { typ: 'application/jwt' }),
      accessToken(es, {}, { typ: ['at+jwt'] }),
    ];
    for (const token of attacks) expectAuthError(() => verifier.verify(token), 'invalid_token', token);
    // RFC 7515 §4.1.9: case-insensitive, and the application/ prefix may be present.
    for (const typ of ['AT+JWT', 'application/at+jwt', 'Application/At+Jwt']) {
      expect(verifier.verify(accessToken(es, {}, { typ })).sub).toBe('user-1');
    }
  });

  it('J-12 a crit header naming an unknown (or any) extension → invalid_token', () => {
    for (const extra of [{ crit: ['exp'] }, { crit: ['b64'], b64: false }, { crit: [] }, { unknown: 1 }]) {
      const token = signCompact(es, { ...header, ...extra }, claimsAt());
      expectAuthError(() => verifier.verify(token), 'invalid_token', token);
    }
  });

  it('J-13 non-canonical encodings and duplicate keys → invalid_token, even with a valid signature', () => {
    const good = accessToken(es);
    const [h, p, s] = good.split('.') as [string, string, string];
    // Flip the 4 unused low bits of the last signature character: lenient decoders yield the
    // same 64 bytes, so this would be a second spelling of one valid token.
    const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
    const last = alphabet.indexOf(s.at(-1) as string);
    const trailing = `${h}.${p}.${s.slice(0, -1)}${alphabet[last ^ 0b0001]}`;
    expect(Buffer.from(trailing.split('.')[2] as string, 'base64url').equals(Buffer.from(s, 'base64url'))).toBe(true);
    const attacks = [
      trailing,
      `${good}.`,
      `${good}.${s}`,
      `${h}.${p}.${s}==`,
      `${h}.${p}.${s}=`,
      ` ${good}`,
      `${good}\n`,
      `${h} .${p}.${s}`,
      `${h}.${p}.${s.replace(/-/g, '+').replace(/_/g, '/')}${s.includes('-') || s.includes('_') ? '' : '+'}`,
      signCompact(es, '{"alg":"ES256","typ":"at+jwt","kid":"kid-es256","alg":"ES256"}', claimsAt()),
      signCompact(es, header, `{"iss":"${ISSUER}","aud":"${AUDIENCE}","sub":"user-1","sub":"admin","sid":"s","jti":"j","iat":${NOW},"exp":${NOW + 60}}`),
      signCompact(es, header, `{"iss":"${ISSUER}","aud":"${AUDIENCE}","sub":"user-1","\\u0073ub":"admin","sid":"s","jti":"j","iat":${NOW},"exp":${NOW + 60}}`),
      signCompact(es, header, Buffer.concat([Buffer.from(JSON.stringify(claimsAt()).slice(0, -1) + ',"x":"'), Buffer.from([0xc3, 0x28]), Buffer.from('"}')])),
      signCompact(es, header, Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(JSON.stringify(claimsAt()))])),
      signCompact(es, header, JSON.stringify([claimsAt()])),
    ];
    for (const token of attacks) expectAuthError(() => verifier.verify(token), 'invalid_token', token);
    // Control: the same hand-written JSON without the duplicate verifies, so the duplicate is
    // the only reason for the rejections above.
    const control = `{"iss":"${ISSUER}","aud":"${AUDIENCE}","sub":"user-1","sid":"s","jti":"j","iat":${NOW},"exp":${NOW + 60}}`;
    expect(verifier.verify(signCompact(es, header, control)).sub).toBe('user-1');
    expect(parseStrictJsonObject(Buffer.from('{"a":1,"b":{"a":2}}'))).toEqual({ a: 1, b: { a: 2 } });
    expect(parseStrictJsonObject(Buffer.from('{"a":1,"\\u0061":2}'))).toBeNull();
    expect(parseStrictJsonObject(Buffer.from('{"a\\"":1,"a\\"":2}'))).toBeNull();
    const strict = (json: string): unknown => parseStrictJsonObject(Buffer.from(json));
    expect(strict('{"a":[{"x":1,"x":2}]}')).toBeNull();
    expect(strict('{"a":{"b":{"c":1,"c":1}}}')).toBeNull();
    expect(strict('{"__proto__":1,"__proto__":2}')).toBeNull();
    expect(strict('{"a":{"b":1},"c":{"b":2},"d":[{"b":3},{"b":4}]}')).not.toBeNull();
    expect(strict('{"a":"x,\\"a\\":{","b":"}]["}')).toEqual({ a: 'x,"a":{', b: '}][' });
    expect(strict('{"a":"x,y","b":"{\\"c\\":1}","c":[",",{"d":"e"}]}')).not.toBeNull();
  });

  it('J-14 the ECDSA twin (r, n−s) of a revoked token is also rejected: revocation keys on jti/sid', () => {
    const revocations = createRevocationSet({ now: () => NOW * 1000 });
    const { verifier: guarded } = makeVerifier([es], { isRevoked: (c) => revocations.isRevoked(c) });
    const token = accessToken(es, { jti: 'twin-jti' });
    const [h, p, s] = token.split('.') as [string, string, string];
    const sig = Buffer.from(s, 'base64url');
    const r = BigInt(`0x${sig.subarray(0, 32).toString('hex')}`);
    const sv = BigInt(`0x${sig.subarray(32).toString('hex')}`);
    const twin = `${h}.${p}.${scalars(r, P256_N - sv).toString('base64url')}`;
    // Node does not reject high-S: the twin is a different string that verifies on its own.
    expect(twin).not.toBe(token);
    expect(guarded.verify(twin).jti).toBe('twin-jti');
    revocations.apply({ kind: 'jti', value: 'twin-jti', expiresAt: (NOW + 300) * 1000 });
    expectAuthError(() => guarded.verify(token), 'token_revoked', token);
    expectAuthError(() => guarded.verify(twin), 'token_revoked', twin);
  });

  it('J-15 zero or out-of-range ECDSA scalars (r=0, s=0, r=n, s≥n) → invalid_token', () => {
    const cases = [
      [0n, 0n], [0n, 1n], [1n, 0n], [P256_N, 1n], [1n, P256_N], [P256_N, P256_N],
      [1n, P256_N + 1n], [P256_N + 1n, 1n], [2n ** 256n - 1n, 1n], [1n, 2n ** 256n - 1n],
    ] as const;
    const input = Buffer.from(`${b64url(header)}.${b64url(claimsAt())}`, 'latin1');
    for (const [r, s] of cases) {
      const sig = scalars(r, s);
      expect(verifyJwsSignature('ES256', es.verificationKey.key, input, sig)).toBe(false);
      const token = withSignature(header, claimsAt(), sig);
      expectAuthError(() => verifier.verify(token), 'invalid_token', token);
    }
    // Wrong lengths (DER form, truncated, padded) are refused too.
    for (const length of [0, 63, 65, 70, 72]) {
      const token = withSignature(header, claimsAt(), Buffer.alloc(length, 1));
      expectAuthError(() => verifier.verify(token), 'invalid_token', token);
    }
  });

  it('J-16 HS tokens signed with wordlist secrets are refused: no symmetric key ever verifies', () => {
    for (const secret of ['secret', 'password', 'changeme', 'your-256-bit-secret', '']) {
      for (const kid of [es.kid, rsa.kid, 'hs256']) {
        const token = hmacToken({ alg: 'HS256', typ: 'at+jwt', kid }, claimsAt(), secret);
        expectAuthError(() => verifier.verify(token), 'invalid_token', token);
      }
    }
  });

  it('J-17 oversized, deeply nested, JWE, zip and PBES2 tokens are refused quickly', () => {
    const huge = `${'a'.repeat(1 << 20)}.b.c`;
    const nested = signCompact(es, header, `{"a":${'['.repeat(2500)}${']'.repeat(2500)},"iss":"${ISSUER}"}`);
    expect(nested.length).toBeLessThanOrEqual(8192);
    const attacks = [
      huge,
      accessToken(es, { pad: 'x'.repeat(9000) }),
      nested,
      signCompact(es, header, `{"a":${'{"a":'.repeat(20)}1${'}'.repeat(20)}}`),
      `${b64url({ alg: 'RSA-OAEP', enc: 'A256GCM', kid: es.kid })}.AAAA.AAAA.AAAA.AAAA`,
      signCompact(es, { ...header, zip: 'DEF' }, claimsAt()),
      signCompact(es, { alg: 'PBES2-HS512+A256KW', p2c: 2_000_000_000, p2s: 'AAAA', kid: es.kid, typ: 'at+jwt' }, claimsAt()),
    ];
    expect(() => parseCompactJws(nested)).toThrow(AuthenticationError);
    const nest = (depth: number): Buffer =>
      Buffer.from(`${'{"a":'.repeat(depth - 1)}{}${'}'.repeat(depth - 1)}`);
    expect(parseStrictJsonObject(nest(MAX_JSON_DEPTH))).not.toBeNull();
    expect(parseStrictJsonObject(nest(MAX_JSON_DEPTH + 1))).toBeNull();
    const started = performance.now();
    for (let i = 0; i < 100; i++) {
      for (const token of attacks) expectAuthError(() => verifier.verify(token), 'invalid_token');
    }
    // 700 rejections, including a 1 MiB string: well under a millisecond each.
    expect(performance.now() - started).toBeLessThan(700);
  });
});

describe('J-03 (primitive level) an HS signature can never pass verifyJwsSignature', () => {
  it('rejects an HMAC over the input keyed with the public key, for each pinned alg', () => {
    const input = Buffer.from('e30.e30', 'latin1');
    for (const key of [es, rsa, ed]) {
      const pem = key.publicKey.export({ format: 'pem', type: 'spki' });
      const mac = createHmac('sha256', pem).update(input).digest();
      expect(verifyJwsSignature(key.alg, key.verificationKey.key, input, mac)).toBe(false);
    }
  });
});
