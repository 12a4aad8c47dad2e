import type { Clock, RandomSource } from '../clock.js';
import { encodeBase64Url } from '../encoding.js';
import { AuthenticationError } from '../errors.js';
import type { AuthEventSink } from '../events.js';
import type { KeyRing } from '../keys/key-ring.js';
import type { Session, User } from '../model.js';
import type { SessionManager } from '../sessions.js';
import type { SessionStore, UserStore } from '../../stores/types.js';
import type { AccessTokenClaims } from './access-token-claims.js';
import { deriveAccessTokenId, deriveRefreshToken, isAuthenticRefreshToken, parseRefreshToken } from './refresh-token.js';
import { signAccessToken } from './sign-access-token.js';
import { type AccessTokenVerifier, createAccessTokenVerifier } from './verify-access-token.js';
import type { RevocationSet } from './revocation-set.js';

/**
 * Access and refresh tokens on the session model (DESIGN §1–2). The access token of a
 * generation is fully determined by (session, generation, rotation instant): `jti` is derived
 * and `iat` is the rotation instant, so answering a concurrent refresh inside the grace window
 * with "the same successor pair" is literally the same token identity, and the chain never forks.
 */

/** Token lifetimes and identities. */
export interface TokenPolicy {
  readonly issuer: string;
  readonly audience: string;
  readonly accessTokenTtlMs: number;
  /** How long the previous refresh generation still gets the current pair (two tabs). */
  readonly refreshGraceMs: number;
  readonly clockSkewMs: number;
  /** Audience of the internal tokens `/auth/verify` hands to services behind a gateway. */
  readonly internalAudience: string;
  readonly internalTokenTtlMs: number;
  readonly verifiedCacheSize: number;
}

/** A pair as issued. */
export interface TokenPair {
  readonly accessToken: string;
  readonly refreshToken: string;
  /** Seconds until the access token expires (RFC 6749 §5.1). */
  readonly expiresIn: number;
}

/** A successful refresh. */
export interface RefreshResult {
  readonly pair: TokenPair;
  readonly session: Session;
  readonly user: User;
}

/** The token operations. */
export interface TokenService {
  /** The pair for a session's current generation. */
  issuePair(session: Session, user: User): Promise<TokenPair>;
  /**
   * Rotates a refresh token (compare-and-set), with reuse detection and the grace window. The
   * session must be of `carrier`: a bearer token presented as a hybrid cookie (or the reverse)
   * is refused before anything rotates.
   */
  refresh(refreshToken: string, carrier: 'bearer' | 'hybrid'): Promise<RefreshResult>;
  /** The session an authentic, current refresh token belongs to (no rotation), or null. */
  inspectRefreshToken(refreshToken: string): Promise<Session | null>;
  /** The strict synchronous verifier (signature, claims, cache, revocation set). */
  readonly verifier: AccessTokenVerifier;
  /** A short-lived token for services behind the gateway, cached per session for half its life. */
  internalToken(session: Session): Promise<string>;
  /** The cached internal token of a session, or undefined when one must be signed (call internalToken). */
  internalTokenNow(session: Session): string | undefined;
}

/** Dependencies of the token service. */
export interface TokenServiceDeps {
  readonly sessions: SessionManager;
  readonly sessionStore: SessionStore;
  readonly users: UserStore;
  readonly keyRing: KeyRing;
  readonly refreshKey: Uint8Array;
  readonly revocationSet: RevocationSet;
  readonly policy: TokenPolicy;
  readonly clock: Clock;
  readonly random: RandomSource;
  readonly events: AuthEventSink;
}

/** Creates the token service. */
export function createTokenService(deps: TokenServiceDeps): TokenService {
  const { sessions, sessionStore, users, keyRing, refreshKey, policy, clock, events } = deps;
  const seconds = (ms: number): number => Math.floor(ms / 1000);
  const invalid = (): AuthenticationError => new AuthenticationError('refresh_token_invalid', 'The refresh token is invalid or expired.');

  const verifier = createAccessTokenVerifier({
    issuer: policy.issuer,
    audience: policy.audience,
    resolveKey: (kid) => keyRing.publicKey(kid),
    isRevoked: (claims) => deps.revocationSet.isRevoked(claims),
    clock,
    clockSkewSeconds: Math.round(policy.clockSkewMs / 1000),
    cacheSize: policy.verifiedCacheSize,
  });

  const issueGeneration = async (session: Session, generation: number, rotatedAt: number): Promise<TokenPair> => {
    const iat = seconds(rotatedAt);
    // Never past the session's own end: an access token must not outlive its session.
    const exp = Math.min(iat + seconds(policy.accessTokenTtlMs), seconds(session.expiresAt));
    const claims: AccessTokenClaims = {
      iss: policy.issuer,
      aud: policy.audience,
      sub: session.userId,
      sid: session.id,
      jti: deriveAccessTokenId(refreshKey, session.id, generation),
      iat,
      exp,
    };
    const accessToken = await signAccessToken(claims, keyRing.signingKey());
    return {
      accessToken,
      refreshToken: deriveRefreshToken(refreshKey, session.id, generation, session.secretHash),
      expiresIn: Math.max(0, exp - seconds(clock.now())),
    };
  };

  /** The live session and user behind a token id, or null. */
  const loadLive = async (sessionId: string): Promise<{ session: Session; user: User } | null> => {
    const session = await sessionStore.findSession(sessionId);
    if (!session || session.carrier === 'cookie') return null;
    const user = await users.findUserById(session.userId);
    const now = clock.now();
    if (!user || user.disabled || !sessions.isLive(session, now) || session.createdAt < user.sessionsValidAfter) return null;
    return { session, user };
  };

  const internalCache = new Map<string, { token: string; refreshAt: number }>();

  return {
    issuePair: (session) => issueGeneration(session, session.refreshGeneration, session.refreshRotatedAt),

    async refresh(refreshToken, carrier) {
      const parts = parseRefreshToken(refreshToken);
      if (!parts) throw invalid();
      let live = await loadLive(parts.sessionId);
      // Authenticity first: the session id is public (the `sid` claim), so a forged token for
      // an old generation must be a plain 401 and must never revoke the victim's session.
      if (!live || live.session.carrier !== carrier || !isAuthenticRefreshToken(refreshKey, parts, live.session.secretHash)) throw invalid();
      const now = clock.now();
      if (parts.generation === live.session.refreshGeneration) {
        if (await sessionStore.rotateRefresh(parts.sessionId, parts.generation, now)) {
          await sessionStore.touchSession(parts.sessionId, now);
          const session: Session = { ...live.session, refreshGeneration: parts.generation + 1, refreshRotatedAt: now, lastSeenAt: now };
          events({ type: 'refresh', userId: session.userId, sessionId: session.id, generation: session.refreshGeneration });
          return { pair: await issueGeneration(session, session.refreshGeneration, now), session, user: live.user };
        }
        // Another request rotated this generation a moment ago: judge again on fresh state.
        live = await loadLive(parts.sessionId);
        if (!live) throw invalid();
      }
      const { session, user } = live;
      if (parts.generation === session.refreshGeneration - 1 && now - session.refreshRotatedAt <= policy.refreshGraceMs) {
        // Two tabs refreshed with the same token: the second gets the very same successor.
        return { pair: await issueGeneration(session, session.refreshGeneration, session.refreshRotatedAt), session, user };
      }
      if (parts.generation < session.refreshGeneration) {
        // An authentic, already-rotated token: someone holds a copy. End the whole session
        // (RFC 9700 §4.14.2); its newest refresh token and access tokens die with it.
        await sessions.revokeSession(session.id);
        events({ type: 'refresh_reused', userId: session.userId, sessionId: session.id, generation: parts.generation });
        throw new AuthenticationError('refresh_token_reused', 'The refresh token was already used; the session has been ended.');
      }
      throw invalid();
    },

    async inspectRefreshToken(refreshToken) {
      const parts = parseRefreshToken(refreshToken);
      if (!parts) return null;
      const live = await loadLive(parts.sessionId);
      if (!live || !isAuthenticRefreshToken(refreshKey, parts, live.session.secretHash)) return null;
      return parts.generation === live.session.refreshGeneration ? live.session : null;
    },

    verifier,

    internalTokenNow(session) {
      const cached = internalCache.get(session.id);
      return cached !== undefined && cached.refreshAt > clock.now() ? cached.token : undefined;
    },

    async internalToken(session) {
      const now = clock.now();
      const cached = internalCache.get(session.id);
      if (cached && cached.refreshAt > now) return cached.token;
      const iat = seconds(now);
      const exp = Math.min(iat + seconds(policy.internalTokenTtlMs), seconds(session.expiresAt));
      const token = await signAccessToken(
        { iss: policy.issuer, aud: policy.internalAudience, sub: session.userId, sid: session.id, jti: encodeBase64Url(deps.random(16)), iat, exp },
        keyRing.signingKey(),
      );
      if (internalCache.size >= 10_000) internalCache.clear();
      internalCache.set(session.id, { token, refreshAt: now + policy.internalTokenTtlMs / 2 });
      return token;
    },
  };
}
