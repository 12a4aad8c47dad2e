import type { Carrier, Revocation, Session, User } from '../core/model.js';
import type { StoredSigningKey } from './types.js';

/**
 * Row types of the SQL stores (SQLite and PostgreSQL share one schema shape), snake_case and
 * kept apart from the domain types so a column rename never leaks past the stores. SQLite gives
 * booleans as 0/1, pg as booleans; pg's BIGINTs are parsed to numbers by the pool's type parser.
 * The mappers are tiny and allocation-light because `toSession` is on every cookie request.
 */

/** A row of `users`. */
export interface UserRow {
  readonly id: string;
  readonly email: string;
  readonly password_hash: string;
  readonly disabled: boolean | 0 | 1;
  readonly created_at: number;
  readonly updated_at: number;
  readonly sessions_valid_after: number;
}

/** A row of `sessions`; `carrier` is guaranteed by a CHECK constraint. */
export interface SessionRow {
  readonly id: string;
  readonly user_id: string;
  readonly carrier: Carrier;
  readonly secret_hash: string;
  readonly created_at: number;
  readonly last_seen_at: number;
  readonly authenticated_at: number;
  readonly expires_at: number;
  readonly idle_timeout_ms: number;
  readonly ip: string | null;
  readonly user_agent: string | null;
  readonly refresh_generation: number;
  readonly refresh_rotated_at: number;
}

/** A row of `revocations`; `not_before` is non-null exactly when `kind` is 'sub' (CHECK). */
export interface RevocationRow {
  readonly kind: Revocation['kind'];
  readonly value: string;
  readonly not_before: number | null;
  readonly expires_at: number;
}

/** A row of `signing_keys`; `alg` is only ever written by Tessera from the typed union. */
export interface SigningKeyRow {
  readonly kid: string;
  readonly alg: StoredSigningKey['alg'];
  readonly public_jwk: string;
  readonly private_jwk: string;
  readonly created_at: number;
  readonly activates_at: number;
}

/** What the rate-limit upsert returns. */
export interface RateLimitRow {
  readonly count: number;
  readonly reset_at: number;
}

/** Column lists shared by the SELECTs, so every query returns the full row shape above. */
export const USER_COLUMNS =
  'id, email, password_hash, disabled, created_at, updated_at, sessions_valid_after';
/** See `USER_COLUMNS`. */
export const SESSION_COLUMNS =
  'id, user_id, carrier, secret_hash, created_at, last_seen_at, authenticated_at, expires_at, ' +
  'idle_timeout_ms, ip, user_agent, refresh_generation, refresh_rotated_at';
/** See `USER_COLUMNS`. */
export const SIGNING_KEY_COLUMNS = 'kid, alg, public_jwk, private_jwk, created_at, activates_at';

/** Maps a `users` row to a `User`. */
export function toUser(row: UserRow): User {
  return {
    id: row.id,
    email: row.email,
    passwordHash: row.password_hash,
    disabled: row.disabled === true || row.disabled === 1,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
    sessionsValidAfter: row.sessions_valid_after,
  };
}

/** Maps a `sessions` row to a `Session`. */
export function toSession(row: SessionRow): Session {
  return {
    id: row.id,
    userId: row.user_id,
    carrier: row.carrier,
    secretHash: row.secret_hash,
    createdAt: row.created_at,
    lastSeenAt: row.last_seen_at,
    authenticatedAt: row.authenticated_at,
    expiresAt: row.expires_at,
    idleTimeoutMs: row.idle_timeout_ms,
    ip: row.ip,
    userAgent: row.user_agent,
    refreshGeneration: row.refresh_generation,
    refreshRotatedAt: row.refresh_rotated_at,
  };
}

/** Maps a `revocations` row to a `Revocation` (no `notBefore` key on sid/jti entries). */
export function toRevocation(row: RevocationRow): Revocation {
  if (row.kind === 'sub') {
    // The CHECK constraint makes a null impossible; 0 keeps the type honest without a cast.
    return { kind: 'sub', value: row.value, notBefore: row.not_before ?? 0, expiresAt: row.expires_at };
  }
  return { kind: row.kind, value: row.value, expiresAt: row.expires_at };
}

/** Maps a `signing_keys` row to a `StoredSigningKey`. */
export function toSigningKey(row: SigningKeyRow): StoredSigningKey {
  return {
    kid: row.kid,
    alg: row.alg,
    publicJwk: row.public_jwk,
    privateJwk: row.private_jwk,
    createdAt: row.created_at,
    activatesAt: row.activates_at,
  };
}
