import type { BroadcastChannelLike, FetchLike, LockManagerLike, RequestInitLike, ResponseLike, StorageLike } from './dom-types.js';

/**
 * The client's public types: options, the JSON shapes of the Tessera API (DESIGN §4) and the
 * events a client emits.
 */

/** How the client proves it holds a session (DESIGN §1). */
export type Carrier = 'cookie' | 'bearer' | 'hybrid';

/** Options of `createTesseraClient`. */
export interface TesseraClientOptions {
  /** Where Tessera is, e.g. `https://auth.example.com`; default `''` (same origin). Cookie and hybrid need the same origin. */
  readonly baseUrl?: string;
  readonly carrier: Carrier;
  /** The `fetch` to use (default: the global one). */
  readonly fetch?: FetchLike;
  /**
   * Storage key of what tabs share (bearer: the refresh token; cookie and hybrid: the CSRF token),
   * also the name that keeps two clients on one origin apart. Default `tessera`.
   */
  readonly storageKey?: string;
  /** Refresh when the access token has fewer seconds than this left. Default 30. */
  readonly refreshSkewSeconds?: number;
  /**
   * Where tabs share credentials (default `localStorage`; `null` keeps them in this tab's memory).
   * For bearer this holds the refresh token, readable by any script on the origin: see docs/client.md.
   */
  readonly storage?: StorageLike | null;
  /** Origins (besides `baseUrl`'s and relative URLs) that `client.fetch` may send credentials to. */
  readonly credentialOrigins?: readonly string[];
  /** Web Locks (default `navigator.locks`; `null` serialises refreshes within this tab only). */
  readonly locks?: LockManagerLike | null;
  /** The cross-tab channel (default `new BroadcastChannel('tessera')`; `null` for none). */
  readonly channel?: BroadcastChannelLike | null;
  /** Milliseconds since the epoch (tests freeze time). */
  readonly now?: () => number;
}

/** A user as the API shows it. */
export interface User {
  readonly id: string;
  readonly email: string;
  readonly createdAt: string;
}

/** The current session as the API shows it (ISO-8601 times). */
export interface SessionInfo {
  readonly id: string;
  readonly carrier: Carrier;
  readonly createdAt: string;
  readonly lastSeenAt: string;
  readonly expiresAt: string;
  readonly idleExpiresAt: string;
}

/** One row of the device list (`GET /auth/sessions`). */
export interface DeviceSession {
  readonly id: string;
  readonly carrier: Carrier;
  readonly createdAt: string;
  readonly lastSeenAt: string;
  readonly ip: string | null;
  readonly userAgent: string | null;
  readonly device: string;
  readonly current: boolean;
}

/** Who is signed in. */
export interface SignedIn {
  readonly user: User;
  readonly session: SessionInfo;
}

/** Why a client ended up signed out. */
export type SignOutReason = 'logout' | 'logout-all' | 'revoked' | 'expired';

/** The events of a client and what their listeners receive. */
export interface ClientEvents {
  /** A sign-in (or password change) here or in another tab. */
  'signed-in': { readonly fromOtherTab: boolean };
  /** Fresh tokens, from this tab's refresh or another tab's. */
  refreshed: { readonly expiresAt: number; readonly fromOtherTab: boolean };
  /** The session is gone: sign-out here or in another tab, revocation, or a failed refresh. */
  'signed-out': { readonly reason: SignOutReason; readonly fromOtherTab: boolean };
}

/** A Tessera client. */
export interface TesseraClient {
  readonly carrier: Carrier;
  /** Creates an account (does not sign in). */
  register(email: string, password: string): Promise<User>;
  /** Signs in with this client's carrier. */
  login(email: string, password: string): Promise<SignedIn>;
  /** Ends this session; every tab of this client is signed out, even if the server cannot be reached. */
  logout(): Promise<void>;
  /** Ends every session of the user, on every device. */
  logoutEverywhere(): Promise<void>;
  /** Who am I, or null when signed out. */
  session(): Promise<SignedIn | null>;
  /** The user's sessions ("your devices"). */
  sessions(): Promise<DeviceSession[]>;
  /** Ends one session; another device's needs a recent `reauthenticate` (error `reauthentication_required`). */
  revokeSession(id: string): Promise<void>;
  /** Proves the password again (needed before revoking another device). */
  reauthenticate(password: string): Promise<void>;
  /** Changes the password: every session ends, this one is replaced by a fresh one. */
  changePassword(currentPassword: string, newPassword: string): Promise<SignedIn>;
  /** `fetch` with this client's credentials, CSRF header, proactive refresh and one retry on 401. */
  fetch(input: string | { readonly href: string }, init?: RequestInitLike): Promise<ResponseLike>;
  /** Refreshes the access token now (single-flight across tabs); false when the session is gone. */
  refresh(): Promise<boolean>;
  /** Subscribes to an event; returns the unsubscribe function. */
  on<E extends keyof ClientEvents>(event: E, listener: (detail: ClientEvents[E]) => void): () => void;
  /** Stops listening to other tabs. */
  close(): void;
}
