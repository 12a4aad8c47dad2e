/**
 * Canonical base64url decoding of part of a byte buffer into another part, in plain JavaScript.
 * This is the verifier's cold path: between two signature checks OpenSSL has evicted everything
 * from the CPU caches, and each trip into native code (Buffer.from, TextDecoder) then costs
 * several times what it costs in a tight loop. One small loop over bytes that checks the
 * alphabet, rejects non-canonical tails and writes the decoded bytes replaces a regular
 * expression, an allocation and a native decode per segment.
 */

/** Value of each base64url byte, -1 for anything else ('+', '/', '=', whitespace, '.', ≥ 0x80 …). */
export const BASE64URL_VALUES = new Int8Array(256).fill(-1);
const VALUES = BASE64URL_VALUES;
const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
for (let i = 0; i < ALPHABET.length; i++) VALUES[ALPHABET.charCodeAt(i)] = i;

/**
 * Decodes `source[start, end)` as canonical unpadded base64url into `target` at `offset` and
 * returns the number of bytes written, or -1 when a byte is outside the base64url alphabet, the
 * length is impossible (4k+1) or the unused trailing bits are not zero — so every byte string has
 * exactly one accepted spelling (J-13). The caller guarantees room for ⌊3·(end−start)/4⌋ bytes
 * and that the output does not overlap the input.
 */
export function decodeBase64UrlInto(
  source: Uint8Array,
  start: number,
  end: number,
  target: Uint8Array,
  offset: number,
): number {
  const tail = (end - start) & 3;
  if (tail === 1) return -1; // one leftover character cannot encode a byte
  let out = offset;
  let i = start;
  for (const groupsEnd = end - tail; i < groupsEnd; i += 4) {
    const a = VALUES[source[i] as number] as number;
    const b = VALUES[source[i + 1] as number] as number;
    const c = VALUES[source[i + 2] as number] as number;
    const d = VALUES[source[i + 3] as number] as number;
    if ((a | b | c | d) < 0) return -1;
    const group = (a << 18) | (b << 12) | (c << 6) | d;
    target[out] = group >>> 16;
    target[out + 1] = (group >>> 8) & 0xff;
    target[out + 2] = group & 0xff;
    out += 3;
  }
  if (tail === 2) {
    // 12 bits carry one byte; the 4 unused low bits must be zero.
    const a = VALUES[source[i] as number] as number;
    const b = VALUES[source[i + 1] as number] as number;
    if ((a | b) < 0 || (b & 0x0f) !== 0) return -1;
    target[out] = (a << 2) | (b >>> 4);
    out += 1;
  } else if (tail === 3) {
    // 18 bits carry two bytes; the 2 unused low bits must be zero.
    const a = VALUES[source[i] as number] as number;
    const b = VALUES[source[i + 1] as number] as number;
    const c = VALUES[source[i + 2] as number] as number;
    if ((a | b | c) < 0 || (c & 0x03) !== 0) return -1;
    const group = (a << 12) | (b << 6) | c;
    target[out] = group >>> 10;
    target[out + 1] = (group >>> 2) & 0xff;
    out += 2;
  }
  return out - offset;
}
