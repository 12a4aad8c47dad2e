/**
 * A fast path for the payload JSON of an access token, read straight from the decoded bytes.
 * Tessera (like most issuers) writes the claims as one flat object — `iss aud sub sid jti iat exp
 * nbf scope` only, short ASCII strings, integers, an array of strings for `aud` — without
 * whitespace (`JSON.stringify` output). This parser reads exactly that subset in one pass into a
 * fixed-shape record, and answers `undefined` — "not mine" — for anything else: whitespace,
 * escapes, non-ASCII, fractions, exponents, nested objects, booleans, any other claim name, a
 * repeated claim, and anything that is not JSON at all. The caller then decodes the bytes as
 * UTF-8 and runs the full strict parser (parseStrictJsonText), which decides. So this file can
 * only ever be stricter than the full path, never more lenient: every input it accepts is valid
 * JSON with no other members, and each claim reads exactly as JSON.parse reads it (a property
 * test holds the two equal on random and mutated input).
 *
 * Why bytes and not text: the payload never becomes one string, so a cached token keeps no
 * 300-byte payload string alive through slices of it — each claim string is its own copy, and
 * `iss`/`aud` that spell the expected values are the expected strings themselves, not copies.
 */

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const COMMA = 0x2c;
const COLON = 0x3a;
const MINUS = 0x2d;
const ZERO = 0x30;
const NINE = 0x39;
const OPEN_BRACE = 0x7b;
const CLOSE_BRACE = 0x7d;
const OPEN_BRACKET = 0x5b;
const CLOSE_BRACKET = 0x5d;
/** At most 15 digits: every such integer is exact in a double, so digit arithmetic is exact. */
const MAX_INTEGER_DIGITS = 15;

/** The claims the fast path knows; each is undefined when the payload does not carry it. */
export interface FlatClaims {
  readonly iss: unknown;
  readonly aud: unknown;
  readonly sub: unknown;
  readonly sid: unknown;
  readonly jti: unknown;
  readonly iat: unknown;
  readonly exp: unknown;
  readonly nbf: unknown;
  readonly scope: unknown;
}

/** Strings returned as these very objects when a string value spells them (no copy made). */
export interface ExpectedStrings {
  readonly iss: string;
  readonly aud: string;
}

// A three-letter claim name packed into one integer, so a name is recognised by one switch.
const name3 = (name: string): number =>
  (name.charCodeAt(0) << 16) | (name.charCodeAt(1) << 8) | name.charCodeAt(2);
const ISS = name3('iss');
const AUD = name3('aud');
const SUB = name3('sub');
const SID = name3('sid');
const JTI = name3('jti');
const IAT = name3('iat');
const EXP = name3('exp');
const NBF = name3('nbf');
const SCOPE = [...'scope'].map((c) => c.charCodeAt(0));

/**
 * Index of the quote closing the string whose opening quote is at `at`, or -1 when the string
 * holds anything outside printable ASCII without escapes (left to the full parser).
 */
function stringEnd(bytes: Uint8Array, at: number, end: number): number {
  for (let i = at + 1; i < end; i++) {
    const code = bytes[i] as number;
    if (code === QUOTE) return i;
    // Control characters are invalid JSON; escapes and non-ASCII are left to the full parser.
    if (code < 0x20 || code > 0x7e || code === BACKSLASH) return -1;
  }
  return -1;
}

/** The string in bytes[start, end): `expected` itself when the bytes spell it, else a copy. */
function stringAt(bytes: Buffer, start: number, end: number, expected: string | null): string {
  if (expected !== null && expected.length === end - start) {
    let same = true;
    for (let i = 0; i < expected.length; i++) {
      if (expected.charCodeAt(i) !== bytes[start + i]) {
        same = false;
        break;
      }
    }
    if (same) return expected;
  }
  return bytes.toString('latin1', start, end); // printable ASCII only: latin1 is exact
}

function isScope(bytes: Uint8Array, at: number): boolean {
  for (let i = 0; i < SCOPE.length; i++) if (bytes[at + i] !== SCOPE[i]) return false;
  return true;
}

/**
 * The byte at `i`, or -1 past `end`: the payload sits in a larger buffer, so a read past its end
 * must never see a stale byte from an earlier token as a quote or a brace.
 */
function byteAt(bytes: Uint8Array, i: number, end: number): number {
  return i < end ? (bytes[i] as number) : -1;
}

/**
 * Parses `bytes[start, end)` as a token payload in the subset above, or returns undefined when
 * it is outside it (which says nothing about whether it is valid JSON).
 */
export function parseFlatClaims(
  bytes: Buffer,
  start: number,
  end: number,
  expected: ExpectedStrings,
): FlatClaims | undefined {
  if (byteAt(bytes, start, end) !== OPEN_BRACE) return undefined;
  let iss: unknown, aud: unknown, sub: unknown, sid: unknown, jti: unknown;
  let iat: unknown, exp: unknown, nbf: unknown, scope: unknown;
  let seen = 0; // one bit per claim: a repeated claim means the token says two things (J-13)
  let at = start + 1;
  if (end - start === 2 && byteAt(bytes, at, end) === CLOSE_BRACE) {
    return { iss, aud, sub, sid, jti, iat, exp, nbf, scope };
  }
  for (;;) {
    // The member name: one of the known claims, nothing else.
    if (byteAt(bytes, at, end) !== QUOTE) return undefined;
    const nameEnd = stringEnd(bytes, at, end);
    if (nameEnd < 0 || byteAt(bytes, nameEnd + 1, end) !== COLON) return undefined;
    let bit: number;
    if (nameEnd - at === 4) {
      switch ((byteAt(bytes, at + 1, end) << 16) | (byteAt(bytes, at + 2, end) << 8) | byteAt(bytes, at + 3, end)) {
        case ISS: bit = 1; break;
        case AUD: bit = 2; break;
        case SUB: bit = 4; break;
        case SID: bit = 8; break;
        case JTI: bit = 16; break;
        case IAT: bit = 32; break;
        case EXP: bit = 64; break;
        case NBF: bit = 128; break;
        default: return undefined;
      }
    } else if (nameEnd - at === 6 && isScope(bytes, at + 1)) {
      bit = 256;
    } else {
      return undefined;
    }
    if ((seen & bit) !== 0) return undefined;
    seen |= bit;
    at = nameEnd + 2;

    // The value: a string, an integer, or (for aud only) an array of strings.
    const knownString = bit === 1 ? expected.iss : bit === 2 ? expected.aud : null;
    let value: unknown;
    const first = byteAt(bytes, at, end);
    if (first === QUOTE) {
      const close = stringEnd(bytes, at, end);
      if (close < 0) return undefined;
      value = stringAt(bytes, at + 1, close, knownString);
      at = close + 1;
    } else if (first === MINUS || (first >= ZERO && first <= NINE)) {
      const negative = first === MINUS;
      const digitsStart = negative ? at + 1 : at;
      let i = digitsStart;
      let magnitude = 0;
      for (; i < end; i++) {
        const code = byteAt(bytes, i, end);
        if (code < ZERO || code > NINE) break;
        magnitude = magnitude * 10 + (code - ZERO);
      }
      const digits = i - digitsStart;
      // JSON forbids leading zeros ("01") and a lone "-"; long numbers go to the full parser.
      if (digits === 0 || digits > MAX_INTEGER_DIGITS) return undefined;
      if (digits > 1 && byteAt(bytes, digitsStart, end) === ZERO) return undefined;
      value = negative ? -magnitude : magnitude;
      at = i; // a fraction or exponent here fails the separator check below
    } else if (first === OPEN_BRACKET && bit === 2) {
      const items: string[] = [];
      at += 1;
      if (byteAt(bytes, at, end) === CLOSE_BRACKET) {
        at += 1;
      } else {
        for (;;) {
          if (byteAt(bytes, at, end) !== QUOTE) return undefined;
          const close = stringEnd(bytes, at, end);
          if (close < 0) return undefined;
          items.push(stringAt(bytes, at + 1, close, knownString));
          const next = byteAt(bytes, close + 1, end);
          at = close + 2;
          if (next === CLOSE_BRACKET) break;
          if (next !== COMMA) return undefined;
        }
      }
      value = items;
    } else {
      return undefined; // booleans, null, objects, and arrays outside aud are not read here
    }

    switch (bit) {
      case 1: iss = value; break;
      case 2: aud = value; break;
      case 4: sub = value; break;
      case 8: sid = value; break;
      case 16: jti = value; break;
      case 32: iat = value; break;
      case 64: exp = value; break;
      case 128: nbf = value; break;
      default: scope = value; break;
    }

    const separator = byteAt(bytes, at, end);
    at += 1;
    if (separator === CLOSE_BRACE) {
      return at === end ? { iss, aud, sub, sid, jti, iat, exp, nbf, scope } : undefined;
    }
    if (separator !== COMMA || at >= end) return undefined;
  }
}
