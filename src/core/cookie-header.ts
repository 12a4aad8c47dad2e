import { BadRequestError } from './errors.js';
import { type RequestHeaders, singleHeader } from './request.js';

/**
 * Reads one cookie from the `Cookie` header without building a map of every cookie: the hot
 * path only ever needs ours. A cookie name that appears twice is refused: browsers send both a
 * host cookie and a tossed parent-domain cookie, and guessing which one is ours is how
 * session-fixation-by-cookie-tossing works.
 */
const MAX_COOKIE_VALUE = 4096;

/** The value of cookie `name`, or null when absent. Throws `malformed_cookie` when ambiguous. */
export function readCookie(headers: RequestHeaders, name: string): string | null {
  const raw = headers.cookie;
  if (raw === undefined) return null;
  // HTTP/2 may split cookies into several headers; join them as RFC 9113 §8.2.3 says.
  const header = typeof raw === 'string' ? raw : (singleHeader(headers, 'cookie') ?? raw.join('; '));
  let found: string | null = null;
  let start = 0;
  while (start < header.length) {
    let end = header.indexOf(';', start);
    if (end === -1) end = header.length;
    const pair = header.slice(start, end);
    start = end + 1;
    const eq = pair.indexOf('=');
    if (eq === -1) continue;
    if (pair.slice(0, eq).trim() !== name) continue;
    if (found !== null) throw new BadRequestError('malformed_cookie', `The ${name} cookie was sent more than once.`);
    let value = pair.slice(eq + 1).trim();
    if (value.length >= 2 && value.startsWith('"') && value.endsWith('"')) value = value.slice(1, -1);
    if (value.length > MAX_COOKIE_VALUE) throw new BadRequestError('malformed_cookie', `The ${name} cookie is too large.`);
    found = value;
  }
  return found;
}
