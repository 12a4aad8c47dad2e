import { CARRIERS } from '../../core/model.js';
import type { Carrier, Session } from '../../core/model.js';
import type { NewSession } from '../types.js';

/**
 * The compact session value. Memory per session is the budget that matters in Redis, so a
 * session is ONE string (not a hash with field names), about 210 bytes with a 110-character
 * User-Agent — inside jemalloc's 224-byte size class:
 *
 *   'A' + 32 raw bytes of secretHash + text      (secretHash is canonical base64url of 32 bytes)
 *   'B' + text, secretHash as an extra last field (anything else)
 *
 *   text = fields joined by US (0x1f):
 *     1 carrier letter + generation  2 createdAt  3 lastSeenAt−createdAt  4 authenticatedAt−createdAt
 *     5 expiresAt−createdAt  6 idleTimeoutMs  7 refreshRotatedAt−createdAt  8 userId  9 ip  10 userAgent
 *
 * Numbers are base-36 integers (signed); times after creation are deltas, mostly one
 * character. Strings escape GS/RS/US (0x1d–0x1f) as GS + (char + 0x20), and a field that is
 * exactly RS means null; so separators never occur inside fields, and Lua scripts (redis-lua.ts)
 * can split on US, rewrite fields 1–7 and compare field 8 with an escaped user id.
 */

const SEP = '\u001f';
const NULL_FIELD = '\u001e';
const BINARY_HASH = 0x41; // 'A'
const TEXT_HASH = 0x42; // 'B'
const HASH_BYTES = 32;
const CARRIER_LETTERS: Readonly<Record<Carrier, string>> = { cookie: 'c', bearer: 'b', hybrid: 'h' };

const ESCAPE = 0x1d;

/** Escapes a string field: GS, RS and US become GS + (char + 0x20). */
export function escapeField(text: string): string {
  let out = '';
  let from = 0;
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    if (code >= ESCAPE && code <= ESCAPE + 2) {
      out += `${text.slice(from, i)}\u001d${String.fromCharCode(code + 0x20)}`;
      from = i + 1;
    }
  }
  return from === 0 ? text : out + text.slice(from);
}

function unescapeField(text: string): string {
  let out = '';
  let from = 0;
  for (let i = 0; i < text.length; i++) {
    if (text.charCodeAt(i) !== ESCAPE) continue;
    const code = text.charCodeAt(i + 1) - 0x20;
    if (!(code >= ESCAPE && code <= ESCAPE + 2)) throw new Error('Malformed session record in Redis.');
    out += text.slice(from, i) + String.fromCharCode(code);
    from = i + 2;
    i += 1;
  }
  return from === 0 ? text : out + text.slice(from);
}

const escapeNullable = (text: string | null): string => (text === null ? NULL_FIELD : escapeField(text));
const unescapeNullable = (text: string): string | null => (text === NULL_FIELD ? null : unescapeField(text));

const b36 = (n: number): string => n.toString(36);

function fromB36(text: string | undefined): number {
  const value = text !== undefined && /^-?[0-9a-z]{1,11}$/.test(text) ? parseInt(text, 36) : Number.NaN;
  if (!Number.isSafeInteger(value)) throw new Error('Malformed session record in Redis.');
  return value;
}

/** Throws RangeError unless every value is a safe integer (the format stores integers only). */
export function assertInstants(...values: readonly number[]): void {
  if (!values.every((value) => Number.isSafeInteger(value))) {
    throw new RangeError('Session times must be integers (milliseconds since the epoch).');
  }
}

/** The raw 32 bytes when `hash` is canonical base64url of exactly 32 bytes (SHA-256), else null. */
function rawHash(hash: string): Buffer | null {
  if (hash.length !== 43 || !/^[A-Za-z0-9_-]+$/.test(hash)) return null;
  const bytes = Buffer.from(hash, 'base64url');
  return bytes.length === HASH_BYTES && bytes.toString('base64url') === hash ? bytes : null;
}

/** Encodes a new session (last seen, authenticated and rotated at creation, generation 0). */
export function encodeNewSession(s: NewSession): Buffer {
  if (!CARRIERS.includes(s.carrier)) throw new RangeError('Unknown carrier.');
  assertInstants(s.createdAt, s.expiresAt);
  const raw = rawHash(s.secretHash);
  const fields = [
    `${CARRIER_LETTERS[s.carrier]}0`,
    b36(s.createdAt),
    '0',
    '0',
    b36(s.expiresAt - s.createdAt),
    b36(s.idleTimeoutMs),
    '0',
    escapeField(s.userId),
    escapeNullable(s.ip),
    escapeNullable(s.userAgent),
  ];
  if (raw === null) fields.push(escapeField(s.secretHash));
  const text = Buffer.from(fields.join(SEP), 'utf8');
  return raw === null
    ? Buffer.concat([Buffer.of(TEXT_HASH), text])
    : Buffer.concat([Buffer.of(BINARY_HASH), raw, text]);
}

/** Decodes a stored value; throws on anything that is not a well-formed record. */
export function decodeSession(id: string, value: Buffer): Session {
  const binary = value[0] === BINARY_HASH;
  if (!binary && value[0] !== TEXT_HASH) throw new Error('Malformed session record in Redis.');
  if (binary && value.length < 1 + HASH_BYTES) throw new Error('Malformed session record in Redis.');
  const fields = value.subarray(binary ? 1 + HASH_BYTES : 1).toString('utf8').split(SEP);
  if (fields.length !== (binary ? 10 : 11)) throw new Error('Malformed session record in Redis.');
  const [head = '', created, lastSeen, authenticated, expires, idle, rotated, userId = '', ip = '', userAgent = ''] = fields;
  const carrier = CARRIERS.find((c) => CARRIER_LETTERS[c] === head.slice(0, 1));
  if (carrier === undefined) throw new Error('Malformed session record in Redis.');
  const createdAt = fromB36(created);
  return {
    id,
    userId: unescapeField(userId),
    carrier,
    secretHash: binary ? value.subarray(1, 1 + HASH_BYTES).toString('base64url') : unescapeField(fields[10] ?? ''),
    createdAt,
    lastSeenAt: createdAt + fromB36(lastSeen),
    authenticatedAt: createdAt + fromB36(authenticated),
    expiresAt: createdAt + fromB36(expires),
    idleTimeoutMs: fromB36(idle),
    ip: unescapeNullable(ip),
    userAgent: unescapeNullable(userAgent),
    refreshGeneration: fromB36(head.slice(1)),
    refreshRotatedAt: createdAt + fromB36(rotated),
  };
}
