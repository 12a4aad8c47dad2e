/**
 * `tessera/verifier`: access-token verification for services other than Tessera itself, with
 * no store and no server code (DESIGN §3 `verifier/`). Keys come from the JWKS, revocations from
 * the SSE feed, and every token goes through the core's strict synchronous verifier — the same
 * code Tessera runs — so a service is never more lenient than the issuer.
 *
 * Failure policy: fail closed. A verifier that has not loaded its keys, has not received its
 * revocation snapshot, or has not heard from the feed within `staleAfterMs` refuses every token:
 * an outage of the auth server may degrade availability, never the meaning of a logout.
 */
import type { AccessTokenClaims } from '../core/tokens/access-token-claims.js';
import { AuthenticationError, VerifierUnavailableError } from '../core/errors.js';
import { createRevocationSet } from '../core/tokens/revocation-set.js';
import { createAccessTokenVerifier } from '../core/tokens/verify-access-token.js';
import type { VerificationKey } from '../core/tokens/verify-access-token.js';
import { backoffDelay, sleep } from './backoff.js';
import { createJwksKeySet } from './jwks-key-set.js';
import { startRevocationFeed } from './revocation-feed-client.js';
import type { RevocationFeedClient } from './revocation-feed-client.js';
import { resolveVerifierOptions } from './verifier-options.js';
import type { VerifierOptions } from './verifier-options.js';

/** State of the revocation feed as status reports it. */
export type FeedState = 'connecting' | 'live' | 'stale' | 'disabled';

/** A point-in-time view of a verifier, for health checks and metrics. */
export interface VerifierStatus {
  /** Usable keys from the last JWKS loaded. */
  readonly jwksKeys: number;
  /** JWKS entries skipped in the last JWKS loaded (malformed, `enc`, weak, duplicated). */
  readonly jwksRejected: number;
  readonly feed: FeedState;
  /** When the last feed event arrived (the verifier's clock), or null. */
  readonly lastEventAt: number | null;
  /** Entries in the revocation set. */
  readonly revocations: number;
}

/** A standalone access-token verifier. */
export interface Verifier {
  /** Resolves once the JWKS is loaded and, with a feed, its first snapshot applied. */
  ready(): Promise<void>;
  /** Verifies a token; may refetch the JWKS once for an unknown `kid` (rate-limited). */
  verify(token: string): Promise<AccessTokenClaims>;
  /** Verifies a token without any I/O; throws when not ready, stale, or the kid is unknown. */
  verifySync(token: string): AccessTokenClaims;
  /** Current state (a fresh object per read). */
  readonly status: VerifierStatus;
  /** Stops the feed and every timer; idempotent. */
  close(): Promise<void>;
}

/** How often expired revocation entries are dropped; they stay harmless until then. */
const SWEEP_INTERVAL_MS = 60_000;

function notReady(): VerifierUnavailableError {
  return new VerifierUnavailableError('The verifier is not ready.');
}

function staleFeed(): VerifierUnavailableError {
  return new VerifierUnavailableError('The revocation feed is stale.');
}

function toError(value: unknown): Error {
  return value instanceof Error ? value : new Error(String(value));
}

/** Creates a verifier and starts loading keys and revocations; throws ConfigurationError. */
export function createVerifier(options: VerifierOptions): Verifier {
  const config = resolveVerifierOptions(options);
  const { clock, staleAfterMs, onError } = config;
  const lifetime = new AbortController();
  const timers: NodeJS.Timeout[] = [];

  const keySet = createJwksKeySet({
    url: config.jwksUrl,
    fetch: config.fetch,
    clock,
    cooldownMs: config.jwksCooldownMs,
    timeoutMs: config.fetchTimeoutMs,
    signal: lifetime.signal,
  });
  const revocations = createRevocationSet(clock);

  // The kid the last verification failed to resolve. verify() is synchronous, so reading it
  // right after a failure is race-free, and the token is never parsed a second time here.
  let missedKid: string | null = null;
  const resolveKey = (kid: string): VerificationKey | undefined => {
    const key = keySet.resolve(kid);
    if (key === undefined) missedKid = kid;
    return key;
  };
  const tokens = createAccessTokenVerifier({
    issuer: config.issuer,
    audience: config.audience,
    resolveKey,
    isRevoked: (claims) => revocations.isRevoked(claims),
    clock,
    ...(config.cacheSize !== undefined ? { cacheSize: config.cacheSize } : {}),
    ...(config.clockSkewSeconds !== undefined ? { clockSkewSeconds: config.clockSkewSeconds } : {}),
  });

  let resolveReady: () => void = () => undefined;
  let rejectReady: (error: Error) => void = () => undefined;
  const readyPromise = new Promise<void>((resolve, reject) => {
    resolveReady = resolve;
    rejectReady = reject;
  });
  // Nobody may be awaiting ready() when close() rejects it; that must not crash the process.
  readyPromise.catch(() => undefined);
  let snapshotReceived = config.feed === null;
  const checkReady = (): void => {
    if (keySet.loaded && snapshotReceived) resolveReady();
  };

  let feed: RevocationFeedClient | null = null;
  if (config.feed !== null) {
    feed = startRevocationFeed({
      url: config.feed.url,
      authorization: config.feed.authorization,
      set: revocations,
      fetch: config.fetch,
      clock,
      staleAfterMs,
      connectTimeoutMs: config.fetchTimeoutMs,
      signal: lifetime.signal,
      onSnapshot: () => {
        snapshotReceived = true;
        checkReady();
      },
      onError,
    });
  }

  // First load: retried with backoff until it works, because a service usually starts next to
  // (or before) the auth server. Afterwards the periodic refresh takes over.
  const firstLoad = (async (): Promise<void> => {
    for (let attempt = 0; !lifetime.signal.aborted; attempt++) {
      try {
        await keySet.refresh();
        checkReady();
        return;
      } catch (error) {
        if (lifetime.signal.aborted) return;
        onError(toError(error));
        await sleep(backoffDelay(attempt), lifetime.signal);
      }
    }
  })();

  const refreshTimer = setInterval(() => {
    keySet.refresh().then(checkReady, (error: unknown) => {
      // Keep the keys we have: a JWKS outage must not stop verification of valid tokens.
      if (!lifetime.signal.aborted) onError(toError(error));
    });
  }, config.jwksRefreshMs);
  const sweepTimer = setInterval(() => revocations.sweep(), SWEEP_INTERVAL_MS);
  for (const timer of [refreshTimer, sweepTimer]) {
    timer.unref();
    timers.push(timer);
  }

  function feedState(): FeedState {
    if (feed === null) return 'disabled';
    const last = feed.lastEventAt;
    if (last === null) return 'connecting';
    if (clock.now() - last > staleAfterMs) return 'stale';
    return feed.live ? 'live' : 'connecting';
  }

  /** Throws unless the revocation view is complete and fresh enough to trust. */
  function assertRevocationsFresh(): void {
    // A closed verifier hears no more revocations, so it stops vouching for tokens at once.
    if (lifetime.signal.aborted) throw new VerifierUnavailableError('The verifier is closed.');
    if (feed === null) return;
    const last = feed.lastEventAt;
    if (last === null) throw notReady();
    // No event (heartbeat included) within the bound: a revocation may be in flight that we
    // cannot see, so no token is accepted until the feed proves itself current again.
    if (clock.now() - last > staleAfterMs) throw staleFeed();
  }

  function verifySync(token: string): AccessTokenClaims {
    assertRevocationsFresh();
    if (!keySet.loaded) throw notReady();
    return tokens.verify(token);
  }

  async function verify(token: string): Promise<AccessTokenClaims> {
    assertRevocationsFresh();
    missedKid = null;
    try {
      // Not verifySync: before the first JWKS load every kid is simply unknown, which the
      // refetch below handles (joining the load already in flight).
      return tokens.verify(token);
    } catch (error) {
      const kid = missedKid;
      if (!(error instanceof AuthenticationError) || error.code !== 'invalid_token' || kid === null) {
        throw error;
      }
      // A new kid is how key rotation looks from here; a random kid is how an attack looks.
      // Both get at most one refetch per cooldown, and one retry.
      if (!(await keySet.refreshForUnknownKid())) throw keySet.loaded ? error : notReady();
      checkReady();
      if (keySet.resolve(kid) === undefined) throw error;
      return verifySync(token);
    }
  }

  let closing: Promise<void> | null = null;
  return {
    ready: () => readyPromise,
    verify,
    verifySync,
    get status(): VerifierStatus {
      return {
        jwksKeys: keySet.size,
        jwksRejected: keySet.rejected,
        feed: feedState(),
        lastEventAt: feed?.lastEventAt ?? null,
        revocations: revocations.size,
      };
    },
    close() {
      closing ??= (async (): Promise<void> => {
        lifetime.abort(new Error('The verifier was closed.'));
        for (const timer of timers) clearInterval(timer);
        rejectReady(new Error('The verifier was closed before it was ready.'));
        await Promise.all([firstLoad, feed?.done]);
      })();
      return closing;
    },
  };
}
