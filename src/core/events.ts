import type { Carrier } from './model.js';

/**
 * Auth events: one per security-relevant outcome. The server turns them into one structured
 * log line each and into metrics; they carry ids, never secrets.
 */
export type AuthEvent =
  | { type: 'register'; userId: string }
  | { type: 'login'; userId: string; sessionId: string; carrier: Carrier; ip: string | null }
  | { type: 'login_failed'; reason: 'invalid_credentials' | 'account_disabled' | 'rate_limited'; ip: string | null }
  | { type: 'logout'; userId: string; sessionId: string }
  | { type: 'logout_all'; userId: string; count: number }
  | { type: 'session_revoked'; userId: string; sessionId: string; by: 'user' | 'admin' }
  | { type: 'sessions_swept'; count: number }
  | { type: 'password_changed'; userId: string; sessionId: string }
  | { type: 'password_rehashed'; userId: string }
  | { type: 'reauthenticated'; userId: string; sessionId: string }
  | { type: 'user_disabled'; userId: string; disabled: boolean }
  | { type: 'refresh'; userId: string; sessionId: string; generation: number }
  | { type: 'refresh_reused'; userId: string; sessionId: string; generation: number }
  | { type: 'token_revoked'; userId: string | null; sessionId: string | null; jti: string | null }
  | { type: 'key_created'; kid: string; activatesAt: number };

/** Receives auth events. Must not throw and must not block. */
export type AuthEventSink = (event: AuthEvent) => void;

/** A sink that drops everything (library use without logging). */
export const ignoreEvents: AuthEventSink = () => undefined;
