/**
 * The verifier's cold-path shortcuts must never be more lenient than the strict path they stand
 * in front of: the flat-claims parser against JSON.parse + the strict parser (the byte-level
 * base64url decoder is held to core/encoding in parse-fuzz.test.ts), the shared scratch buffer
 * against stale bytes, the integer-keyed cache against tokens that merely share signature
 * characters, and the UTF-8 copy of the token against characters that a latin1 copy would have
 * folded onto ASCII.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseStrictJsonText } from '../../src/core/tokens/parse-compact-jws.js';
import { parseFlatClaims } from '../../src/core/tokens/parse-flat-claims.js';
import {
  accessToken,
  AUDIENCE,
  b64url,
  claimsAt,
  expectAuthError,
  ISSUER,
  makeKey,
  makeVerifier,
  signCompact,
} from './helpers.js';

const es = makeKey('ES256');
const EXPECTED = { iss: ISSUER, aud: AUDIENCE };
const CLAIM_NAMES = ['iss', 'aud', 'sub', 'sid', 'jti', 'iat', 'exp', 'nbf', 'scope'] as const;

/** parseFlatClaims over the UTF-8 bytes of `text`, with junk after the end of the payload. */
function flat(text: string, junk = '}}]"'): ReturnType<typeof parseFlatClaims> {
  const bytes = Buffer.from(text + junk, 'utf8');
  return parseFlatClaims(bytes, 0, bytes.length - Buffer.byteLength(junk), EXPECTED);
}

describe('verifier fast path', () => {
  it('flat claims: whatever the fast parser accepts, JSON.parse and the strict parser read the same', () => {
    const name = fc.oneof(fc.constantFrom(...CLAIM_NAMES), fc.constantFrom('client_id', 'iss ', 'ISS', '__proto__', 'scop'));
    const value = fc.oneof(
      fc.string({ maxLength: 12 }),
      fc.constantFrom(ISSUER, AUDIENCE, 'a\\"b', 'é', '\u0007'),
      fc.integer(),
      fc.constantFrom(0, -0, 1.5, 1e21, 2 ** 53, -1, 1_764_000_000, 123_456_789_012_345, 1_234_567_890_123_456),
      fc.array(fc.oneof(fc.string({ maxLength: 6 }), fc.constant(AUDIENCE)), { maxLength: 3 }),
      fc.boolean(),
      fc.constant(null),
      fc.dictionary(fc.string({ maxLength: 3 }), fc.integer(), { maxKeys: 2 }),
    );
    const members = fc.array(fc.tuple(name, value), { maxLength: 10 });
    let accepted = 0;
    // Mutations of the serialised text: a changed, inserted or deleted character.
    const edit = fc.record({ at: fc.nat(), kind: fc.constantFrom('none', 'replace', 'insert', 'delete'), char: fc.constantFrom(' ', '"', ',', ':', '{', '}', '[', ']', '0', '-', '.', 'e', '\\', 'a') });
    fc.assert(
      fc.property(members, edit, (pairs, e) => {
        // Written by hand so repeated names survive into the text.
        let text = `{${pairs.map(([n, v]) => `${JSON.stringify(n)}:${JSON.stringify(v)}`).join(',')}}`;
        const i = e.at % (text.length + 1);
        if (e.kind === 'replace') text = text.slice(0, i) + e.char + text.slice(i + 1);
        if (e.kind === 'insert') text = text.slice(0, i) + e.char + text.slice(i);
        if (e.kind === 'delete') text = text.slice(0, i) + text.slice(i + 1);
        const fast = flat(text);
        if (fast === undefined) return; // not in the subset: the strict path decides alone
        // Accepted: valid JSON, no duplicates, only known claims, every claim read alike.
        const parsed = JSON.parse(text) as Record<string, unknown>;
        const strict = parseStrictJsonText(text);
        expect(strict).not.toBeNull();
        for (const key of Object.keys(parsed)) expect(CLAIM_NAMES).toContain(key);
        for (const claim of CLAIM_NAMES) expect(fast[claim]).toStrictEqual(parsed[claim]);
        accepted += 1;
      }),
      { numRuns: 20_000 },
    );
    // The property must have been exercised, not vacuously true.
    expect(accepted).toBeGreaterThan(500);
  });

  it('flat claims: the subset boundary goes to the strict parser, and bytes past the end are never read', () => {
    const ok = '{"iss":"https://auth.test","aud":["x","https://api.test"],"sub":"u","sid":"s","jti":"j","iat":1,"exp":2,"nbf":0,"scope":"a b"}';
    const parsed = flat(ok);
    expect(parsed).toStrictEqual(JSON.parse(ok));
    expect(parsed?.iss).toBe(ISSUER); // the configured string itself, not a copy
    for (const outside of [
      '{"iss":"a","iss":"b"}', // repeated claim
      '{"iss":"a","client_id":"c"}', // unknown claim
      '{ "iss":"a"}', // whitespace
      '{"iss":"\\u0061"}', // escape
      '{"sub":"é"}', // non-ASCII
      '{"exp":1.5}', // fraction
      '{"exp":1e3}', // exponent
      '{"exp":01}', // leading zero (invalid JSON)
      '{"exp":-}', // lone minus (invalid JSON)
      '{"exp":1234567890123456}', // 16 digits
      '{"sub":true}', // boolean
      '{"sub":["a"]}', // array outside aud
      '{"aud":[1]}', // non-string in aud
      '{"iss":"a"},', // trailing text
      '{"iss":"a"', // unterminated
      '{"iss":"a",}', // trailing comma
      '{"iss":"a\u0001"}', // control character
      '[]',
      '',
    ]) {
      expect(flat(outside), outside).toBeUndefined();
    }
    // A truncated payload followed by bytes that would complete it must not be read as complete.
    expect(flat('{"iss":"a"', '}')).toBeUndefined();
    expect(flat('{"iss":"a', '"}')).toBeUndefined();
    expect(flat('{"iss":', '"a"}')).toBeUndefined();
    expect(flat('{"aud":["a"', ']}')).toBeUndefined();
    expect(flat('{"exp":12', '3}')).toBeUndefined();
  });

  it('tokens outside the flat subset verify through the strict path with the same claims', () => {
    const { verifier } = makeVerifier([es], { cacheSize: 0 });
    const plain = verifier.verify(accessToken(es));
    const spaced = signCompact(es, { alg: 'ES256', typ: 'at+jwt', kid: es.kid }, JSON.stringify(claimsAt(), null, 1));
    const extra = accessToken(es, { client_id: 'cli', amr: ['pwd'] });
    expect(verifier.verify(spaced)).toStrictEqual(plain);
    expect(verifier.verify(extra)).toStrictEqual(plain);
    // Duplicates are refused on both paths (J-13).
    const duplicate = signCompact(es, { alg: 'ES256', typ: 'at+jwt', kid: es.kid }, `${JSON.stringify(claimsAt()).slice(0, -1)},"sub":"admin"}`);
    expectAuthError(() => verifier.verify(duplicate), 'invalid_token', duplicate);
  });

  it('claims stay intact after later verifications reuse the scratch buffer', () => {
    const { verifier } = makeVerifier([es], { cacheSize: 0 });
    const first = verifier.verify(accessToken(es, { sub: 'first-user-with-a-long-id', sid: 'first-session-0000000000' }));
    for (let i = 0; i < 20; i++) verifier.verify(accessToken(es, { sub: `other-${i}`.repeat(4), sid: `s-${i}` }));
    expect(first.sub).toBe('first-user-with-a-long-id');
    expect(first.sid).toBe('first-session-0000000000');
    expect(Object.isFrozen(first)).toBe(true);
  });

  it('a token sharing the cached token’s last characters is not a cache hit', () => {
    const { verifier } = makeVerifier([es]);
    const token = accessToken(es);
    verifier.verify(token);
    // Same signature (so same cache key), different payload: must be verified, and refused.
    const [header, , signature] = token.split('.');
    const forged = `${header}.${b64url(claimsAt({ sub: 'admin' }))}.${signature}`;
    expectAuthError(() => verifier.verify(forged), 'invalid_token', forged);
    expect(verifier.verify(token).sub).toBe('user-1');
    expect(verifier.cachedTokens).toBe(1);
  });

  it('characters above U+00FF never fold onto base64url or dot bytes', () => {
    const { verifier } = makeVerifier([es], { cacheSize: 0 });
    const token = accessToken(es);
    const dot = token.indexOf('.');
    // U+012E and U+0141 have the low bytes 0x2E ('.') and 0x41 ('A'): a latin1 copy would see a
    // valid token; the verifier must not.
    for (const [at, char] of [
      [dot, '\u012e'],
      [dot + 1, String.fromCharCode(0x100 | token.charCodeAt(dot + 1))],
      [token.length - 1, String.fromCharCode(0x100 | token.charCodeAt(token.length - 1))],
    ] as const) {
      const folded = token.slice(0, at) + char + token.slice(at + 1);
      expectAuthError(() => verifier.verify(folded), 'invalid_token');
    }
    expect(verifier.verify(token).sub).toBe('user-1');
  });
});
