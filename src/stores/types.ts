import type { Carrier, Revocation, Session, User } from '../core/model.js';

/**
 * The store interfaces: small, domain-shaped, every operation atomic on its own. Every
 * implementation runs the conformance suite in `conformance.ts`. Expected misses return null
 * or false; a store that cannot be reached throws `StoreUnavailableError`.
 */

/** Input for a new user; the store assigns nothing, the core decides ids and times. */
export interface NewUser {
  readonly id: string;
  readonly email: string;
  readonly passwordHash: string;
  readonly createdAt: number;
}

/** Users live in a SQL store (SQLite or PostgreSQL). */
export interface UserStore {
  /** Inserts the user; returns false (and changes nothing) when the e-mail is taken. */
  createUser(user: NewUser): Promise<boolean>;
  findUserById(id: string): Promise<User | null>;
  findUserByEmail(email: string): Promise<User | null>;
  /** Replaces the password hash only if it still equals `expectedHash` (compare-and-set). */
  updatePasswordHash(id: string, expectedHash: string, newHash: string, now: number): Promise<boolean>;
  /** Sets the instant before which the user's sessions and tokens are invalid. */
  setSessionsValidAfter(id: string, instant: number): Promise<void>;
  setDisabled(id: string, disabled: boolean, now: number): Promise<boolean>;
  /** Users in creation order, for the CLI. */
  listUsers(limit: number, offset: number): Promise<User[]>;
}

/** Input for a new session. */
export interface NewSession {
  readonly id: string;
  readonly userId: string;
  readonly carrier: Carrier;
  readonly secretHash: string;
  readonly createdAt: number;
  readonly expiresAt: number;
  /**
   * A session unused this long ends (per carrier: cookie minutes, token carriers days).
   * A positive integer; stores reject anything else with RangeError (it could never expire).
   */
  readonly idleTimeoutMs: number;
  readonly ip: string | null;
  readonly userAgent: string | null;
}

/** Sessions live in SQLite, PostgreSQL or Redis. */
export interface SessionStore {
  createSession(session: NewSession): Promise<void>;
  findSession(id: string): Promise<Session | null>;
  /** Moves `lastSeenAt` forward (never backwards); false when the session is gone. */
  touchSession(id: string, lastSeenAt: number): Promise<boolean>;
  /** Records a fresh password proof for re-authentication. */
  setAuthenticatedAt(id: string, authenticatedAt: number): Promise<boolean>;
  /** Deletes one session; false when it did not exist. */
  deleteSession(id: string): Promise<boolean>;
  /** Deletes one session only if it belongs to `userId` (so users cannot delete others'). */
  deleteUserSession(userId: string, id: string): Promise<boolean>;
  /** Deletes all of a user's sessions except `exceptId`; returns the deleted ids. */
  deleteUserSessions(userId: string, exceptId?: string): Promise<string[]>;
  /** The user's sessions (including expired ones not swept yet; the core filters). */
  listUserSessions(userId: string): Promise<Session[]>;
  /**
   * Removes sessions whose absolute or idle expiry has passed — `expiresAt <= now` or
   * `lastSeenAt + idleTimeoutMs <= now`, each session judged by its own idle timeout — and
   * returns how many.
   */
  deleteExpiredSessions(now: number): Promise<number>;
  /**
   * Advances the refresh generation from `expectedGeneration` to `expectedGeneration + 1` in
   * one compare-and-set; false when another rotation won or the session is gone.
   */
  rotateRefresh(id: string, expectedGeneration: number, rotatedAt: number): Promise<boolean>;
  /**
   * A synchronous, cheap counter that changes whenever session or user data may have been
   * changed by another process (another node, the CLI). Callers that cache validated sessions
   * drop their cache when it changes. Stores that cannot tell return `null`: no caching then.
   */
  externalChangeCounter(): number | null;
}

/** Revocation-set entries; the verifiers' in-memory set is fed from here (DESIGN §2). */
export interface RevocationStore {
  /** Adds (or extends) an entry; an entry is keyed by kind + value. */
  addRevocation(entry: Revocation): Promise<void>;
  /** Entries still in force at `now`. */
  listRevocations(now: number): Promise<Revocation[]>;
  deleteExpiredRevocations(now: number): Promise<number>;
}

/** The outcome of counting one attempt in a fixed window. */
export interface RateLimitHit {
  /** Attempts in the current window, this one included. */
  readonly count: number;
  /** When the current window ends. */
  readonly resetAt: number;
}

/** Rate-limit counters; `hit` is an atomic increment-and-read. */
export interface RateLimitStore {
  hit(key: string, windowMs: number, now: number): Promise<RateLimitHit>;
  /** Forgets a key (after a successful login resets the per-account counter). */
  resetKey(key: string): Promise<void>;
  deleteExpiredCounters(now: number): Promise<number>;
}

/** The set of stores one Tessera instance uses. */
export interface Stores {
  readonly users: UserStore;
  readonly sessions: SessionStore;
  readonly revocations: RevocationStore;
  readonly rateLimits: RateLimitStore;
  readonly keys: SigningKeyStore;
  /**
   * Cross-node push of revocations (Redis pub/sub, PostgreSQL LISTEN/NOTIFY). Absent for
   * single-node stores (memory, SQLite: other processes are seen through the change counter).
   */
  readonly bus?: RevocationBus;
  /** Cheap reachability check for `/readyz`; throws when unreachable. */
  ping(): Promise<void>;
  /** Closes connections; idempotent. */
  close(): Promise<void>;
}

/** Everything but the users: what a session-store URL (`redis://`, `postgres://`) provides. */
export type SessionSideStores = Omit<Stores, 'users'>;

/** Delivers revocations to every node sharing the store. */
export interface RevocationBus {
  /** Publishes an entry (already persisted) to every subscriber on every node, this one included. */
  publish(entry: Revocation): Promise<void>;
  /** Calls `listener` for every published entry; returns the unsubscribe function. */
  subscribe(listener: (entry: Revocation) => void): () => void;
  /** Called with true/false when the bus connection is (re)established or lost. */
  onStatus?(listener: (connected: boolean) => void): () => void;
}

/** A signing key as stored: the private JWK possibly encrypted (`enc:v1:…`). Stores keep every field verbatim. */
export interface StoredSigningKey {
  /** Unique key id (the JWS `kid`). */
  readonly kid: string;
  readonly alg: 'ES256' | 'RS256' | 'EdDSA';
  /** Public JWK as JSON text. */
  readonly publicJwk: string;
  /** Private JWK as JSON text, or `enc:v1:` + AES-256-GCM ciphertext when encryption is on. */
  readonly privateJwk: string;
  readonly createdAt: number;
  /** When this key starts signing (it is published in the JWKS from creation on). Unique. */
  readonly activatesAt: number;
}

/**
 * The key ring's persistence. Two nodes never both create a key for one activation instant:
 * `activatesAt` is unique, and the losing insert simply reports false.
 */
export interface SigningKeyStore {
  /** Every stored key, in no particular order. */
  listSigningKeys(): Promise<StoredSigningKey[]>;
  /**
   * Inserts a key atomically; false (nothing written) when a key with the same `activatesAt`
   * or the same `kid` exists. Of concurrent inserts for one `activatesAt` exactly one wins.
   */
  insertSigningKey(key: StoredSigningKey): Promise<boolean>;
  /** Removes a key (expired, or withdrawn in an emergency); false when absent. */
  deleteSigningKey(kid: string): Promise<boolean>;
}
