import { describe, expect, it } from 'vitest';
import { MAX_EMAIL_LENGTH, isPlausibleEmail, normalizeEmail } from '../../src/core/email.js';

describe('normalizeEmail', () => {
  it('trims, lower-cases and NFC-normalises', () => {
    expect(normalizeEmail('  Alice@Example.COM \t\n')).toBe('alice@example.com');
    // "é" as e + combining acute (NFD) becomes the single code point (NFC).
    expect(normalizeEmail('Jose\u0301@example.com')).toBe('jos\u00e9@example.com');
    expect(normalizeEmail('jos\u00e9@example.com')).toBe(normalizeEmail('JOSE\u0301@EXAMPLE.COM'));
  });

  it('is idempotent', () => {
    for (const email of ['A@B.C', ' x@y.z ', 'Ünïcödé@Exämple.com']) {
      expect(normalizeEmail(normalizeEmail(email))).toBe(normalizeEmail(email));
    }
  });
});

describe('isPlausibleEmail', () => {
  it('accepts ordinary addresses', () => {
    for (const email of ['a@b.co', 'first.last+tag@sub.example.com', 'jos\u00e9@example.com', 'x@xn--nxasmq6b.com']) {
      expect(isPlausibleEmail(email), email).toBe(true);
    }
  });

  it('rejects addresses without one @, without a dotted domain, or with spaces and controls', () => {
    for (const email of ['', 'plain', '@example.com', 'a@', 'a@b', 'a@@b.c', 'a@b@c.d', 'a b@c.d', 'a@b c.d', 'a\n@b.c', 'a@b.c\u0000', 'a\u007f@b.c', 'a\t@b.c', 'a@.', 'a@b.']) {
      expect(isPlausibleEmail(email), JSON.stringify(email)).toBe(false);
    }
  });

  it('bounds the length at 254', () => {
    const domain = '@example.com';
    expect(isPlausibleEmail('a'.repeat(MAX_EMAIL_LENGTH - domain.length) + domain)).toBe(true);
    expect(isPlausibleEmail('a'.repeat(MAX_EMAIL_LENGTH - domain.length + 1) + domain)).toBe(false);
  });
});
