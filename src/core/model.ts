/**
 * Domain types shared by every layer. Times are milliseconds since the epoch; ids are
 * base64url strings. Row types of concrete stores (snake_case) are kept in the stores.
 */

/** How a client proves it holds a session (DESIGN §1). */
export type Carrier = 'cookie' | 'bearer' | 'hybrid';

/** The carriers, in a stable order, for validation and docs. */
export const CARRIERS: readonly Carrier[] = ['cookie', 'bearer', 'hybrid'];

/** A user account. The password hash never leaves the core. */
export interface User {
  readonly id: string;
  /** Normalised (trimmed, NFC, lower-cased domain and local part). */
  readonly email: string;
  readonly passwordHash: string;
  readonly disabled: boolean;
  readonly createdAt: number;
  readonly updatedAt: number;
  /** Sessions created before this instant are invalid (password change, sign out everywhere). */
  readonly sessionsValidAfter: number;
}

/** What the API shows of a user. */
export interface PublicUser {
  readonly id: string;
  readonly email: string;
  readonly createdAt: string;
}

/**
 * One sign-in on one device: the unit of listing, expiry and revocation whatever the carrier.
 * `secretHash` is SHA-256 of the session secret; the raw secret is only ever in the client's
 * cookie. Refresh-token fields are used by the token carriers.
 */
export interface Session {
  readonly id: string;
  readonly userId: string;
  readonly carrier: Carrier;
  readonly secretHash: string;
  readonly createdAt: number;
  /** Last time the session was used, at the granularity of the touch interval. */
  readonly lastSeenAt: number;
  /** When the user last proved their password in this session (for re-authentication). */
  readonly authenticatedAt: number;
  /** Absolute end of life, whatever the activity. */
  readonly expiresAt: number;
  /** A session unused this long ends (per carrier). */
  readonly idleTimeoutMs: number;
  readonly ip: string | null;
  readonly userAgent: string | null;
  /** Refresh-token generation (token carriers); 0 for cookie sessions. */
  readonly refreshGeneration: number;
  /** When the current refresh generation was issued (grace window for concurrent refreshes). */
  readonly refreshRotatedAt: number;
}

/** A revocation-set entry (DESIGN §2): a session, every token of a user before an instant, or one token. */
export type Revocation =
  | { readonly kind: 'sid'; readonly value: string; readonly expiresAt: number }
  | { readonly kind: 'jti'; readonly value: string; readonly expiresAt: number }
  | {
      readonly kind: 'sub';
      readonly value: string;
      /** Tokens issued before this instant are revoked. */
      readonly notBefore: number;
      readonly expiresAt: number;
    };
