import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { secureRandom } from '../../src/core/clock.js';
import { CARRIERS } from '../../src/core/model.js';
import { generateSessionToken, sessionRoutingTag } from '../../src/core/session-token.js';
import { createKeyLayout, escapeGlob } from '../../src/stores/redis/redis-keys.js';
import { decodeSession, encodeNewSession } from '../../src/stores/redis/session-codec.js';
import type { NewSession } from '../../src/stores/types.js';

// Well-formed UTF-16 only: a lone surrogate cannot survive UTF-8 in any store.
const text = fc.string({ unit: 'grapheme', maxLength: 40 });
const awkward = fc.string({ unit: fc.constantFrom('\u001d', '\u001e', '\u001f', '?', '=', '>', 'a', 'é', '🚀'), maxLength: 12 });
const anyText = fc.oneof(text, awkward);
const instant = fc.integer({ min: -1e12, max: 4e12 });

const newSession: fc.Arbitrary<NewSession> = fc.record({
  id: anyText,
  userId: anyText,
  carrier: fc.constantFrom(...CARRIERS),
  secretHash: fc.oneof(anyText, fc.uint8Array({ minLength: 32, maxLength: 32 }).map((b) => Buffer.from(b).toString('base64url'))),
  createdAt: instant,
  expiresAt: instant,
  idleTimeoutMs: fc.integer({ min: 1, max: 1e11 }),
  ip: fc.option(anyText, { nil: null }),
  userAgent: fc.option(anyText, { nil: null }),
});

describe('redis session codec', () => {
  it('decodes exactly what it encoded', () => {
    fc.assert(
      fc.property(newSession, (s) => {
        expect(decodeSession(s.id, encodeNewSession(s))).toEqual({
          ...s,
          lastSeenAt: s.createdAt,
          authenticatedAt: s.createdAt,
          refreshGeneration: 0,
          refreshRotatedAt: s.createdAt,
        });
      }),
      { numRuns: 500 },
    );
  });

  it('stores a SHA-256 hash as 32 raw bytes, anything else as text', () => {
    const base = {
      id: 'i', userId: 'u', carrier: 'cookie' as const, createdAt: 0, expiresAt: 1, idleTimeoutMs: 1, ip: null, userAgent: null,
    };
    const sha = encodeNewSession({ ...base, secretHash: 'n4bQgYhMfWWaL-qgxVrQFaO_TxsrC4Is0V1sFbDwCgg' });
    const other = encodeNewSession({ ...base, secretHash: 'abc' });
    expect(sha[0]).toBe(0x41);
    expect(other[0]).toBe(0x42);
    // A non-canonical 43-character base64url string (trailing bits set) must stay text.
    expect(encodeNewSession({ ...base, secretHash: 'n4bQgYhMfWWaL-qgxVrQFaO_TxsrC4Is0V1sFbDwCgh' })[0]).toBe(0x42);
  });

  it('rejects malformed records and non-integer instants', () => {
    expect(() => decodeSession('x', Buffer.from('Zjunk'))).toThrow();
    expect(() => decodeSession('x', Buffer.from('Bc0\u001f1'))).toThrow();
    const s = { id: 'i', userId: 'u', carrier: 'cookie' as const, secretHash: 'h', createdAt: 1.5, expiresAt: 2, idleTimeoutMs: 1, ip: null, userAgent: null };
    expect(() => encodeNewSession(s)).toThrow(RangeError);
  });
});

describe('redis key layout', () => {
  const keys = createKeyLayout('tessera:');

  it('gives a routed id its tag and an unrouted id the shared one', () => {
    const { sessionId } = generateSessionToken(secureRandom, 'user-1');
    const tag = sessionRoutingTag('user-1');
    expect(sessionId.startsWith(tag)).toBe(true);
    expect(keys.session(sessionId)).toEqual({ key: `tessera:{${tag}}:${sessionId.slice(4)}`, indexKey: `tessera:{${tag}}u` });
    expect(keys.session('sess_a')).toEqual({ key: 'tessera:{~}:sess_a', indexKey: 'tessera:{~}u' });
    expect(keys.indexRef('tessera:{AbCd}u')).toEqual({ key: 'tessera:{AbCd}u', stem: 'tessera:{AbCd}:', cut: 5 });
    expect(keys.indexRef('tessera:{~}:x}u')).toBeNull();
    expect(keys.rateLimit('login:a@b')).toBe('tessera:{rl:login:a@b}');
  });

  it('refuses braces in the prefix and escapes glob characters for SCAN', () => {
    expect(() => createKeyLayout('a{b}:')).toThrow();
    expect(escapeGlob('a*b?[c]\\')).toBe('a\\*b\\?\\[c\\]\\\\');
  });
});
