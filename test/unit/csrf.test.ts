import { createHmac, randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { CSRF_TOKEN_LENGTH, createCsrfToken, verifyCsrfToken } from '../../src/core/csrf.js';

describe('CSRF tokens (signed double-submit bound to the session)', () => {
  const key = randomBytes(32);
  const sessionId = 'AAAAAAAAAAAAAAAAAAAAAA';

  it('are HMAC-SHA256 over a context-prefixed session id, base64url, 43 characters', () => {
    const token = createCsrfToken(key, sessionId);
    expect(token).toHaveLength(CSRF_TOKEN_LENGTH);
    expect(token).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(token).toBe(createHmac('sha256', key).update(`tessera-csrf-v1:${sessionId}`).digest('base64url'));
    // Domain separation: not the bare HMAC of the id.
    expect(token).not.toBe(createHmac('sha256', key).update(sessionId).digest('base64url'));
  });

  it('are deterministic per (key, session) and differ across sessions and keys', () => {
    expect(createCsrfToken(key, sessionId)).toBe(createCsrfToken(key, sessionId));
    expect(createCsrfToken(key, 'BAAAAAAAAAAAAAAAAAAAAA')).not.toBe(createCsrfToken(key, sessionId));
    expect(createCsrfToken(randomBytes(32), sessionId)).not.toBe(createCsrfToken(key, sessionId));
  });

  it('verify only the exact token of this session under this key', () => {
    const token = createCsrfToken(key, sessionId);
    expect(verifyCsrfToken(key, sessionId, token)).toBe(true);
    expect(verifyCsrfToken(key, 'BAAAAAAAAAAAAAAAAAAAAA', token)).toBe(false);
    expect(verifyCsrfToken(randomBytes(32), sessionId, token)).toBe(false);
    const flipped = (token[0] === 'A' ? 'B' : 'A') + token.slice(1);
    for (const bad of [flipped, token.slice(0, -1), `${token}A`, '', ' '.repeat(43), `${token.slice(0, 42)}\u00e9`, token.toUpperCase() === token ? token.toLowerCase() : token.toUpperCase()]) {
      expect(verifyCsrfToken(key, sessionId, bad), JSON.stringify(bad)).toBe(false);
    }
  });

  it('treat any non-string as invalid without throwing', () => {
    for (const value of [undefined, null, 0, 43, {}, [], [createCsrfToken(key, sessionId)], Buffer.from(createCsrfToken(key, sessionId))]) {
      expect(verifyCsrfToken(key, sessionId, value)).toBe(false);
    }
  });
});
