/**
 * Canonical base64url decoding of part of a string straight into a caller's buffer, in plain
 * JavaScript. This is the verifier's cold path: between two signature checks OpenSSL has evicted
 * everything from the CPU caches, and each trip into native code (Buffer.from, TextDecoder) then
 * costs several times what it costs in a tight loop. One small loop that checks the alphabet,
 * rejects non-canonical tails and writes the bytes replaces a regular expression, an allocation
 * and a native decode per segment.
 */

// Value of each base64url character, -1 for anything else ('+', '/', '=', whitespace, '.', …).
const VALUES = new Int8Array(128).fill(-1);
const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
for (let i = 0; i < ALPHABET.length; i++) VALUES[ALPHABET.charCodeAt(i)] = i;

function valueOf(code: number): number {
  // Codes ≥ 128 would index past the table (undefined), so they are refused explicitly.
  return code < 128 ? (VALUES[code] as number) : -1;
}

/**
 * Decodes `text[start, end)` as canonical unpadded base64url into `target` at `offset` and returns
 * the number of bytes written, or -1 when a character is outside the base64url alphabet, the
 * length is impossible (4k+1) or the unused trailing bits are not zero — so every byte string has
 * exactly one accepted spelling (J-13). The caller guarantees room for ⌊3·(end−start)/4⌋ bytes.
 *
 * With `echoOffset` ≥ 0 it also writes the characters themselves, as ASCII bytes, at
 * `target[echoOffset + (i − start)]`: the verifier builds the signing input (the token's bytes)
 * in the same pass that decodes the payload, instead of a second trip through the string.
 */
export function decodeBase64UrlInto(
  text: string,
  start: number,
  end: number,
  target: Uint8Array,
  offset: number,
  echoOffset = -1,
): number {
  const tail = (end - start) & 3;
  if (tail === 1) return -1; // one leftover character cannot encode a byte
  const echo = echoOffset >= 0;
  const echoShift = echoOffset - start;
  let out = offset;
  let i = start;
  for (const groupsEnd = end - tail; i < groupsEnd; i += 4) {
    const ca = text.charCodeAt(i);
    const cb = text.charCodeAt(i + 1);
    const cc = text.charCodeAt(i + 2);
    const cd = text.charCodeAt(i + 3);
    const a = valueOf(ca);
    const b = valueOf(cb);
    const c = valueOf(cc);
    const d = valueOf(cd);
    if ((a | b | c | d) < 0) return -1;
    const group = (a << 18) | (b << 12) | (c << 6) | d;
    target[out] = group >>> 16;
    target[out + 1] = (group >>> 8) & 0xff;
    target[out + 2] = group & 0xff;
    out += 3;
    if (echo) {
      target[i + echoShift] = ca;
      target[i + echoShift + 1] = cb;
      target[i + echoShift + 2] = cc;
      target[i + echoShift + 3] = cd;
    }
  }
  if (tail === 2) {
    // 12 bits carry one byte; the 4 unused low bits must be zero.
    const a = valueOf(text.charCodeAt(i));
    const b = valueOf(text.charCodeAt(i + 1));
    if ((a | b) < 0 || (b & 0x0f) !== 0) return -1;
    target[out] = (a << 2) | (b >>> 4);
    out += 1;
  } else if (tail === 3) {
    // 18 bits carry two bytes; the 2 unused low bits must be zero.
    const a = valueOf(text.charCodeAt(i));
    const b = valueOf(text.charCodeAt(i + 1));
    const c = valueOf(text.charCodeAt(i + 2));
    if ((a | b | c) < 0 || (c & 0x03) !== 0) return -1;
    const group = (a << 12) | (b << 6) | c;
    target[out] = group >>> 10;
    target[out + 1] = (group >>> 2) & 0xff;
    out += 2;
  }
  if (echo) {
    for (; i < end; i++) target[i + echoShift] = text.charCodeAt(i);
  }
  return out - offset;
}

/**
 * Writes `text[start, end)` into `target` at `offset`, one byte per character. Only for text
 * already known to be ASCII (a header segment that passed the base64url check).
 */
export function copyAsciiInto(text: string, start: number, end: number, target: Uint8Array, offset: number): void {
  const shift = offset - start;
  for (let i = start; i < end; i++) target[i + shift] = text.charCodeAt(i);
}

/** True when every byte of `bytes[start, end)` is ASCII (so latin1 and UTF-8 decode alike). */
export function isAsciiRange(bytes: Uint8Array, start: number, end: number): boolean {
  let any = 0;
  for (let i = start; i < end; i++) any |= bytes[i] as number;
  return any < 0x80;
}
