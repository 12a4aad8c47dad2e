/**
 * A fast path for the payload JSON of an access token. Tessera (like most issuers) writes the
 * claims as one flat object — `iss aud sub sid jti iat exp nbf scope` only, short ASCII strings,
 * integers, an array of strings for `aud` — without whitespace (`JSON.stringify` output). This
 * parser reads exactly that subset in one pass, straight into a fixed-shape record (no generic
 * object, no key interning, no native calls), and answers `undefined` — "not mine" — for anything
 * else: whitespace, escapes, non-ASCII, fractions, exponents, nested objects, any other claim
 * name, a repeated claim, and anything that is not JSON at all. The caller then runs the full
 * strict parser (parseStrictJsonText), which decides. So this file can only ever be stricter than
 * the full path, never more lenient: every text it accepts is valid JSON with no other members,
 * and each claim reads exactly as JSON.parse reads it (a property test holds the two equal on
 * random and mutated input).
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

/**
 * Index of the quote closing the string whose opening quote is at `at`, or -1 when the string
 * holds anything outside printable ASCII without escapes (left to the full parser).
 */
function stringEnd(text: string, at: number): number {
  for (let i = at + 1; i < text.length; i++) {
    const code = text.charCodeAt(i);
    if (code === QUOTE) return i;
    // Control characters are invalid JSON; escapes and non-ASCII are left to the full parser.
    if (code < 0x20 || code > 0x7e || code === BACKSLASH) return -1;
  }
  return -1;
}

/**
 * Parses a token payload in the subset above, or returns undefined when the text is outside it
 * (which says nothing about whether it is valid JSON).
 */
export function parseFlatClaims(text: string): FlatClaims | undefined {
  if (text.charCodeAt(0) !== OPEN_BRACE) return undefined;
  let iss: unknown, aud: unknown, sub: unknown, sid: unknown, jti: unknown;
  let iat: unknown, exp: unknown, nbf: unknown, scope: unknown;
  let seen = 0; // one bit per claim: a repeated claim means the token says two things (J-13)
  let at = 1;
  if (text.length === 2 && text.charCodeAt(1) === CLOSE_BRACE) {
    return { iss, aud, sub, sid, jti, iat, exp, nbf, scope };
  }
  for (;;) {
    // The member name: one of the known claims, nothing else.
    if (text.charCodeAt(at) !== QUOTE) return undefined;
    const nameEnd = stringEnd(text, at);
    if (nameEnd < 0 || text.charCodeAt(nameEnd + 1) !== COLON) return undefined;
    let bit: number;
    if (nameEnd - at === 4) {
      switch ((text.charCodeAt(at + 1) << 16) | (text.charCodeAt(at + 2) << 8) | text.charCodeAt(at + 3)) {
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
    } else if (nameEnd - at === 6 && text.startsWith('scope', at + 1)) {
      bit = 256;
    } else {
      return undefined;
    }
    if ((seen & bit) !== 0) return undefined;
    seen |= bit;
    at = nameEnd + 2;

    // The value: a string, an integer, or an array of strings.
    let value: unknown;
    const first = text.charCodeAt(at);
    if (first === QUOTE) {
      const end = stringEnd(text, at);
      if (end < 0) return undefined;
      value = text.slice(at + 1, end);
      at = end + 1;
    } else if (first === MINUS || (first >= ZERO && first <= NINE)) {
      const negative = first === MINUS;
      const digitsStart = negative ? at + 1 : at;
      let i = digitsStart;
      let magnitude = 0;
      for (; i < text.length; i++) {
        const code = text.charCodeAt(i);
        if (code < ZERO || code > NINE) break;
        magnitude = magnitude * 10 + (code - ZERO);
      }
      const digits = i - digitsStart;
      // JSON forbids leading zeros ("01") and a lone "-"; long numbers go to the full parser.
      if (digits === 0 || digits > MAX_INTEGER_DIGITS) return undefined;
      if (digits > 1 && text.charCodeAt(digitsStart) === ZERO) return undefined;
      value = negative ? -magnitude : magnitude;
      at = i; // a fraction or exponent here fails the separator check below
    } else if (first === OPEN_BRACKET) {
      const items: string[] = [];
      at += 1;
      if (text.charCodeAt(at) === CLOSE_BRACKET) {
        at += 1;
      } else {
        for (;;) {
          if (text.charCodeAt(at) !== QUOTE) return undefined;
          const end = stringEnd(text, at);
          if (end < 0) return undefined;
          items.push(text.slice(at + 1, end));
          const next = text.charCodeAt(end + 1);
          at = end + 2;
          if (next === CLOSE_BRACKET) break;
          if (next !== COMMA) return undefined;
        }
      }
      value = items;
    } else {
      return undefined; // true, false, null and objects are not claims we read
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

    const separator = text.charCodeAt(at);
    at += 1;
    if (separator === CLOSE_BRACE) {
      return at === text.length ? { iss, aud, sub, sid, jti, iat, exp, nbf, scope } : undefined;
    }
    if (separator !== COMMA) return undefined;
  }
}
