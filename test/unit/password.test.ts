import { describe, expect, it } from 'vitest';
import { OWASP_ARGON2 } from '../../src/core/config.js';
import { checkPasswordPolicy, createDummyPasswordHash, hashPassword, passwordNeedsRehash, verifyPassword } from '../../src/core/password.js';

const policy = { minLength: 8, maxLength: 128 };

describe('password policy', () => {
  it('counts Unicode code points, not UTF-16 units', () => {
    expect(checkPasswordPolicy('😀'.repeat(8), policy)).toEqual([]);
    expect(checkPasswordPolicy('😀'.repeat(7), policy)).toHaveLength(1);
    expect(checkPasswordPolicy('😀'.repeat(128), policy)).toEqual([]); // 256 UTF-16 units
    expect(checkPasswordPolicy('😀'.repeat(129), policy)).toHaveLength(1);
  });

  it('counts after NFKC normalisation', () => {
    // U+FB01 (ﬁ) is one code point but NFKC makes it "fi": four of them are 8 characters.
    expect([...'\ufb01'.repeat(4)]).toHaveLength(4);
    expect(checkPasswordPolicy('\ufb01'.repeat(4), policy)).toEqual([]);
    // Full-width digits normalise one-to-one.
    expect(checkPasswordPolicy('１２３４５６７', policy)).toHaveLength(1);
  });

  it('reports the field and the bound, never the password', () => {
    const [short] = checkPasswordPolicy('secret1', policy, 'newPassword');
    expect(short).toEqual({ field: 'newPassword', message: 'must be at least 8 characters' });
    const [long] = checkPasswordPolicy('x'.repeat(129), policy);
    expect(long).toEqual({ field: 'password', message: 'must be at most 128 characters' });
    expect(JSON.stringify(short)).not.toContain('secret1');
  });

  it('accepts the exact bounds', () => {
    expect(checkPasswordPolicy('x'.repeat(8), policy)).toEqual([]);
    expect(checkPasswordPolicy('x'.repeat(128), policy)).toEqual([]);
  });
});

describe('password hashing', () => {
  it('makes argon2id PHC strings with the given parameters and verifies them', async () => {
    const phc = await hashPassword('correct horse battery staple', OWASP_ARGON2);
    expect(phc).toMatch(/^\$argon2id\$v=19\$m=19456,t=2,p=1\$/);
    expect(await verifyPassword(phc, 'correct horse battery staple')).toBe(true);
    expect(await verifyPassword(phc, 'correct horse battery stapl')).toBe(false);
    expect(await verifyPassword(phc, '')).toBe(false);
    // Salted: the same password hashes differently.
    expect(await hashPassword('correct horse battery staple', OWASP_ARGON2)).not.toBe(phc);
  });

  it('verifies NFKC-equivalent spellings of the same password', async () => {
    const phc = await hashPassword('pass\ufb01ne12', OWASP_ARGON2);
    expect(await verifyPassword(phc, 'passfine12')).toBe(true);
    const composed = await hashPassword('caf\u00e9-password', OWASP_ARGON2);
    expect(await verifyPassword(composed, 'cafe\u0301-password')).toBe(true);
  });

  it('returns false (never throws) for malformed hashes', async () => {
    for (const phc of ['', 'not a hash', '$argon2id$v=19$m=19456,t=2,p=1$', '$2b$10$abcdefghijklmnopqrstuv']) {
      expect(await verifyPassword(phc, 'whatever')).toBe(false);
    }
  });

  it('needsRehash is true for other parameters or algorithms, false for the same', async () => {
    const phc = await hashPassword('correct horse battery staple', OWASP_ARGON2);
    expect(passwordNeedsRehash(phc, OWASP_ARGON2)).toBe(false);
    expect(passwordNeedsRehash(phc, { ...OWASP_ARGON2, timeCost: 3 })).toBe(true);
    expect(passwordNeedsRehash(phc, { ...OWASP_ARGON2, memoryCost: 65_536 })).toBe(true);
    expect(passwordNeedsRehash(phc, { ...OWASP_ARGON2, parallelism: 2 })).toBe(true);
    expect(passwordNeedsRehash('$argon2i$v=19$m=19456,t=2,p=1$c2FsdHNhbHQ$aGFzaA', OWASP_ARGON2)).toBe(true);
    expect(passwordNeedsRehash('$argon2id$v=16$m=19456,t=2,p=1$c2FsdHNhbHQ$aGFzaA', OWASP_ARGON2)).toBe(true);
    expect(passwordNeedsRehash('garbage', OWASP_ARGON2)).toBe(true);
  });

  it('the dummy hash (for unknown e-mails) uses the configured parameters and matches nothing guessable', async () => {
    const dummy = await createDummyPasswordHash(OWASP_ARGON2);
    expect(passwordNeedsRehash(dummy, OWASP_ARGON2)).toBe(false);
    for (const guess of ['', 'password', 'correct horse battery staple', 'undefined', 'null']) {
      expect(await verifyPassword(dummy, guess)).toBe(false);
    }
    expect(await createDummyPasswordHash(OWASP_ARGON2)).not.toBe(dummy);
  });
});
