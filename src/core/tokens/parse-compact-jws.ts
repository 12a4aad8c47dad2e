/**
 * Strict parsing of a compact JWS (RFC 7515 §7.1). Every byte of an access token is attacker
 * controlled until the signature checks out, so this file accepts exactly one spelling of each
 * token: three segments of canonical unpadded base64url, UTF-8 JSON objects without duplicate
 * keys and with bounded nesting. One value, one encoding: nobody can dodge a denylist or a cache
 * keyed on the text by re-encoding a token (J-13), and oversized or deeply nested input is
 * refused before any expensive work (J-17).
 */
import { decodeBase64Url } from '../encoding.js';
import { AuthenticationError } from '../errors.js';

/**
 * Longest token we look at, in characters. Real access tokens are a few hundred bytes; the cap
 * bounds the work (and the cache memory) an attacker can make us spend on one request (J-17).
 */
export const MAX_COMPACT_JWS_LENGTH = 8192;

/** Deepest JSON nesting accepted in a header or payload (an object holding an array is depth 2). */
export const MAX_JSON_DEPTH = 8;

/** A parsed JSON object: values are untrusted and must be checked before use. */
export type JsonObject = Record<string, unknown>;

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
 * Walks JSON text and returns false on a duplicate key in any object or nesting deeper than
 * `maxDepth`. JSON.parse silently keeps the last of duplicate keys while other parsers keep the
 * first, so `{"sub":"alice","sub":"admin"}` could mean different things to us and to a library
 * downstream; we refuse it. Keys are compared after unescaping (`"a"` and `"\u0061"` collide).
 * Only has to be right for text JSON.parse accepts: anything else is rejected by JSON.parse.
 */
function hasUniqueKeysWithinDepth(text: string, maxDepth: number): boolean {
  // One entry per open container: the keys seen so far for an object, null for an array.
  const stack: (Set<string> | null)[] = [];
  let expectKey = false;
  const length = text.length;
  for (let i = 0; i < length; i++) {
    const c = text.charCodeAt(i);
    if (c === QUOTE) {
      const start = i + 1;
      let escaped = false;
      for (i = start; i < length; i++) {
        const d = text.charCodeAt(i);
        if (d === BACKSLASH) {
          escaped = true;
          i++; // skip the escaped character, which may be a quote
        } else if (d === QUOTE) {
          break;
        }
      }
      if (i >= length) return false; // unterminated string
      if (expectKey) {
        const keys = stack[stack.length - 1];
        if (keys === undefined || keys === null) return false;
        let key = text.slice(start, i);
        if (escaped) {
          try {
            key = String(JSON.parse(`"${key}"`));
          } catch {
            return false;
          }
        }
        if (keys.has(key)) return false;
        keys.add(key);
        expectKey = false;
      }
    } else if (c === OPEN_BRACE || c === OPEN_BRACKET) {
      if (stack.length >= maxDepth) return false;
      const isObject = c === OPEN_BRACE;
      stack.push(isObject ? new Set<string>() : null);
      expectKey = isObject;
    } else if (c === CLOSE_BRACE || c === CLOSE_BRACKET) {
      stack.pop();
      expectKey = false;
    } else if (c === COMMA) {
      const top = stack[stack.length - 1];
      expectKey = top !== undefined && top !== null;
    }
  }
  return true;
}

/**
 * Parses bytes as a strict JSON object: valid UTF-8, no BOM, no duplicate keys, nesting at most
 * MAX_JSON_DEPTH. Returns null for anything else.
 */
export function parseStrictJsonObject(bytes: Uint8Array): JsonObject | null {
  let text: string;
  try {
    text = utf8.decode(bytes);
  } catch {
    return null;
  }
  // The cheap scan runs first, so a deeply nested bomb never reaches JSON.parse.
  if (!hasUniqueKeysWithinDepth(text, MAX_JSON_DEPTH)) return null;
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return null;
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return null;
  return value as JsonObject;
}

/**
 * Splits a compact JWS into its three canonical segments and parses the header; the payload is
 * returned as bytes so the signature can be checked before the payload is ever parsed. Throws
 * AuthenticationError('invalid_token') for anything malformed.
 */
export function decodeCompactJws(token: string): DecodedCompactJws {
  // The length cap comes first, so an oversized token costs one comparison (J-17).
  if (typeof token !== 'string' || token.length === 0 || token.length > MAX_COMPACT_JWS_LENGTH) {
    throw malformed();
  }
  const firstDot = token.indexOf('.');
  const secondDot = firstDot < 0 ? -1 : token.indexOf('.', firstDot + 1);
  // Exactly three segments: JWE (five), JSON serialisation and extra segments all stop here.
  if (secondDot < 0 || token.indexOf('.', secondDot + 1) !== -1) throw malformed();

  // decodeBase64Url rejects padding, '+/', whitespace and set unused trailing bits.
  const headerBytes = decodeBase64Url(token.slice(0, firstDot));
  const payloadBytes = decodeBase64Url(token.slice(firstDot + 1, secondDot));
  const signature = decodeBase64Url(token.slice(secondDot + 1));
  // An empty signature is an unsecured JWS (alg "none" or a stripped signature, J-01/J-02).
  if (headerBytes === null || payloadBytes === null || signature === null || signature.length === 0) {
    throw malformed();
  }
  const header = parseStrictJsonObject(headerBytes);
  if (header === null) throw malformed();
  // Every character is now known to be base64url or '.', so latin1 is the exact ASCII encoding.
  const signingInput = Buffer.from(token.slice(0, secondDot), 'latin1');
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
