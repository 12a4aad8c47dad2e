import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { secureRandom } from '../../src/core/clock.js';
import { CARRIERS } from '../../src/core/model.js';
import { generateSessionToken, sessionRoutingTag } from '../../src/core/session-token.js';
import { createKeyLayout, escapeGlob, isRoutedTo } from '../../src/stores/redis/redis-keys.js';
import {
  USER_AGENT_DICTIONARY,
  decodeSession,
  encodeNewSession,
  packText,
  unpackText,
} from '../../src/stores/redis/session-codec.js';
import type { NewSession } from '../../src/stores/types.js';

// Well-formed UTF-16 only: a lone surrogate cannot survive UTF-8 in any store.
const text = fc.string({ unit: 'grapheme', maxLength: 40 });
const awkward = fc.string({ unit: fc.constantFrom('\u001d', '\u001e', '\u001f', '?', '=', '>', 'a', 'é', '🚀'), maxLength: 12 });
// Real User-Agents (desktop and mobile Chrome, Edge, Opera, Samsung, Safari, Firefox, bots).
const REAL_USER_AGENTS = [
  'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0.0.0 Safari/537.36',
  'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0.0.0 Safari/537.36 Edg/126.0.0.0',
  'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/125.0.0.0 Safari/537.36 OPR/111.0.0.0',
  'Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0.0.0 Safari/537.36',
  'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0.0.0 Safari/537.36',
  'Mozilla/5.0 (Linux; Android 10; K) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0.0.0 Mobile Safari/537.36',
  'Mozilla/5.0 (Linux; Android 14; SAMSUNG SM-S918B) AppleWebKit/537.36 (KHTML, like Gecko) SamsungBrowser/25.0 Chrome/121.0.0.0 Mobile Safari/537.36',
  'Mozilla/5.0 (Linux; Android 13; Pixel 7) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/116.0.0.0 Mobile Safari/537.36',
  'Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Safari/605.1.15',
  'Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1',
  'Mozilla/5.0 (iPad; CPU OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1',
  'Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) CriOS/126.0.6478.54 Mobile/15E148 Safari/604.1',
  'Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:127.0) Gecko/20100101 Firefox/127.0',
  'Mozilla/5.0 (Macintosh; Intel Mac OS X 10.15; rv:127.0) Gecko/20100101 Firefox/127.0',
  'Mozilla/5.0 (X11; Linux x86_64; rv:127.0) Gecko/20100101 Firefox/127.0',
  'Mozilla/5.0 (X11; Ubuntu; Linux x86_64; rv:126.0) Gecko/20100101 Firefox/126.0',
  'Mozilla/5.0 (Android 14; Mobile; rv:127.0) Gecko/127.0 Firefox/127.0',
  'Mozilla/5.0 (Windows NT 6.1; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/109.0.0.0 Safari/537.36',
  'Mozilla/5.0 (Windows NT 10.0; WOW64; Trident/7.0; rv:11.0) like Gecko',
  'Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)',
  'curl/8.5.0',
  'okhttp/4.12.0',
  'Tessera-CLI/0.1.0 (node 20.20.2; linux x64)',
  '',
];
const realUserAgent = fc.constantFrom(...REAL_USER_AGENTS);
// Strings made of dictionary entries, their fragments, controls and arbitrary text, so that
// matches overlap, abut escapes and sit next to the bytes that stand for them.
const userAgentish = fc
  .array(
    fc.oneof(
      fc.constantFrom(...USER_AGENT_DICTIONARY),
      fc.constantFrom(...USER_AGENT_DICTIONARY).chain((entry) =>
        fc.tuple(fc.nat(entry.length), fc.nat(entry.length)).map(([a, b]) => entry.slice(Math.min(a, b), Math.max(a, b))),
      ),
      fc.string({ unit: fc.integer({ min: 0, max: 0x3f }).map((c) => String.fromCharCode(c)), maxLength: 4 }),
      text,
    ),
    { maxLength: 12 },
  )
  .map((parts) => parts.join(''));
const anyText = fc.oneof(text, awkward, userAgentish, realUserAgent);
const instant = fc.integer({ min: -1e12, max: 4e12 });

const newSession: fc.Arbitrary<NewSession> = fc.record({
  id: anyText,
  userId: anyText,
  carrier: fc.constantFrom(...CARRIERS),
  secretHash: fc.oneof(anyText, fc.uint8Array({ minLength: 32, maxLength: 32 }).map((b) => Buffer.from(b).toString('base64url'))),
  createdAt: instant,
  expiresAt: instant,
  idleTimeoutMs: fc.integer({ min: 1, max: 1e11 }),
  ip: fc.option(fc.oneof(anyText, fc.ipV4(), fc.ipV4Extended(), fc.ipV6()), { nil: null }),
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

  it('packs text losslessly: arbitrary strings, dictionary-heavy strings and real User-Agents', () => {
    const roundTrip = (value: string): void => {
      const packed = packText(value);
      expect(unpackText(packed)).toBe(value);
      // Never a separator or null marker inside a field, and never longer than escaping alone.
      expect(packed.includes('\u001e') || packed.includes('\u001f')).toBe(false);
      const controls = [...value].filter((c) => c.charCodeAt(0) < 0x20).length;
      expect(packed.length).toBeLessThanOrEqual(value.length + controls);
    };
    fc.assert(fc.property(fc.string({ unit: 'binary', maxLength: 200 }), roundTrip), { numRuns: 1000 });
    fc.assert(fc.property(fc.string({ unit: 'grapheme', maxLength: 200 }), roundTrip), { numRuns: 500 });
    fc.assert(fc.property(userAgentish, roundTrip), { numRuns: 2000 });
    fc.assert(fc.property(realUserAgent, roundTrip));
    for (const ua of REAL_USER_AGENTS) roundTrip(ua);
  });

  it('packs real User-Agents small: a desktop Chrome UA into 9 bytes', () => {
    const sizes = REAL_USER_AGENTS.map((ua) => [ua.length, Buffer.byteLength(packText(ua))]);
    expect(sizes[0]).toEqual([111, 9]);
    // The mainstream browsers' UAs (the first 15) pack to at most a quarter of their length.
    for (const [length = 0, packed = 0] of sizes.slice(0, 15)) expect(packed).toBeLessThanOrEqual(length / 4);
  });

  it('refuses packed text it cannot have produced', () => {
    expect(() => unpackText('\u001d')).toThrow();
    expect(() => unpackText('a\u001dA')).toThrow();
    expect(() => unpackText('\u001c1')).toThrow();
    expect(unpackText('\u001d\u0020\u001d\u003f')).toBe('\u0000\u001f');
  });

  it('stores a realistic session in 100 bytes (jemalloc 112-byte class) and a canonical IPv4 compactly', () => {
    const s: NewSession = {
      id: generateSessionToken(secureRandom, 'u').sessionId,
      userId: 'vq3TO7AZx2Nw1bTGn7VzfA',
      carrier: 'cookie',
      secretHash: 'n4bQgYhMfWWaL-qgxVrQFaO_TxsrC4Is0V1sFbDwCgg',
      createdAt: Date.UTC(2026, 0, 1),
      expiresAt: Date.UTC(2026, 0, 1, 12),
      idleTimeoutMs: 30 * 60_000,
      ip: '203.0.113.195',
      userAgent: REAL_USER_AGENTS[0] ?? '',
    };
    const value = encodeNewSession(s);
    expect(value.length).toBeLessThanOrEqual(108);
    expect(value.length).toBe(100);
    for (const ip of ['0.0.0.0', '255.255.255.255', '10.0.0.1', '01.2.3.4', '1.2.3', '1.2.3.4 ', '::ffff:1.2.3.4', '256.1.1.1']) {
      expect(decodeSession(s.id, encodeNewSession({ ...s, ip })).ip).toBe(ip);
    }
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
    const fields = (ip: string, ua: string): Buffer => Buffer.from(['Bc', '1', '', '', '1', '1', '', 'u', ip, ua, 'h'].join('\u001f'));
    expect(decodeSession('x', fields('\u001c2s', '\u0000')).ip).toBe('0.0.0.100');
    expect(() => decodeSession('x', fields('\u001c1z141z4', ''))).toThrow();
    expect(() => decodeSession('x', fields('\u001c', ''))).toThrow();
    expect(() => decodeSession('x', fields('', '\u001c'))).toThrow();
    const s = { id: 'i', userId: 'u', carrier: 'cookie' as const, secretHash: 'h', createdAt: 1.5, expiresAt: 2, idleTimeoutMs: 1, ip: null, userAgent: null };
    expect(() => encodeNewSession(s)).toThrow(RangeError);
  });
});

describe('redis key layout', () => {
  const keys = createKeyLayout('tessera:');

  it('gives a routed id its first two tag characters and an unrouted id the shared tag', () => {
    const { sessionId } = generateSessionToken(secureRandom, 'user-1');
    const tag = sessionRoutingTag('user-1');
    expect(sessionId.startsWith(tag)).toBe(true);
    expect(keys.indexTagChars).toBe(2);
    expect(keys.session(sessionId)).toEqual({
      key: `tessera:{${tag.slice(0, 2)}}:${sessionId.slice(2)}`,
      indexKey: `tessera:{${tag.slice(0, 2)}}u`,
      field: sessionId.slice(2),
    });
    expect(keys.userIndexes('user-1')).toEqual([
      { key: `tessera:{${tag.slice(0, 2)}}u`, stem: `tessera:{${tag.slice(0, 2)}}:`, idPrefix: tag.slice(0, 2), fieldPrefix: tag.slice(2) },
      { key: 'tessera:{~}u', stem: 'tessera:{~}:', idPrefix: '', fieldPrefix: '' },
    ]);
    expect(keys.session('sess_a')).toEqual({ key: 'tessera:{~}:sess_a', indexKey: 'tessera:{~}u', field: 'sess_a' });
    expect(keys.indexRef('tessera:{Ab}u')).toEqual({ key: 'tessera:{Ab}u', stem: 'tessera:{Ab}:', idPrefix: 'Ab' });
    expect(keys.indexRef('tessera:{AbCd}u')).toBeNull();
    expect(keys.indexRef('tessera:{~}:x}u')).toBeNull();
    expect(keys.rateLimit('login:a@b')).toBe('tessera:{rl:login:a@b}');
  });

  it('honours indexTagChars from 1 to 4, and only those', () => {
    const { sessionId } = generateSessionToken(secureRandom, 'user-1');
    for (const k of [1, 2, 3, 4]) {
      const layout = createKeyLayout('p:', k);
      const place = layout.session(sessionId);
      const [routed] = layout.userIndexes('user-1');
      expect(place.key).toBe(`p:{${sessionId.slice(0, k)}}:${sessionId.slice(k)}`);
      expect(routed?.key).toBe(place.indexKey);
      expect(routed?.stem).toBe(`p:{${sessionId.slice(0, k)}}:`);
      expect((routed?.idPrefix ?? '') + place.field).toBe(sessionId);
      expect(place.field.startsWith(routed?.fieldPrefix ?? '?')).toBe(true);
      expect(layout.indexRef(place.indexKey)).toEqual({ key: routed?.key, stem: routed?.stem, idPrefix: routed?.idPrefix });
    }
    for (const bad of [0, 5, 1.5, Number.NaN]) expect(() => createKeyLayout('p:', bad)).toThrow();
  });

  it('routes a Tessera id only to the user whose whole routing tag it carries', () => {
    const { sessionId } = generateSessionToken(secureRandom, 'user-1');
    expect(isRoutedTo(sessionId, 'user-1')).toBe(true);
    // Another user sharing the first two tag characters (same index) is still refused.
    let twin = '';
    for (let i = 0; twin === '' && i < 100_000; i++) {
      const tag = sessionRoutingTag(`other-${i}`);
      if (tag.slice(0, 2) === sessionId.slice(0, 2) && tag !== sessionId.slice(0, 4)) twin = `other-${i}`;
    }
    expect(twin).not.toBe('');
    expect(isRoutedTo(sessionId, twin)).toBe(false);
    expect(isRoutedTo('sess_a', 'anyone')).toBe(true);
  });

  it('refuses braces in the prefix and escapes glob characters for SCAN', () => {
    expect(() => createKeyLayout('a{b}:')).toThrow();
    expect(escapeGlob('a*b?[c]\\')).toBe('a\\*b\\?\\[c\\]\\\\');
  });
});
