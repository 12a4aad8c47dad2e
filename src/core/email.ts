/**
 * E-mail normalisation: trim, Unicode NFC, lower-case. Lower-casing the local part is not what
 * RFC 5321 promises, but every mainstream provider treats it case-insensitively, and two accounts
 * that differ only by case are an account-takeover and support hazard.
 */

/** Longest address SMTP can carry (RFC 5321 §4.5.3.1 path limit). */
export const MAX_EMAIL_LENGTH = 254;

/** Normalises an address for storage and lookup. */
export function normalizeEmail(email: string): string {
  return email.trim().normalize('NFC').toLowerCase();
}

/**
 * A deliberately simple check: one `@`, a non-empty local part, a dotted domain, no spaces or
 * control characters. Deliverability is proven by sending mail, not by a regular expression.
 */
export function isPlausibleEmail(email: string): boolean {
  if (email.length > MAX_EMAIL_LENGTH) return false;
  // eslint-disable-next-line no-control-regex
  return /^[^\s@\u0000-\u001f\u007f]+@[^\s@\u0000-\u001f\u007f]+\.[^\s@\u0000-\u001f\u007f]+$/u.test(email);
}
