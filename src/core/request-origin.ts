import { type RequestHeaders, singleHeader } from './request.js';

/**
 * Where a request came from, judged from browser signals (DESIGN §4, CSRF): `Sec-Fetch-Site`
 * first (browsers set it and pages cannot forge it), else `Origin`, else `Referer`.
 *   trusted   — same origin, or an origin on the trusted list
 *   untrusted — cross-site, `Origin: null`, an untrusted origin, or a malformed signal
 *   absent    — no browser signal at all (CLIs, mobile apps, server-to-server)
 */
export type OriginVerdict = 'trusted' | 'untrusted' | 'absent';

/** The trusted-origins policy, built once at start-up. */
export interface OriginPolicy {
  readonly trustedOrigins: ReadonlySet<string>;
  readonly trustSameSite: boolean;
}

/** Judges the request's origin signals. */
export function judgeRequestOrigin(headers: RequestHeaders, policy: OriginPolicy): OriginVerdict {
  if (headers['sec-fetch-site'] !== undefined) {
    const site = singleHeader(headers, 'sec-fetch-site');
    if (site === 'same-origin' || site === 'none') return 'trusted';
    if (site === 'same-site' && policy.trustSameSite) return 'trusted';
    return 'untrusted';
  }
  if (headers.origin !== undefined) {
    const origin = singleHeader(headers, 'origin');
    // Exact match on the serialised origin: no prefix or suffix matching, so
    // https://app.example.com.attacker.com never passes for https://app.example.com.
    return origin !== null && policy.trustedOrigins.has(origin) ? 'trusted' : 'untrusted';
  }
  if (headers.referer !== undefined) {
    const referer = singleHeader(headers, 'referer');
    const origin = referer === null ? null : originOf(referer);
    return origin !== null && policy.trustedOrigins.has(origin) ? 'trusted' : 'untrusted';
  }
  return 'absent';
}

function originOf(url: string): string | null {
  try {
    const parsed = new URL(url);
    return parsed.protocol === 'http:' || parsed.protocol === 'https:' ? parsed.origin : null;
  } catch {
    return null;
  }
}
