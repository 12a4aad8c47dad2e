import { createHash, createHmac, timingSafeEqual } from 'node:crypto';

/** SHA-256 of a UTF-8 string, as base64url. Used for secrets at rest (never the raw secret). */
export function sha256Base64Url(value: string): string {
  return createHash('sha256').update(value, 'utf8').digest('base64url');
}

/** HMAC-SHA256 of a UTF-8 message under `key`, as base64url. */
export function hmacBase64Url(key: Uint8Array, message: string): string {
  return createHmac('sha256', key).update(message, 'utf8').digest('base64url');
}

/**
 * Constant-time equality of two strings. Lengths are compared first (length is not secret for
 * fixed-size digests); the bytes are compared with `timingSafeEqual` so the time taken does not
 * reveal how long a matching prefix was.
 */
export function constantTimeEqual(a: string, b: string): boolean {
  const left = Buffer.from(a, 'utf8');
  const right = Buffer.from(b, 'utf8');
  if (left.length !== right.length) return false;
  return timingSafeEqual(left, right);
}
