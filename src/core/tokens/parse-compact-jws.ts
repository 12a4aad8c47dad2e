/**
 * Strict parsing of a compact JWS (RFC 7515 §7.1). Every byte of an access token is attacker
 * controlled until the signature checks out, so this file accepts exactly one spelling of each
 * token: three segments of canonical unpadded base64url, UTF-8 JSON objects without duplicate
 * keys and with bounded nesting. One value, one encoding: nobody can dodge a denylist or a cache
 * keyed on the text by re-encoding a token (J-13), and oversized or deeply nested input is
 * refused before any expensive work (J-17).
 */
import { AuthenticationError } from '../errors.js';
import { BASE64URL_VALUES } from './decode-base64url-into.js';

/**
 * Longest token we look at, in characters. Real access tokens are a few hundred bytes; the cap
 * bounds the work (and the cache memory) an attacker can make us spend on one request (J-17).
 */
export const MAX_COMPACT_JWS_LENGTH = 8192;

/** Deepest JSON nesting accepted in a header or payload (an object holding an array is depth 2). */
export const MAX_JSON_DEPTH = 8; // at most 31: the scanner keeps one bit per level

/** A parsed JSON object: values are untrusted and must be checked before use. */
export type JsonObject = Record<string, unknown>;

/** The three segments of a compact JWS, still base64url text; `signingInput` is `header.payload`. */
export interface CompactJwsSegments {
  readonly header: string;
  readonly payload: string;
  readonly signature: string;
  readonly signingInput: string;
}

/** A compact JWS split and decoded, with the payload still as bytes (not yet parsed). */
export interface DecodedCompactJws {
  readonly header: JsonObject;
  readonly payloadBytes: Buffer;
  /** ASCII bytes of `header.payload`, exactly what the signature covers. */
  readonly signingInput: Buffer;
  readonly signature: Buffer;
}

/** A compact JWS whose header and payload are both JSON objects. */
export interface ParsedCompactJws {
  readonly header: JsonObject;
  readonly payload: JsonObject;
  readonly signingInput: Buffer;
  readonly signature: Buffer;
}

// fatal: invalid UTF-8 throws instead of becoming U+FFFD, so two byte strings can never decode to
// the same text. ignoreBOM: keep a leading BOM as U+FEFF so JSON.parse rejects it, instead of
// silently stripping it and accepting a second spelling of the same header.
const utf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const OPEN_BRACE = 0x7b;
const CLOSE_BRACE = 0x7d;
const OPEN_BRACKET = 0x5b;
const CLOSE_BRACKET = 0x5d;
const COMMA = 0x2c;

/** The one error every malformed token gets: the message never says which part was wrong. */
function malformed(): AuthenticationError {
  return new AuthenticationError('invalid_token', 'The access token is invalid.');
}

/**
 * Counts the object keys written in JSON text, or returns -1 when nesting goes deeper than
 * `maxDepth`. Only has to be right for text JSON.parse accepts (anything else is rejected by
 * JSON.parse). One pass, no allocation: strings are skipped with indexOf when the text has no
 * backslash, which is the case for every token we issue.
 */
function countWrittenKeys(text: string, maxDepth: number): number {
  let keys = 0;
  let depth = 0;
  let objectLevels = 0; // bit d is set when the container at depth d is an object
  let expectKey = false;
  const length = text.length;
  const hasEscapes = text.indexOf('\\') !== -1;
  for (let i = 0; i < length; i++) {
    const c = text.charCodeAt(i);
    if (c === QUOTE) {
      if (!hasEscapes) {
        i = text.indexOf('"', i + 1);
        if (i < 0) return -1;
      } else {
        for (i += 1; i < length; i++) {
          const d = text.charCodeAt(i);
          if (d === BACKSLASH) i++; // skip the escaped character, which may be a quote
          else if (d === QUOTE) break;
        }
      }
      if (expectKey) {
        keys++;
        expectKey = false;
      }
    } else if (c === OPEN_BRACE || c === OPEN_BRACKET) {
      if (depth >= maxDepth) return -1;
      if (c === OPEN_BRACE) objectLevels |= 1 << depth;
      else objectLevels &= ~(1 << depth);
      depth++;
      expectKey = c === OPEN_BRACE;
    } else if (c === CLOSE_BRACE || c === CLOSE_BRACKET) {
      if (depth === 0) return -1;
      depth--;
      expectKey = false;
    } else if (c === COMMA) {
      expectKey = depth > 0 && ((objectLevels >> (depth - 1)) & 1) === 1;
    }
  }
  return keys;
}

/** Counts the own keys of every object in a parsed JSON value (depth is already bounded). */
function countParsedKeys(value: unknown): number {
  if (typeof value !== 'object' || value === null) return 0;
  let keys = 0;
  if (Array.isArray(value)) {
    for (const item of value) keys += countParsedKeys(item);
    return keys;
  }
  // Object.keys, not for-in: an enumerable property planted on Object.prototype must not count.
  for (const key of Object.keys(value)) {
    keys += 1 + countParsedKeys((value as JsonObject)[key]);
  }
  return keys;
}

/**
 * Parses bytes as a strict JSON object: valid UTF-8, no BOM, no duplicate keys (J-13), nesting at
 * most MAX_JSON_DEPTH (J-17). Returns null for anything else.
 */
export function parseStrictJsonObject(bytes: Uint8Array): JsonObject | null {
  const text = decodeUtf8Strict(bytes);
  return text === null ? null : parseStrictJsonText(text);
}

/**
 * Parses text (already decoded from UTF-8 by a fatal decoder) as a strict JSON object: no
 * duplicate keys (J-13), nesting at most MAX_JSON_DEPTH (J-17). Returns null for anything else.
 */
export function parseStrictJsonText(text: string): JsonObject | null {
  // The cheap scan runs first, so a deeply nested bomb never reaches JSON.parse.
  const writtenKeys = countWrittenKeys(text, MAX_JSON_DEPTH);
  if (writtenKeys < 0) return null;
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return null;
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return null;
  // Duplicate keys: JSON.parse silently keeps the last of `{"sub":"alice","sub":"admin"}` while
  // other parsers keep the first, so a token could mean different things to us and to a library
  // downstream. Every duplicate collapses into one property, so fewer parsed keys than written
  // keys means a duplicate somewhere; escaped spellings (`"a"` vs `"\u0061"`) collapse too,
  // because JSON.parse has already unescaped them.
  if (countParsedKeys(value) !== writtenKeys) return null;
  return value as JsonObject;
}

/**
 * Decodes UTF-8 bytes with the fatal decoder (no U+FFFD substitution, BOM kept so JSON.parse
 * refuses it), or returns null for invalid UTF-8.
 */
export function decodeUtf8Strict(bytes: Uint8Array): string | null {
  try {
    return utf8.decode(bytes);
  } catch {
    return null;
  }
}

const COMPACT_JWS = /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*\.[A-Za-z0-9_-]+$/;

/**
 * True when a segment from splitCompactJws (whose alphabet that has checked) is canonical: a
 * possible length and zero unused trailing bits. Same verdicts as decodeBase64Url in
 * core/encoding.ts (a property test holds them equal), but it looks at the last character only
 * instead of re-encoding the whole segment: this runs three times per token on the hot path.
 */
function isCanonicalSegment(text: string): boolean {
  const tail = text.length % 4;
  if (tail === 1) return false; // one leftover character cannot encode a byte
  if (tail === 0) return true;
  // 2 leftover characters carry 8 bits in 12 (4 unused), 3 carry 16 in 18 (2 unused).
  // The alphabet is already checked, so the code is < 128 and inside the table.
  const last = BASE64URL_VALUES[text.charCodeAt(text.length - 1)] ?? -1;
  return last >= 0 && (last & (tail === 2 ? 0x0f : 0x03)) === 0;
}

/** Decodes a segment from splitCompactJws into a new Buffer, or returns null if non-canonical. */
export function decodeSegment(text: string): Buffer | null {
  return isCanonicalSegment(text) ? Buffer.from(text, 'base64url') : null;
}

/** Decodes text as canonical unpadded base64url, or returns null (exported for the tests). */
export function decodeStrictBase64Url(text: string): Buffer | null {
  if (!/^[A-Za-z0-9_-]*$/.test(text)) return null;
  return decodeSegment(text);
}

/**
 * Splits a token into exactly three base64url segments, or returns null. The length cap comes
 * first, so an oversized token costs one comparison (J-17); exactly three segments stops JWE
 * (five), JSON serialisation and extra segments; the one-pass character check rejects padding,
 * '+/', whitespace and anything else outside the base64url alphabet (J-13).
 */
export function splitCompactJws(token: string): CompactJwsSegments | null {
  if (typeof token !== 'string' || token.length > MAX_COMPACT_JWS_LENGTH) return null;
  if (!COMPACT_JWS.test(token)) return null;
  const firstDot = token.indexOf('.');
  const secondDot = token.indexOf('.', firstDot + 1);
  return {
    header: token.slice(0, firstDot),
    payload: token.slice(firstDot + 1, secondDot),
    signature: token.slice(secondDot + 1),
    signingInput: token.slice(0, secondDot),
  };
}

/**
 * Decodes and parses a JOSE header segment as a strict JSON object, or returns null. Checks the
 * alphabet itself, so it is safe on a segment that did not come from splitCompactJws.
 */
export function parseHeaderSegment(segment: string): JsonObject | null {
  const bytes = decodeStrictBase64Url(segment);
  return bytes === null ? null : parseStrictJsonObject(bytes);
}

/**
 * Splits a compact JWS into its three canonical segments and parses the header; the payload is
 * returned as bytes so the signature can be checked before the payload is ever parsed. Throws
 * AuthenticationError('invalid_token') for anything malformed.
 */
export function decodeCompactJws(token: string): DecodedCompactJws {
  const segments = splitCompactJws(token);
  if (segments === null) throw malformed();
  const header = parseHeaderSegment(segments.header);
  const payloadBytes = decodeSegment(segments.payload);
  const signature = decodeSegment(segments.signature);
  // The regex already refused an empty signature (an unsecured JWS: alg none or a stripped
  // signature, J-01/J-02); a non-canonical one is refused here.
  if (header === null || payloadBytes === null || signature === null) throw malformed();
  // Every character is base64url or '.', so latin1 is the exact ASCII encoding.
  const signingInput = Buffer.from(segments.signingInput, 'latin1');
  return { header, payloadBytes, signingInput, signature };
}

/**
 * Parses a compact JWS whose header and payload must both be strict JSON objects. Throws
 * AuthenticationError('invalid_token') for anything malformed. Does not check the signature.
 */
export function parseCompactJws(token: string): ParsedCompactJws {
  const { header, payloadBytes, signingInput, signature } = decodeCompactJws(token);
  const payload = parseStrictJsonObject(payloadBytes);
  if (payload === null) throw malformed();
  return { header, payload, signingInput, signature };
}
