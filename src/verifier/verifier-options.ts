/**
 * Options of the standalone verifier, validated once when it is created. A misconfigured
 * verifier must refuse to start rather than run quietly with less protection than the operator
 * believes it has: a misspelt `revocationUrl` that silently disabled revocation would be exactly
 * that, so unknown option names are errors too.
 */
import { systemClock } from '../core/clock.js';
import type { Clock } from '../core/clock.js';
import { ConfigurationError } from '../core/errors.js';

/** Options of createVerifier. Durations are milliseconds unless the name says otherwise. */
export interface VerifierOptions {
  /** The exact `iss` of the tokens (Tessera's TESSERA_TOKEN_ISSUER, by default its public URL). */
  readonly issuer: string;
  /** The `aud` this service accepts (Tessera's TESSERA_TOKEN_AUDIENCE). */
  readonly audience: string;
  /** Tessera's `/.well-known/jwks.json`. Use https whenever the path crosses a network. */
  readonly jwksUrl: string;
  /**
   * Tessera's `/auth/revocations` SSE feed. Without it the verifier never learns of a logout
   * and accepts a revoked token until it expires; set it unless that is really acceptable.
   */
  readonly revocationsUrl?: string;
  /** Client id for the revocation feed (HTTP Basic); required with revocationsUrl. */
  readonly clientId?: string;
  /** Client secret for the revocation feed; required with revocationsUrl. */
  readonly clientSecret?: string;
  /** Verification fails closed when the feed has been silent this long. Default 30 000. */
  readonly staleAfterMs?: number;
  /** Minimum time between JWKS refetches caused by unknown `kid`s. Default 30 000. */
  readonly jwksCooldownMs?: number;
  /** Periodic JWKS refresh. Default 300 000 (the JWKS `max-age`). */
  readonly jwksRefreshMs?: number;
  /** Timeout of a JWKS request and of a feed connection attempt. Default 5 000. */
  readonly fetchTimeoutMs?: number;
  /** Verified tokens kept in memory; 0 disables the cache. Default 10 000. */
  readonly cacheSize?: number;
  /** Tolerated clock difference for `exp`, `nbf`, `iat`. Default 30. */
  readonly clockSkewSeconds?: number;
  /** Time source for token checks, staleness and the refetch cooldown. Default: the wall clock. */
  readonly clock?: Clock;
  /** The fetch used for the JWKS and the feed (injectable for tests and proxies). */
  readonly fetch?: typeof fetch;
  /** Told about background failures (JWKS fetch, feed connection); never given a token. */
  readonly onError?: (error: Error) => void;
}

/** VerifierOptions with every default filled in. */
export interface ResolvedVerifierOptions {
  readonly issuer: string;
  readonly audience: string;
  readonly jwksUrl: string;
  readonly feed: { readonly url: string; readonly authorization: string } | null;
  readonly staleAfterMs: number;
  readonly jwksCooldownMs: number;
  readonly jwksRefreshMs: number;
  readonly fetchTimeoutMs: number;
  readonly cacheSize: number | undefined;
  readonly clockSkewSeconds: number | undefined;
  readonly clock: Clock;
  readonly fetch: typeof fetch;
  readonly onError: (error: Error) => void;
}

const KNOWN_OPTIONS = new Set<string>([
  'issuer',
  'audience',
  'jwksUrl',
  'revocationsUrl',
  'clientId',
  'clientSecret',
  'staleAfterMs',
  'jwksCooldownMs',
  'jwksRefreshMs',
  'fetchTimeoutMs',
  'cacheSize',
  'clockSkewSeconds',
  'clock',
  'fetch',
  'onError',
]);

function fail(message: string): never {
  throw new ConfigurationError(`createVerifier: ${message}`);
}

function requireString(value: unknown, name: string, hint: string): string {
  if (typeof value !== 'string' || value.trim().length === 0) {
    fail(`\`${name}\` is required: ${hint}.`);
  }
  return value;
}

function requireHttpUrl(value: unknown, name: string, hint: string): string {
  const text = requireString(value, name, hint);
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    return fail(`\`${name}\` must be an absolute http(s) URL such as ${hint}.`);
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') {
    fail(`\`${name}\` must be an http(s) URL such as ${hint}.`);
  }
  // Credentials in a URL end up in logs and proxies; the feed takes clientId/clientSecret.
  if (url.username !== '' || url.password !== '') {
    fail(`\`${name}\` must not contain credentials; use clientId and clientSecret.`);
  }
  return url.href;
}

function duration(value: unknown, name: string, fallback: number, min: number, max: number): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !Number.isFinite(value) || value < min || value > max) {
    fail(`\`${name}\` must be a number of milliseconds from ${min} to ${max}.`);
  }
  return value;
}

/** RFC 6749 §2.3.1: the id and secret are form-encoded before they go into HTTP Basic. */
function basicAuthorization(clientId: string, clientSecret: string): string {
  const pair = `${encodeURIComponent(clientId)}:${encodeURIComponent(clientSecret)}`;
  return `Basic ${Buffer.from(pair, 'utf8').toString('base64')}`;
}

/** Validates createVerifier's options and fills in the defaults; throws ConfigurationError. */
export function resolveVerifierOptions(options: VerifierOptions): ResolvedVerifierOptions {
  if (typeof options !== 'object' || options === null) {
    fail('pass an options object with issuer, audience and jwksUrl.');
  }
  for (const name of Object.keys(options)) {
    if (!KNOWN_OPTIONS.has(name)) fail(`unknown option \`${name}\` (check its spelling).`);
  }
  const issuer = requireString(options.issuer, 'issuer', 'the exact `iss` of the tokens, e.g. https://auth.example.com');
  const audience = requireString(options.audience, 'audience', 'the `aud` this service accepts');
  const jwksUrl = requireHttpUrl(options.jwksUrl, 'jwksUrl', 'https://auth.example.com/.well-known/jwks.json');

  const { revocationsUrl, clientId, clientSecret } = options;
  let feed: ResolvedVerifierOptions['feed'] = null;
  if (revocationsUrl !== undefined) {
    const url = requireHttpUrl(revocationsUrl, 'revocationsUrl', 'https://auth.example.com/auth/revocations');
    const id = requireString(clientId, 'clientId', 'the revocation feed needs client credentials (a TESSERA_CLIENTS id)');
    const secret = requireString(clientSecret, 'clientSecret', 'the revocation feed needs the secret of `clientId`');
    feed = { url, authorization: basicAuthorization(id, secret) };
  } else if (clientId !== undefined || clientSecret !== undefined) {
    // Credentials without a feed URL usually mean the feed was meant to be on: refuse rather
    // than run without revocation.
    fail('`clientId`/`clientSecret` are only used with `revocationsUrl`; set revocationsUrl (or remove them).');
  }

  const clock = options.clock ?? systemClock;
  if (typeof clock !== 'object' || clock === null || typeof clock.now !== 'function') {
    fail('`clock` must be an object with a now() method returning milliseconds.');
  }
  const fetchImpl = options.fetch ?? globalThis.fetch;
  if (typeof fetchImpl !== 'function') fail('`fetch` must be a function (global fetch needs Node 20+).');
  const onError = options.onError ?? ((): void => undefined);
  if (typeof onError !== 'function') fail('`onError` must be a function.');

  return {
    issuer,
    audience,
    jwksUrl,
    feed,
    staleAfterMs: duration(options.staleAfterMs, 'staleAfterMs', 30_000, 50, 3_600_000),
    jwksCooldownMs: duration(options.jwksCooldownMs, 'jwksCooldownMs', 30_000, 0, 3_600_000),
    jwksRefreshMs: duration(options.jwksRefreshMs, 'jwksRefreshMs', 300_000, 1_000, 86_400_000),
    fetchTimeoutMs: duration(options.fetchTimeoutMs, 'fetchTimeoutMs', 5_000, 1, 120_000),
    // cacheSize and clockSkewSeconds are validated by createAccessTokenVerifier, also at creation.
    cacheSize: options.cacheSize,
    clockSkewSeconds: options.clockSkewSeconds,
    clock,
    fetch: fetchImpl,
    onError,
  };
}
