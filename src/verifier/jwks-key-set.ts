/**
 * The verifier's copy of the issuer's JWKS: fetched over HTTP, imported once per key with the
 * core's strict importVerificationKey, and held as a Map so resolving a `kid` on the hot path is
 * one lookup and never a network call (DESIGN §2 "Keys").
 *
 * Refetching is the attack surface: the `kid` of an incoming token is attacker-chosen, so "fetch
 * the JWKS when a kid is unknown" must be rate-limited, or a flood of tokens with random kids
 * becomes a flood of requests against the auth server from every service at once.
 */
import { importVerificationKey } from '../core/tokens/import-verification-key.js';
import type { VerificationJwk } from '../core/tokens/import-verification-key.js';
import type { VerificationKey } from '../core/tokens/verify-access-token.js';
import type { Clock } from '../core/clock.js';
import { abortableFetch, createAbortScope } from './abort-scope.js';
import { readBoundedText } from './read-bounded-body.js';

/** A JWKS is a handful of keys; 1 MiB is far above any honest one. */
export const MAX_JWKS_BYTES = 1024 * 1024;
/** More keys than this is not a key ring but an attempt to make every import cost add up. */
export const MAX_JWKS_KEYS = 100;

/** What one JWKS document yielded. */
export interface ImportedJwks {
  readonly keys: Map<string, VerificationKey>;
  /** Entries refused: malformed, not `sig`, private material, weak, duplicated kid. */
  readonly rejected: number;
}

/**
 * Imports every usable key of a parsed JWKS document. One bad entry never spoils the others:
 * it is skipped and counted. Throws only when the document itself is not a JWKS.
 */
export function importJwks(document: unknown, previous: ReadonlyMap<string, VerificationKey>): ImportedJwks {
  if (typeof document !== 'object' || document === null || Array.isArray(document)) {
    throw new Error('The JWKS is not a JSON object.');
  }
  const entries = (document as { keys?: unknown }).keys;
  if (!Array.isArray(entries)) throw new Error('The JWKS has no `keys` array.');
  if (entries.length > MAX_JWKS_KEYS) throw new Error(`The JWKS has more than ${MAX_JWKS_KEYS} keys.`);

  const keys = new Map<string, VerificationKey>();
  const duplicated = new Set<string>();
  let rejected = 0;
  for (const entry of entries) {
    if (typeof entry !== 'object' || entry === null || Array.isArray(entry)) {
      rejected++;
      continue;
    }
    const jwk = entry as VerificationJwk;
    // K-03: a key published for encryption is never used to verify, whatever else it says.
    // importVerificationKey refuses it too; this check keeps the rule visible where keys enter.
    if (jwk.use !== undefined && jwk.use !== 'sig') {
      rejected++;
      continue;
    }
    let imported: VerificationKey;
    try {
      imported = importVerificationKey(jwk);
    } catch {
      rejected++;
      continue;
    }
    // A kid must name exactly one key; two entries with one kid make "which key?" ambiguous, so
    // neither is trusted.
    if (keys.has(imported.kid) || duplicated.has(imported.kid)) {
      if (keys.delete(imported.kid)) rejected++;
      duplicated.add(imported.kid);
      rejected++;
      continue;
    }
    // Keep the previous object for an unchanged key: the token cache only counts a hit while
    // the kid still resolves to the very KeyObject that verified it, so a refresh that swapped
    // in equal-but-new objects would silently empty the cache every five minutes.
    const old = previous.get(imported.kid);
    keys.set(imported.kid, old !== undefined && old.alg === imported.alg && old.key.equals(imported.key) ? old : imported);
  }
  return { keys, rejected };
}

/** Options of createJwksKeySet. */
export interface JwksKeySetOptions {
  readonly url: string;
  readonly fetch: typeof fetch;
  readonly clock: Clock;
  readonly cooldownMs: number;
  readonly timeoutMs: number;
  /** Aborts in-flight requests when the verifier closes. */
  readonly signal: AbortSignal;
}

/** The live key set of one verifier. */
export interface JwksKeySet {
  /** The hot-path lookup handed to createAccessTokenVerifier. */
  resolve(kid: string): VerificationKey | undefined;
  /** True once a JWKS with at least one usable key has been loaded. */
  readonly loaded: boolean;
  /** Usable keys held. */
  readonly size: number;
  /** Entries refused in the last JWKS loaded. */
  readonly rejected: number;
  /** Fetches the JWKS now (joining a fetch already in flight); rejects on failure. */
  refresh(): Promise<void>;
  /**
   * Refetches because a token named an unknown kid, at most once per cooldown. Resolves true
   * when a fetch ran (or one in flight was joined) and succeeded; false when throttled or failed.
   */
  refreshForUnknownKid(): Promise<boolean>;
}

/** Creates an empty key set for `url`; nothing is fetched until refresh() is called. */
export function createJwksKeySet(options: JwksKeySetOptions): JwksKeySet {
  const { url, clock, cooldownMs, timeoutMs, signal } = options;
  const fetchImpl = options.fetch;
  let keys: ReadonlyMap<string, VerificationKey> = new Map();
  let loaded = false;
  let rejected = 0;
  let inFlight: Promise<void> | null = null;
  let lastUnknownKidFetchAt = -Infinity;

  async function load(): Promise<void> {
    // The timeout covers the whole exchange, body included: a server that trickles bytes
    // cannot hold the refresh (and every caller joined to it) forever.
    const scope = createAbortScope(signal, timeoutMs, 'The JWKS request timed out.');
    let text: string;
    try {
      const response = await abortableFetch(
        fetchImpl,
        url,
        {
          headers: { accept: 'application/jwk-set+json, application/json' },
          // Keys come only from the configured URL: a redirect could point the verifier at keys
          // an attacker controls, so it is an error rather than something to follow.
          redirect: 'error',
        },
        scope,
      );
      if (!response.ok) {
        await response.body?.cancel().catch(() => undefined);
        throw new Error(`The JWKS request answered HTTP ${response.status}.`);
      }
      text = await readBoundedText(response, MAX_JWKS_BYTES, 'The JWKS', scope);
    } finally {
      scope.dispose();
    }
    let document: unknown;
    try {
      document = JSON.parse(text);
    } catch (error) {
      throw new Error('The JWKS is not valid JSON.', { cause: error });
    }
    const result = importJwks(document, keys);
    // A set with no usable key would make every token fail; keeping the previous keys is the
    // safer reading of a broken answer, and rotation still removes a key once a good JWKS
    // without it arrives.
    if (result.keys.size === 0) {
      throw new Error(`The JWKS has no usable signing key (${result.rejected} rejected).`);
    }
    keys = result.keys;
    rejected = result.rejected;
    loaded = true;
  }

  function refresh(): Promise<void> {
    // Single flight: concurrent callers share one request.
    inFlight ??= load().finally(() => {
      inFlight = null;
    });
    return inFlight;
  }

  return {
    resolve: (kid) => keys.get(kid),
    get loaded() {
      return loaded;
    },
    get size() {
      return keys.size;
    },
    get rejected() {
      return rejected;
    },
    refresh,
    async refreshForUnknownKid() {
      if (signal.aborted) return false;
      if (inFlight === null) {
        const now = clock.now();
        if (now - lastUnknownKidFetchAt < cooldownMs) return false;
        lastUnknownKidFetchAt = now;
      }
      try {
        await refresh();
        return true;
      } catch {
        return false;
      }
    },
  };
}
