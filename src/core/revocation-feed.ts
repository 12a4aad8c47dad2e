import type { Revocation } from './model.js';

/**
 * The push feed of revocations (DESIGN §2): every revocation is written to the store and then
 * published here. In-process verifiers and the SSE endpoint subscribe; the scale-out stores
 * bridge it across nodes (Redis pub/sub, PostgreSQL LISTEN/NOTIFY).
 */
export interface RevocationFeed {
  publish(entry: Revocation): void;
  /** Calls `listener` for every later entry; returns the unsubscribe function. */
  subscribe(listener: (entry: Revocation) => void): () => void;
}

/** An in-process feed. Listeners that throw are isolated from each other. */
export function createRevocationFeed(): RevocationFeed {
  const listeners = new Set<(entry: Revocation) => void>();
  return {
    publish(entry) {
      for (const listener of listeners) {
        try {
          listener(entry);
        } catch {
          // One broken subscriber (a closed SSE socket) must not stop revocation reaching the others.
        }
      }
    },
    subscribe(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
  };
}
