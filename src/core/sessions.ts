import { createChangeCheckGate } from './change-check-gate.js';
import type { Clock, RandomSource } from './clock.js';
import { constantTimeEqual, sha256Base64Url } from './hashing.js';
import type { Carrier, Revocation, Session, User } from './model.js';
import { generateSessionToken, parseSessionToken } from './session-token.js';
import type { Stores } from '../stores/types.js';

/**
 * The session model every carrier shares (DESIGN §1): create, validate, list, revoke, sweep.
 *
 * Validation is the hot path of every authenticated request, so validated sessions are cached
 * in memory. The cache is only safe because every way a session can stop being valid evicts
 * it: our own writes evict directly, writes by other processes change the store's external
 * change counter (checked once per event-loop turn and at least every millisecond, see
 * change-check-gate.ts), and expiry is re-checked against the clock on every hit. A store
 * that cannot offer the counter gets no cache.
 */

/** Idle and absolute lifetime of one carrier's sessions. */
export interface SessionLifetime {
  readonly idleTimeoutMs: number;
  readonly absoluteLifetimeMs: number;
}

/** Session timing, from the configuration. */
export interface SessionPolicy {
  /** Cookie sessions live hours; token sessions (refreshed by apps) live days. */
  readonly lifetimes: Readonly<Record<Carrier, SessionLifetime>>;
  readonly touchIntervalMs: number;
  readonly cacheSize: number;
  /**
   * How stale the cache may be about changes made by another process: it re-checks the
   * store's change counter once per event-loop turn and at least this often (0: every use).
   */
  readonly externalChangeCheckMs: number;
  /** How long a revocation entry must live: the longest token lifetime plus clock skew. */
  readonly revocationTtlMs: number;
}

/** Receives revocation entries to persist and publish (store + feed). */
export type RevocationSink = (entries: readonly Revocation[]) => Promise<void>;

/** A validated session with its user. */
export interface ValidatedSession {
  readonly session: Session;
  readonly user: User;
}

/** Where a new session comes from (shown in the device list). */
export interface SessionOrigin {
  readonly ip: string | null;
  readonly userAgent: string | null;
}

/** The session operations. */
export interface SessionManager {
  /** Creates a session; the token is returned once and never stored. */
  createSession(userId: string, carrier: Carrier, origin: SessionOrigin): Promise<{ session: Session; token: string }>;
  /** The session and user for a token, or null when invalid, expired or revoked. */
  validateSessionToken(token: string): Promise<ValidatedSession | null>;
  /** The session by id with the same validity checks (for token carriers, which carry the id). */
  validateSessionId(sessionId: string): Promise<ValidatedSession | null>;
  /**
   * `validateSessionToken` without waiting, when memory alone can decide: the token was already
   * verified against a cached session and no renewal write is due. `undefined` means "ask the
   * store" (call the async method); `null` is a definite no. Every hit runs the same checks
   * (external changes, expiry, disabled user, not-before) as the async path.
   */
  validateSessionTokenNow(token: string): ValidatedSession | null | undefined;
  /** `validateSessionId` without waiting, under the same rules as `validateSessionTokenNow`. */
  validateSessionIdNow(sessionId: string): ValidatedSession | null | undefined;
  /** The user's live sessions, newest first. */
  listUserSessions(userId: string): Promise<Session[]>;
  revokeSession(sessionId: string): Promise<boolean>;
  /** Revokes one session only if it is the user's. */
  revokeUserSession(userId: string, sessionId: string): Promise<boolean>;
  /** Revokes all the user's sessions (but `exceptId`); returns the revoked ids. */
  revokeUserSessions(userId: string, exceptId?: string): Promise<string[]>;
  /**
   * Ends everything of a user at once (sign out everywhere, password change, disable): sets the
   * user's not-before, deletes every session, and revokes their tokens by `sub` and `sid`.
   */
  revokeUser(userId: string): Promise<string[]>;
  markReauthenticated(sessionId: string): Promise<boolean>;
  /** Drops every cached session (after user-level changes: password, disable). */
  invalidateCache(): void;
  /** Removes expired sessions from the store; returns how many. */
  sweepExpiredSessions(): Promise<number>;
  /** True when a session is within its idle and absolute lifetime at `now`. */
  isLive(session: Session, now: number): boolean;
  /** When the session will end if unused from now on. */
  idleExpiresAt(session: Session): number;
}

/** How long a user record is reused when sessions themselves cannot be cached. */
const USER_CACHE_MS = 2_000;

interface CacheEntry {
  session: Session;
  user: User;
  /** The exact token already verified against this session's hash (cookie carrier). */
  token?: string;
  /** What validation hands out for this entry, reused until the session or user changes. */
  validated?: ValidatedSession;
}

/** Creates the session manager over the stores. */
export function createSessionManager(
  stores: Pick<Stores, 'sessions' | 'users'>,
  policy: SessionPolicy,
  clock: Clock,
  random: RandomSource,
  publishRevocations: RevocationSink = async () => undefined,
): SessionManager {
  const cache = new Map<string, CacheEntry>();
  // Verified tokens → their cache entry, so a repeat request skips SHA-256 and the comparison.
  // A Map lookup by the whole token reveals nothing about the secret: the final string equality
  // runs only for a token whose hash matched, which an attacker cannot aim for without the token.
  const verified = new Map<string, CacheEntry>();
  const userCache = new Map<string, { user: User; until: number }>();
  // Stores without a session cache: tokens already proven → the secret hash they matched. A
  // lookup by the whole token reveals nothing (see `verified`); a hit still needs the stored
  // hash to be that same value, so a revoked or replaced session is never vouched for.
  const hashedTokens = new Map<string, string>();
  let lastCounter = stores.sessions.externalChangeCounter();
  const cacheEnabled = policy.cacheSize > 0 && lastCounter !== null;
  // Bumped on every eviction: a store read that started before an eviction must not put its
  // (possibly revoked) result into the cache afterwards.
  let epoch = 0;

  const forget = (sessionId: string): void => {
    const token = cache.get(sessionId)?.token;
    if (token !== undefined) verified.delete(token);
    cache.delete(sessionId);
  };
  const evict = (sessionId: string): void => {
    epoch++;
    forget(sessionId);
  };
  const invalidateCache = (): void => {
    epoch++;
    cache.clear();
    verified.clear();
    userCache.clear();
  };
  const externalCheckDue = createChangeCheckGate(policy.externalChangeCheckMs);
  const syncWithStore = (): void => {
    if (!cacheEnabled || !externalCheckDue()) return;
    const counter = stores.sessions.externalChangeCounter();
    if (counter !== lastCounter) {
      lastCounter = counter;
      invalidateCache();
    }
  };

  const isLive = (session: Session, now: number): boolean =>
    now < session.expiresAt && now < session.lastSeenAt + session.idleTimeoutMs;

  /** Access tokens of a revoked session die at every verifier through its `sid` entry. */
  const revokeTokensOf = (sessionIds: readonly string[]): Promise<void> => {
    if (sessionIds.length === 0) return Promise.resolve();
    const expiresAt = clock.now() + policy.revocationTtlMs;
    return publishRevocations(sessionIds.map((value) => ({ kind: 'sid', value, expiresAt })));
  };

  // Stores shared by many nodes (Redis, PostgreSQL) offer no change counter, so the session is
  // read on every request — that is what makes a revocation on one node instant on all. The
  // user record may still be cached briefly: every user change that can end a session
  // (password, disable, sign-out everywhere) also deletes the sessions, so a stale user can
  // never keep a session alive; it only delays a cosmetic change such as the e-mail shown.
  const findUser = async (userId: string): Promise<User | null> => {
    if (cacheEnabled) return stores.users.findUserById(userId);
    const now = clock.now();
    const hit = userCache.get(userId);
    if (hit && hit.until > now) return hit.user;
    const user = await stores.users.findUserById(userId);
    if (userCache.size >= policy.cacheSize) userCache.clear();
    if (user) userCache.set(userId, { user, until: now + USER_CACHE_MS });
    return user;
  };

  const load = async (sessionId: string): Promise<CacheEntry | null> => {
    syncWithStore();
    const cached = cache.get(sessionId);
    if (cached) return cached;
    const startEpoch = epoch;
    const session = await stores.sessions.findSession(sessionId);
    if (!session) return null;
    const user = await findUser(session.userId);
    if (!user) return null;
    const entry = { session, user };
    if (cacheEnabled && startEpoch === epoch) {
      if (cache.size >= policy.cacheSize) {
        const oldest = cache.keys().next().value;
        if (oldest !== undefined) forget(oldest);
      }
      cache.set(sessionId, entry);
    }
    return entry;
  };

  /**
   * The verdict memory alone can give on a cached entry: the validated session, null (no longer
   * valid; evicted), or undefined when a renewal write is due (the async path does it).
   */
  const checkCached = (entry: CacheEntry, now: number): ValidatedSession | null | undefined => {
    const { session, user } = entry;
    if (!isLive(session, now) || user.disabled || session.createdAt < user.sessionsValidAfter) {
      evict(session.id);
      return null;
    }
    if (now - session.lastSeenAt >= policy.touchIntervalMs) return undefined;
    // One object per entry state, not per request: callers only read it.
    let validated = entry.validated;
    if (validated === undefined || validated.session !== session) {
      validated = { session, user };
      entry.validated = validated;
    }
    return validated;
  };

  const checkAndTouch = async (entry: CacheEntry): Promise<ValidatedSession | null> => {
    const now = clock.now();
    const verdict = checkCached(entry, now);
    if (verdict !== undefined) return verdict;
    // Sliding renewal without a write per request: lastSeenAt moves at most once per touch
    // interval. The idle timeout is therefore enforced up to one interval *early*, never late.
    const { session, user } = entry;
    const touched = await stores.sessions.touchSession(session.id, now);
    if (!touched) {
      evict(session.id);
      return null;
    }
    entry.session = { ...session, lastSeenAt: now };
    return { session: entry.session, user };
  };

  /** A cached entry whose token was verified before (never a guess: the whole token must match). */
  const knownEntry = (token: string): CacheEntry | undefined => {
    const known = verified.get(token);
    return known !== undefined && cache.get(known.session.id) === known ? known : undefined;
  };

  return {
    async createSession(userId, carrier, origin) {
      const now = clock.now();
      const { sessionId, secret, token } = generateSessionToken(random, userId);
      const lifetime = policy.lifetimes[carrier];
      const record = {
        id: sessionId,
        userId,
        carrier,
        secretHash: sha256Base64Url(secret),
        createdAt: now,
        expiresAt: now + lifetime.absoluteLifetimeMs,
        idleTimeoutMs: lifetime.idleTimeoutMs,
        ip: origin.ip,
        userAgent: origin.userAgent,
      };
      await stores.sessions.createSession(record);
      const session: Session = { ...record, lastSeenAt: now, authenticatedAt: now, refreshGeneration: 0, refreshRotatedAt: now };
      return { session, token };
    },

    validateSessionTokenNow(token) {
      syncWithStore();
      const known = knownEntry(token);
      return known === undefined ? undefined : checkCached(known, clock.now());
    },

    validateSessionIdNow(sessionId) {
      syncWithStore();
      const cached = cache.get(sessionId);
      return cached === undefined ? undefined : checkCached(cached, clock.now());
    },

    async validateSessionToken(token) {
      syncWithStore();
      const known = knownEntry(token);
      if (known !== undefined) return checkAndTouch(known);
      const parts = parseSessionToken(token);
      if (!parts) return null;
      const entry = await load(parts.sessionId);
      if (!entry) return null;
      // Compare the secret's hash, not the secret: the store never holds a usable token, and
      // the constant-time comparison reveals nothing about how much of a guess matched. A token
      // already proven against this very hash skips the work (stores without a session cache
      // read the session every time, and re-hashing the same token each time proves nothing new).
      const secretHash = entry.session.secretHash;
      const proven = hashedTokens.get(token);
      if (proven === undefined || proven !== secretHash) {
        if (!constantTimeEqual(sha256Base64Url(parts.secret), secretHash)) return null;
        if (hashedTokens.size >= policy.cacheSize) hashedTokens.clear();
        if (!cacheEnabled && policy.cacheSize > 0) hashedTokens.set(token, secretHash);
      }
      if (cache.get(parts.sessionId) === entry && entry.token === undefined) {
        entry.token = token;
        verified.set(token, entry);
      }
      return checkAndTouch(entry);
    },

    async validateSessionId(sessionId) {
      const entry = await load(sessionId);
      return entry ? checkAndTouch(entry) : null;
    },

    async listUserSessions(userId) {
      const now = clock.now();
      const user = await stores.users.findUserById(userId);
      const sessions = await stores.sessions.listUserSessions(userId);
      return sessions
        .filter((s) => isLive(s, now) && (!user || s.createdAt >= user.sessionsValidAfter))
        .sort((a, b) => b.createdAt - a.createdAt || (a.id < b.id ? -1 : 1));
    },

    async revokeSession(sessionId) {
      evict(sessionId);
      const deleted = await stores.sessions.deleteSession(sessionId);
      if (deleted) await revokeTokensOf([sessionId]);
      return deleted;
    },

    async revokeUserSession(userId, sessionId) {
      evict(sessionId);
      const deleted = await stores.sessions.deleteUserSession(userId, sessionId);
      if (deleted) await revokeTokensOf([sessionId]);
      return deleted;
    },

    async revokeUserSessions(userId, exceptId) {
      const ids = await stores.sessions.deleteUserSessions(userId, exceptId);
      for (const id of ids) evict(id);
      await revokeTokensOf(ids);
      return ids;
    },

    async revokeUser(userId) {
      // Whole seconds: token `iat` is in seconds, and a token issued in this very second for
      // the caller's fresh session (password change) must not be caught by its own not-before.
      const notBefore = Math.floor(clock.now() / 1000) * 1000;
      await stores.users.setSessionsValidAfter(userId, notBefore);
      const ids = await stores.sessions.deleteUserSessions(userId);
      invalidateCache();
      await publishRevocations([{ kind: 'sub', value: userId, notBefore, expiresAt: clock.now() + policy.revocationTtlMs }]);
      await revokeTokensOf(ids);
      return ids;
    },

    async markReauthenticated(sessionId) {
      evict(sessionId);
      return stores.sessions.setAuthenticatedAt(sessionId, clock.now());
    },

    invalidateCache,

    sweepExpiredSessions: () => stores.sessions.deleteExpiredSessions(clock.now()),

    isLive,

    idleExpiresAt: (session) => Math.min(session.expiresAt, session.lastSeenAt + session.idleTimeoutMs),
  };
}
