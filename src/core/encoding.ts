/**
 * Canonical base64url (RFC 4648 §5, no padding). Decoding is strict: it rejects padding, the
 * `+/` alphabet, whitespace and non-zero unused trailing bits, so one value has exactly one
 * encoding and nobody can dodge a lookup keyed on the text by re-encoding it.
 */

const BASE64URL = /^[A-Za-z0-9_-]*$/;

/** Encodes bytes as unpadded base64url. */
export function encodeBase64Url(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('base64url');
}

/** Decodes canonical unpadded base64url, or returns null for anything non-canonical. */
export function decodeBase64Url(text: string): Buffer | null {
  if (!BASE64URL.test(text) || text.length % 4 === 1) return null;
  const bytes = Buffer.from(text, 'base64url');
  // Re-encoding must give the same text: this rejects set unused trailing bits.
  if (bytes.toString('base64url') !== text) return null;
  return bytes;
}

const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';

/**
 * True when `text` is canonical base64url of exactly `byteLength` bytes. Allocation-free (it is
 * on every cookie request): the alphabet by regular expression, and the canonical form by
 * checking that the unused low bits of the last character are zero.
 */
export function isBase64UrlOfLength(text: string, byteLength: number): boolean {
  const length = Math.ceil((byteLength * 4) / 3);
  if (text.length !== length || !BASE64URL.test(text)) return false;
  const unusedBits = length * 6 - byteLength * 8;
  if (unusedBits === 0) return true;
  const last = ALPHABET.indexOf(text.charAt(length - 1));
  return (last & ((1 << unusedBits) - 1)) === 0;
}
