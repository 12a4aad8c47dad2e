import { describe, expect, it } from 'vitest';
import { decodeBase64Url, encodeBase64Url, isBase64UrlOfLength } from '../../src/core/encoding.js';

describe('canonical base64url', () => {
  it('round-trips every length from 0 to 64 bytes', () => {
    for (let length = 0; length <= 64; length += 1) {
      const bytes = Uint8Array.from({ length }, (_, i) => (i * 37 + length) & 0xff);
      const text = encodeBase64Url(bytes);
      expect(text).toMatch(/^[A-Za-z0-9_-]*$/);
      expect(decodeBase64Url(text)?.equals(Buffer.from(bytes))).toBe(true);
    }
  });

  it('encodes a view of a larger buffer, not the whole buffer', () => {
    const backing = new Uint8Array([1, 2, 3, 4, 5, 6]);
    expect(encodeBase64Url(backing.subarray(2, 4))).toBe(Buffer.from([3, 4]).toString('base64url'));
  });

  it('rejects padding', () => {
    expect(decodeBase64Url('AA==')).toBeNull();
    expect(decodeBase64Url('AAA=')).toBeNull();
    expect(decodeBase64Url('AA')).not.toBeNull();
  });

  it('rejects the +/ alphabet', () => {
    const bytes = Buffer.from([0xfb, 0xff, 0xbf]);
    expect(bytes.toString('base64')).toBe('+/+/');
    expect(decodeBase64Url('+/+/')).toBeNull();
    expect(decodeBase64Url('-_-_')?.equals(bytes)).toBe(true);
  });

  it('rejects whitespace and any other character', () => {
    for (const text of [' AAAA', 'AAAA ', 'AA AA', 'AA\nAA', 'AA\tAA', 'AAAA\r\n', 'AA.A', 'AA%3D', 'ÄAAA', 'AA\u0000A']) {
      expect(decodeBase64Url(text), JSON.stringify(text)).toBeNull();
    }
  });

  it('rejects non-zero unused trailing bits', () => {
    // One byte = 2 characters: the second carries 4 unused bits.
    expect(decodeBase64Url('AA')).not.toBeNull();
    for (const c of 'BCDEFGHIJKLMNOP') expect(decodeBase64Url(`A${c}`), `A${c}`).toBeNull();
    // Two bytes = 3 characters: the third carries 2 unused bits.
    expect(decodeBase64Url('AAA')).not.toBeNull();
    for (const c of 'BCD') expect(decodeBase64Url(`AA${c}`), `AA${c}`).toBeNull();
    expect(decodeBase64Url('AAE')).not.toBeNull();
  });

  it('rejects impossible lengths (4n+1)', () => {
    expect(decodeBase64Url('A')).toBeNull();
    expect(decodeBase64Url('AAAAA')).toBeNull();
  });

  it('accepts the empty string as zero bytes', () => {
    expect(decodeBase64Url('')?.length).toBe(0);
  });

  it('isBase64UrlOfLength checks both the length and canonical form', () => {
    const sixteen = encodeBase64Url(new Uint8Array(16).fill(7));
    expect(sixteen).toHaveLength(22);
    expect(isBase64UrlOfLength(sixteen, 16)).toBe(true);
    expect(isBase64UrlOfLength(sixteen, 15)).toBe(false);
    expect(isBase64UrlOfLength(sixteen, 17)).toBe(false);
    expect(isBase64UrlOfLength(`${sixteen.slice(0, 21)}B`, 16)).toBe(false); // trailing bits
    expect(isBase64UrlOfLength(`${sixteen}==`, 16)).toBe(false);
    expect(isBase64UrlOfLength(sixteen.replace(/./, '+'), 16)).toBe(false);
  });
});
