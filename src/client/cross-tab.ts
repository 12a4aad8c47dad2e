import type { StorageLike } from './dom-types.js';
import type { SignOutReason } from './types.js';

/**
 * What the tabs of one origin share. Storage holds only what must survive a reload or be read
 * by a tab that has not heard any message yet: the bearer refresh token and the CSRF token. The
 * access token is never written anywhere: it lives in memory and travels to other tabs in
 * BroadcastChannel messages, which stay inside the browser and vanish with the last tab.
 */

/** What tabs share through storage. */
export interface SharedCredentials {
  /** Bearer: the current refresh token (rotated on every refresh). */
  readonly refreshToken?: string;
  /** Cookie and hybrid: the session's CSRF token (not a credential on its own: see docs/client.md). */
  readonly csrfToken?: string;
  /**
   * Bearer and hybrid: when the newest access token expires. A tab that waited for the refresh
   * lock sees it change when another tab refreshed meanwhile.
   */
  readonly expiresAt?: number;
}

/** Reads and writes the shared credentials. */
export interface Vault {
  read(): SharedCredentials;
  write(value: SharedCredentials): void;
  clear(): void;
}

/** A vault over `storage` under `key`; without storage (or when it throws) it is this tab's memory. */
export function createVault(storage: StorageLike | null, key: string): Vault {
  let memory: SharedCredentials = {};
  return {
    read() {
      if (!storage) return memory;
      try {
        const parsed: unknown = JSON.parse(storage.getItem(key) ?? '{}');
        if (typeof parsed !== 'object' || parsed === null) return {};
        const { refreshToken, csrfToken, expiresAt } = parsed as Record<string, unknown>;
        return {
          ...(typeof refreshToken === 'string' ? { refreshToken } : {}),
          ...(typeof csrfToken === 'string' ? { csrfToken } : {}),
          ...(typeof expiresAt === 'number' ? { expiresAt } : {}),
        };
      } catch {
        return memory;
      }
    },
    write(value) {
      memory = value;
      try {
        storage?.setItem(key, JSON.stringify(value));
      } catch {
        // Storage full or blocked (private mode, sandboxed frame): this tab keeps its memory copy.
      }
    },
    clear() {
      memory = {};
      try {
        storage?.removeItem(key);
      } catch {
        // As above: nothing shared to clear.
      }
    },
  };
}

/** A message between tabs of one client family (same `storageKey`). */
export type TabMessage =
  | {
      readonly type: 'signed-in' | 'refreshed';
      readonly key: string;
      /** Bearer only; hybrid and cookie tabs share their tokens through the browser's cookie jar. */
      readonly accessToken: string | null;
      readonly expiresAt: number;
      readonly sessionId: string | null;
    }
  | { readonly type: 'signed-out'; readonly key: string; readonly reason: SignOutReason };

const REASONS: readonly SignOutReason[] = ['logout', 'logout-all', 'revoked', 'expired'];

/** Validates a received message; anything malformed or for another client family is null. */
export function parseTabMessage(data: unknown, key: string): TabMessage | null {
  if (typeof data !== 'object' || data === null) return null;
  const message = data as Record<string, unknown>;
  if (message.key !== key) return null;
  if (message.type === 'signed-out') {
    return REASONS.includes(message.reason as SignOutReason) ? { type: 'signed-out', key, reason: message.reason as SignOutReason } : null;
  }
  if (message.type !== 'signed-in' && message.type !== 'refreshed') return null;
  if (typeof message.expiresAt !== 'number') return null;
  const { accessToken, sessionId } = message;
  if (accessToken !== null && typeof accessToken !== 'string') return null;
  if (sessionId !== null && typeof sessionId !== 'string') return null;
  return { type: message.type, key, accessToken, expiresAt: message.expiresAt, sessionId };
}
