import type { Stores } from '../types.js';
import { createMemoryLifecycle } from './memory-lifecycle.js';
import { createMemoryRateLimitStore } from './memory-rate-limit-store.js';
import { createMemoryRevocationStore } from './memory-revocation-store.js';
import { createMemorySessionStore } from './memory-session-store.js';
import { createMemorySigningKeyStore } from './memory-signing-key-store.js';
import { createMemoryUserStore } from './memory-user-store.js';

/**
 * Creates a fresh set of in-memory stores (for tests and single-process demos; nothing
 * survives the process). Closing makes every later call fail with `StoreUnavailableError`.
 */
export function createMemoryStores(): Stores {
  const lifecycle = createMemoryLifecycle();
  return {
    users: createMemoryUserStore(lifecycle),
    sessions: createMemorySessionStore(lifecycle),
    revocations: createMemoryRevocationStore(lifecycle),
    rateLimits: createMemoryRateLimitStore(lifecycle),
    keys: createMemorySigningKeyStore(lifecycle),
    async ping(): Promise<void> {
      lifecycle.assertOpen();
    },
    async close(): Promise<void> {
      lifecycle.close();
    },
  };
}
