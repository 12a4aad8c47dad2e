/**
 * Property tests: random strings and mutated valid tokens never make the parser or the verifier
 * throw anything but AuthenticationError, and no mutation of a valid token still verifies (one
 * token, one spelling: J-13).
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { AuthenticationError } from '../../src/core/errors.js';
import { decodeBase64Url } from '../../src/core/encoding.js';
import { decodeBase64UrlInto } from '../../src/core/tokens/decode-base64url-into.js';
import {
  decodeStrictBase64Url,
  parseCompactJws,
  parseStrictJsonObject,
} from '../../src/core/tokens/parse-compact-jws.js';
import { accessToken, b64url, makeKey, makeVerifier } from './helpers.js';

/** The verifier's byte-level decoder (decode-base64url-into.ts) over latin1 text. */
function decodeBytesInto(text: string): Buffer | null {
  const source = Buffer.from(text, 'latin1');
  const target = Buffer.alloc(text.length);
  const written = decodeBase64UrlInto(source, 0, source.length, target, 0);
  return written < 0 ? null : target.subarray(0, written);
}

const es = makeKey('ES256');
const ed = makeKey('EdDSA');
const { verifier } = makeVerifier([es, ed]);
const valid = [accessToken(es), accessToken(ed), accessToken(es, { aud: ['a', 'https://api.test'] })];

/** Runs `fn`; anything thrown must be an AuthenticationError. Returns whether it succeeded. */
function onlyAuthErrors(fn: () => unknown): boolean {
  try {
    fn();
    return true;
  } catch (error) {
    if (!(error instanceof AuthenticationError)) throw error;
    expect(['invalid_token', 'token_expired', 'token_revoked']).toContain(error.code);
    return false;
  }
}

const base64urlChar = fc.constantFrom(
  ...'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_'.split(''),
);
const anyChar = fc.oneof(base64urlChar, fc.constantFrom('.', '=', '+', '/', ' ', '\n', '\u0000', '\u00e9', '\u00ff', '\u0080', '\ud800'));
const segment = fc.string({ unit: base64urlChar, maxLength: 120 });
const jsonSegment = fc.jsonValue({ maxDepth: 12 }).map((v) => b64url(JSON.stringify(v) ?? 'null'));

const mutation = fc.record({
  token: fc.constantFrom(...valid),
  at: fc.nat(),
  kind: fc.constantFrom('replace', 'insert', 'delete', 'swap', 'truncate', 'duplicate'),
  char: anyChar,
});

function mutate(m: { token: string; at: number; kind: string; char: string }): string {
  const i = m.at % m.token.length;
  const t = m.token;
  switch (m.kind) {
    case 'replace':
      return t.slice(0, i) + m.char + t.slice(i + 1);
    case 'insert':
      return t.slice(0, i) + m.char + t.slice(i);
    case 'delete':
      return t.slice(0, i) + t.slice(i + 1);
    case 'swap':
      return t.slice(0, i) + (t[i + 1] ?? '') + (t[i] ?? '') + t.slice(i + 2);
    case 'truncate':
      return t.slice(0, i);
    default:
      return t + t.slice(i);
  }
}

describe('parser and verifier fuzzing', () => {
  it('arbitrary strings: only AuthenticationError, never a crash', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary', maxLength: 400 }), (input) => {
        expect(onlyAuthErrors(() => verifier.verify(input))).toBe(false);
        onlyAuthErrors(() => parseCompactJws(input));
      }),
      { numRuns: 3000 },
    );
  });

  it('dot-joined base64url and JSON segments: only AuthenticationError', () => {
    fc.assert(
      fc.property(
        fc.array(fc.oneof(segment, jsonSegment), { minLength: 1, maxLength: 5 }),
        (parts) => {
          const input = parts.join('.');
          expect(onlyAuthErrors(() => verifier.verify(input))).toBe(false);
          onlyAuthErrors(() => parseCompactJws(input));
        },
      ),
      { numRuns: 3000 },
    );
  });

  it('every mutation of a valid token is rejected with an AuthenticationError', () => {
    fc.assert(
      fc.property(mutation, (m) => {
        const input = mutate(m);
        const accepted = onlyAuthErrors(() => verifier.verify(input));
        // Only the unmodified token may verify: no second spelling of the same token exists.
        expect(accepted).toBe(valid.includes(input));
      }),
      { numRuns: 5000 },
    );
  });

  it('both hot-path base64url decoders give exactly the verdicts and bytes of core/encoding decodeBase64Url', () => {
    const sample = fc.oneof(
      fc.string({ unit: base64urlChar, maxLength: 90 }),
      fc.string({ unit: anyChar, maxLength: 40 }),
      fc.uint8Array({ maxLength: 70 }).map((bytes) => Buffer.from(bytes).toString('base64url')),
    );
    fc.assert(
      fc.property(sample, (text) => {
        const expected = decodeBase64Url(text);
        for (const actual of [decodeStrictBase64Url(text), decodeBytesInto(text)]) {
          expect(actual === null).toBe(expected === null);
          if (expected !== null) expect(actual?.equals(expected)).toBe(true);
        }
      }),
      { numRuns: 20_000 },
    );
    // Every single-character tail, exhaustively: all 64 values after 2 and 3 leftover chars.
    for (const prefix of ['AA', 'AAA', 'AAAAAA', 'AAAAAAA']) {
      for (const c of 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_') {
        expect(decodeStrictBase64Url(prefix + c) === null).toBe(decodeBase64Url(prefix + c) === null);
        expect(decodeBytesInto(prefix + c) === null).toBe(decodeBase64Url(prefix + c) === null);
      }
    }
  });

  it('strict JSON: every serialised object parses as JSON.parse does; an added duplicate key is refused', () => {
    const key = fc.oneof(fc.string({ maxLength: 6 }), fc.constantFrom('__proto__', 'a"b', 'c\\d', 'é', '\u2028'));
    const object = fc.dictionary(key, fc.jsonValue({ maxDepth: 5 }), { minKeys: 1, maxKeys: 8 });
    fc.assert(
      fc.property(object, fc.nat(), (value, pick) => {
        const text = JSON.stringify(value);
        const parsed = parseStrictJsonObject(Buffer.from(text, 'utf8'));
        expect(parsed).toEqual(JSON.parse(text));
        const keys = Object.keys(value);
        const duplicate = keys[pick % keys.length] as string;
        const withDuplicate = `${text.slice(0, -1)},${JSON.stringify(duplicate)}:0}`;
        expect(parseStrictJsonObject(Buffer.from(withDuplicate, 'utf8'))).toBeNull();
      }),
      { numRuns: 3000 },
    );
  });

  it('non-string input at runtime is an AuthenticationError, not a TypeError', () => {
    for (const input of [undefined, null, 42, {}, [], Buffer.from(valid[0] as string)]) {
      expect(onlyAuthErrors(() => verifier.verify(input as unknown as string))).toBe(false);
    }
  });
});
