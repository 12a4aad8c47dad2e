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

/** True when `text` is canonical base64url of exactly `byteLength` bytes. */
export function isBase64UrlOfLength(text: string, byteLength: number): boolean {
  if (text.length !== Math.ceil((byteLength * 4) / 3)) return false;
  return decodeBase64Url(text) !== null;
}
