import type { Revocation } from './model.js';

/**
 * The one wire format of revocations — on the Redis and PostgreSQL buses and in the SSE feed:
 * the entry as compact JSON with exactly its own fields. Anyone who can reach a bus can publish
 * on it, and a verifier reads the feed over a network, so every payload is input and is checked
 * strictly: an entry that fails is dropped, never half-applied.
 */

/** Longest `value` accepted (ids are ~22–43 characters); keeps payloads far below NOTIFY's 8000 bytes. */
export const MAX_REVOCATION_VALUE_LENGTH = 1024;

const KEYS_SID_JTI = ['expiresAt', 'kind', 'value'];
const KEYS_SUB = ['expiresAt', 'kind', 'notBefore', 'value'];

/** Returns the entry when `value` is exactly a well-formed `Revocation`, else null. */
export function checkRevocation(value: unknown): Revocation | null {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return null;
  const record = value as Record<string, unknown>;
  const { kind, value: subject, expiresAt, notBefore } = record;
  if (typeof subject !== 'string' || subject.length === 0 || subject.length > MAX_REVOCATION_VALUE_LENGTH) {
    return null;
  }
  if (!Number.isSafeInteger(expiresAt)) return null;
  const keys = Object.keys(record).sort();
  if (kind === 'sid' || kind === 'jti') {
    return sameKeys(keys, KEYS_SID_JTI) ? { kind, value: subject, expiresAt: expiresAt as number } : null;
  }
  if (kind === 'sub' && Number.isSafeInteger(notBefore) && sameKeys(keys, KEYS_SUB)) {
    return { kind, value: subject, notBefore: notBefore as number, expiresAt: expiresAt as number };
  }
  return null;
}

/** The entry with exactly its own fields (no extra property of the caller's object reaches the wire). */
export function toWireRevocation(entry: Revocation): Revocation {
  return entry.kind === 'sub'
    ? { kind: entry.kind, value: entry.value, notBefore: entry.notBefore, expiresAt: entry.expiresAt }
    : { kind: entry.kind, value: entry.value, expiresAt: entry.expiresAt };
}

/** Serialises an entry; throws RangeError for an entry that could not be read back. */
export function encodeRevocation(entry: Revocation): string {
  const wire = toWireRevocation(entry);
  if (checkRevocation(wire) === null) throw new RangeError('The revocation entry is malformed.');
  return JSON.stringify(wire);
}

/** Parses one serialised entry; null for anything but a well-formed entry. */
export function decodeRevocation(payload: string | undefined): Revocation | null {
  if (payload === undefined || payload.length > 4 * MAX_REVOCATION_VALUE_LENGTH) return null;
  try {
    return checkRevocation(JSON.parse(payload));
  } catch {
    return null;
  }
}

function sameKeys(actual: readonly string[], expected: readonly string[]): boolean {
  return actual.length === expected.length && actual.every((key, i) => key === expected[i]);
}
