import { describe, expect, it } from 'vitest';
import { secureRandom } from '../../src/core/clock.js';
import { decodeBase64Url } from '../../src/core/encoding.js';
import { sha256Base64Url } from '../../src/core/hashing.js';
import {
  ROUTING_TAG_LENGTH,
  SESSION_ID_BYTES,
  SESSION_ID_LENGTH,
  SESSION_SECRET_BYTES,
  SESSION_TOKEN_LENGTH,
  generateId,
  generateSessionToken,
  isSessionId,
  parseSessionToken,
  sessionRoutingTag,
} from '../../src/core/session-token.js';

const USER = 'user-1234';

describe('session tokens', () => {
  it('are <routing tag + 128 random bits>.<256-bit secret>, canonical base64url', () => {
    const { sessionId, secret, token } = generateSessionToken(secureRandom, USER);
    expect(token).toBe(`${sessionId}.${secret}`);
    expect(token).toHaveLength(SESSION_TOKEN_LENGTH);
    expect(sessionId).toHaveLength(SESSION_ID_LENGTH);
    expect(sessionId.startsWith(sessionRoutingTag(USER))).toBe(true);
    expect(decodeBase64Url(sessionId.slice(ROUTING_TAG_LENGTH))?.length).toBe(SESSION_ID_BYTES);
    expect(decodeBase64Url(secret)?.length).toBe(SESSION_SECRET_BYTES);
    expect(SESSION_ID_BYTES * 8).toBeGreaterThanOrEqual(128);
    expect(SESSION_SECRET_BYTES * 8).toBeGreaterThanOrEqual(256);
  });

  it('the routing tag is 24 bits of SHA-256(user id): per user, carrying no randomness', () => {
    expect(sessionRoutingTag(USER)).toBe(sha256Base64Url(USER).slice(0, ROUTING_TAG_LENGTH));
    expect(sessionRoutingTag(USER)).toBe(sessionRoutingTag(USER));
    expect(sessionRoutingTag('another user')).not.toBe(sessionRoutingTag(USER));
    const a = generateSessionToken(secureRandom, USER);
    const b = generateSessionToken(secureRandom, USER);
    expect(a.sessionId.slice(0, ROUTING_TAG_LENGTH)).toBe(b.sessionId.slice(0, ROUTING_TAG_LENGTH));
    expect(a.sessionId).not.toBe(b.sessionId);
  });

  it('take their random bytes from the injected source (id first, then secret)', () => {
    const calls: number[] = [];
    let fill = 0;
    const random = (size: number): Uint8Array => {
      calls.push(size);
      fill += 1;
      return new Uint8Array(size).fill(fill);
    };
    const { sessionId, secret } = generateSessionToken(random, USER);
    expect(calls).toEqual([16, 32]);
    expect(decodeBase64Url(sessionId.slice(ROUTING_TAG_LENGTH))?.every((b) => b === 1)).toBe(true);
    expect(decodeBase64Url(secret)?.every((b) => b === 2)).toBe(true);
    expect(generateId(() => new Uint8Array(16))).toBe('A'.repeat(22));
  });

  it('parse back exactly what was generated', () => {
    for (let i = 0; i < 100; i += 1) {
      const generated = generateSessionToken(secureRandom, `user-${i}`);
      expect(parseSessionToken(generated.token)).toEqual({ sessionId: generated.sessionId, secret: generated.secret });
      expect(isSessionId(generated.sessionId)).toBe(true);
    }
  });

  it('parse strictly: wrong lengths, separators and non-canonical encodings are null', () => {
    const id = 'A'.repeat(SESSION_ID_LENGTH);
    const good = `${id}.${'A'.repeat(43)}`;
    expect(parseSessionToken(good)).toEqual({ sessionId: id, secret: 'A'.repeat(43) });
    for (const bad of [
      '',
      good.slice(1),
      `${good}A`,
      good.replace('.', '-'),
      good.replace('.', ':'),
      `${id}.${'A'.repeat(42)}=`,
      `${id.slice(0, -1)}B.${'A'.repeat(43)}`, // trailing bits in the id
      `${id}.${'A'.repeat(42)}B`, // trailing bits in the secret
      `${id}.${'+'.repeat(43)}`,
      `${id} ${'A'.repeat(43)}`,
      `.${'A'.repeat(SESSION_TOKEN_LENGTH - 1)}`,
      `${id}A.${'A'.repeat(42)}`,
      `${'A'.repeat(22)}.${'A'.repeat(43)}`, // an id without routing tag
    ]) {
      expect(parseSessionToken(bad), bad).toBeNull();
    }
  });

  it('isSessionId accepts only canonical ids of the exact length', () => {
    expect(isSessionId('A'.repeat(SESSION_ID_LENGTH))).toBe(true);
    for (const bad of [
      '',
      'A'.repeat(SESSION_ID_LENGTH - 1),
      'A'.repeat(SESSION_ID_LENGTH + 1),
      `${'A'.repeat(SESSION_ID_LENGTH - 1)}B`,
      `${'A'.repeat(SESSION_ID_LENGTH - 1)}=`,
      '../../etc/passwd',
      `${'A'.repeat(SESSION_ID_LENGTH)}.x`,
      `${'A'.repeat(SESSION_ID_LENGTH - 2)}+/`,
    ]) {
      expect(isSessionId(bad), bad).toBe(false);
    }
  });
});
