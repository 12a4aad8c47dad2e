import { CARRIERS } from '../../core/model.js';
import type { Carrier, Session } from '../../core/model.js';
import type { NewSession } from '../types.js';

/**
 * The compact session value. Memory per session is the budget that matters in Redis, so a
 * session is ONE string (not a hash with field names). With a 111-character Chrome User-Agent,
 * an IPv4 address and a 22-character user id it is about 100 bytes: a raw SDS string of
 * 3 (sdshdr8) + length + 1 bytes, inside jemalloc's 112-byte size class (≤ 108 bytes fit; the
 * classes run 64, 80, 96, 112, 128, 160, 192, 224, 256, …; a value of ≤ 44 bytes would be an
 * embedded string, which no session is):
 *
 *   'A' + 32 raw bytes of secretHash + text      (secretHash is canonical base64url of 32 bytes)
 *   'B' + text, secretHash as an extra last field (anything else)
 *
 *   text = fields joined by US (0x1f):
 *     1 carrier letter + generation  2 createdAt  3 lastSeenAt−createdAt  4 authenticatedAt−createdAt
 *     5 expiresAt−createdAt  6 idleTimeoutMs  7 refreshRotatedAt−createdAt  8 userId  9 ip  10 userAgent
 *
 * Numbers are base-36 integers (signed) and zero is the empty string; times after creation are
 * deltas, empty until they change. Fields 8 and 11 escape GS/RS/US (0x1d–0x1f) as GS + (char +
 * 0x20); fields 9 and 10 are packed text (`packText`): every C0 control escaped the same way, and
 * frequent User-Agent substrings replaced by one control byte each (`USER_AGENT_DICTIONARY`).
 * An IPv4 address in canonical dotted-quad form is FS (0x1c) + its 32-bit value in base 36. A field
 * that is exactly RS means null. So separators never occur inside fields, and Lua scripts
 * (redis-lua.ts) can split on US, rewrite fields 1–7 and compare field 8 with an escaped user id
 * without knowing the packing of fields 9 and 10, which only this file reads and writes.
 */

const SEP = '\u001f';
const NULL_FIELD = '\u001e';
const BINARY_HASH = 0x41; // 'A'
const TEXT_HASH = 0x42; // 'B'
const HASH_BYTES = 32;
const CARRIER_LETTERS: Readonly<Record<Carrier, string>> = { cookie: 'c', bearer: 'b', hybrid: 'h' };

const ESCAPE = 0x1d;
/** Starts an ip field holding a canonical IPv4 address as a base-36 number. */
const IPV4_MARK = 0x1c;

const malformed = (): Error => new Error('Malformed session record in Redis.');

/**
 * Substrings of real User-Agents (Chrome's frozen "reduced" UA, Safari, Firefox, Edge, Samsung,
 * Opera, Chrome on iOS), each stored as the single byte of its index (0x00–0x1b). Packing picks
 * the longest entry at each position. Fixed: an entry's byte is part of the stored format, so
 * changing or reordering entries would misread every stored session (and all 28 bytes below FS
 * are taken). No entry ends with
 * the character another one starts with where they abut in real UAs (')' belongs to the next
 * entry), so greedy matching finds both. A 111-character desktop Chrome UA packs into 9 bytes,
 * an iPhone Safari UA into 14, a Firefox UA into 14–19.
 */
export const USER_AGENT_DICTIONARY: readonly string[] = [
  'Mozilla/5.0 (',
  ') AppleWebKit/537.36 (KHTML, like Gecko) ',
  ' Safari/537.36',
  'Chrome/',
  '.0.0.0',
  'Windows NT 10.0; Win64; x64',
  'Macintosh; Intel Mac OS X 10_15_7',
  'Macintosh; Intel Mac OS X ',
  'X11; Linux x86_64',
  'Linux; Android 10; K',
  'Linux; Android ',
  ' Mobile Safari/537.36',
  ' Mobile',
  'iPhone; CPU iPhone OS ',
  'iPad; CPU OS ',
  ' like Mac OS X',
  ') AppleWebKit/605.1.15 (KHTML, like Gecko) ',
  'Version/',
  ' Mobile/15E148 Safari/604.1',
  ' Safari/605.1.15',
  ' Safari/604.1',
  ') Gecko/20100101 Firefox/',
  '; rv:',
  ' Edg/',
  ' OPR/',
  'SamsungBrowser/',
  'CriOS/',
  'Windows NT ',
];
if (USER_AGENT_DICTIONARY.length > IPV4_MARK) throw new Error('The User-Agent dictionary has too many entries.');

/** Dictionary entries by their first character, longest first: [byte, entry][]. */
const ENTRIES_BY_FIRST = new Map<number, [string, string][]>();
for (const [index, entry] of USER_AGENT_DICTIONARY.entries()) {
  const first = entry.charCodeAt(0);
  const list = ENTRIES_BY_FIRST.get(first) ?? [];
  list.push([String.fromCharCode(index), entry]);
  list.sort((a, b) => b[1].length - a[1].length);
  ENTRIES_BY_FIRST.set(first, list);
}

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
    if (!(code >= ESCAPE && code <= ESCAPE + 2)) throw malformed();
    out += text.slice(from, i) + String.fromCharCode(code);
    from = i + 2;
    i += 1;
  }
  return from === 0 ? text : out + text.slice(from);
}

/**
 * Packs text losslessly for ANY string: each C0 control character (0x00–0x1f) becomes GS +
 * (char + 0x20), and each dictionary entry (longest match first) becomes the byte of its index.
 * The output never contains RS or US, and its control bytes below GS are all dictionary bytes.
 */
export function packText(text: string): string {
  let out = '';
  let from = 0;
  let i = 0;
  while (i < text.length) {
    const code = text.charCodeAt(i);
    if (code < 0x20) {
      out += `${text.slice(from, i)}\u001d${String.fromCharCode(code + 0x20)}`;
      from = ++i;
      continue;
    }
    const hit = ENTRIES_BY_FIRST.get(code)?.find(([, entry]) => text.startsWith(entry, i));
    if (hit === undefined) {
      i++;
      continue;
    }
    out += text.slice(from, i) + hit[0];
    i += hit[1].length;
    from = i;
  }
  return from === 0 ? text : out + text.slice(from);
}

/** Reverses `packText`; throws on a byte it cannot have produced. */
export function unpackText(packed: string): string {
  let out = '';
  let from = 0;
  for (let i = 0; i < packed.length; i++) {
    const code = packed.charCodeAt(i);
    if (code >= 0x20) continue;
    out += packed.slice(from, i);
    if (code === ESCAPE) {
      const escaped = packed.charCodeAt(i + 1) - 0x20;
      if (!(escaped >= 0 && escaped < 0x20)) throw malformed();
      out += String.fromCharCode(escaped);
      i += 1;
    } else {
      const entry = USER_AGENT_DICTIONARY[code];
      if (entry === undefined) throw malformed();
      out += entry;
    }
    from = i + 1;
  }
  return from === 0 ? packed : out + packed.slice(from);
}

const OCTET = '(?:25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])';
const CANONICAL_IPV4 = new RegExp(`^${OCTET}\\.${OCTET}\\.${OCTET}\\.${OCTET}$`);

/** Packs an ip: canonical IPv4 as FS + base 36 (at most 8 bytes), anything else as packed text. */
function packIp(ip: string | null): string {
  if (ip === null) return NULL_FIELD;
  if (!CANONICAL_IPV4.test(ip)) return packText(ip);
  const value = ip.split('.').reduce((sum, octet) => sum * 256 + Number(octet), 0);
  return String.fromCharCode(IPV4_MARK) + value.toString(36);
}

function unpackIp(field: string): string | null {
  if (field === NULL_FIELD) return null;
  if (field.charCodeAt(0) !== IPV4_MARK) return unpackText(field);
  const digits = field.slice(1);
  const value = /^[0-9a-z]{1,7}$/.test(digits) ? parseInt(digits, 36) : Number.NaN;
  if (!(value <= 0xffffffff)) throw malformed();
  return [value >>> 24, (value >>> 16) & 255, (value >>> 8) & 255, value & 255].join('.');
}

const packNullable = (text: string | null): string => (text === null ? NULL_FIELD : packText(text));
const unpackNullable = (field: string): string | null => (field === NULL_FIELD ? null : unpackText(field));

/** Base 36, zero as the empty string (most deltas are zero). */
const b36 = (n: number): string => (n === 0 ? '' : n.toString(36));

function fromB36(text: string | undefined): number {
  if (text === '') return 0;
  const value = text !== undefined && /^-?[0-9a-z]{1,11}$/.test(text) ? parseInt(text, 36) : Number.NaN;
  if (!Number.isSafeInteger(value)) throw malformed();
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
    CARRIER_LETTERS[s.carrier],
    b36(s.createdAt),
    '',
    '',
    b36(s.expiresAt - s.createdAt),
    b36(s.idleTimeoutMs),
    '',
    escapeField(s.userId),
    packIp(s.ip),
    packNullable(s.userAgent),
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
  if (!binary && value[0] !== TEXT_HASH) throw malformed();
  if (binary && value.length < 1 + HASH_BYTES) throw malformed();
  const fields = value.subarray(binary ? 1 + HASH_BYTES : 1).toString('utf8').split(SEP);
  if (fields.length !== (binary ? 10 : 11)) throw malformed();
  const [head = '', created, lastSeen, authenticated, expires, idle, rotated, userId = '', ip = '', userAgent = ''] = fields;
  const carrier = CARRIERS.find((c) => CARRIER_LETTERS[c] === head.slice(0, 1));
  if (carrier === undefined) throw malformed();
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
    ip: unpackIp(ip),
    userAgent: unpackNullable(userAgent),
    refreshGeneration: fromB36(head.slice(1)),
    refreshRotatedAt: createdAt + fromB36(rotated),
  };
}
