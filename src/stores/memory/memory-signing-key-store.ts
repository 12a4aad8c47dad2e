import type { SigningKeyStore, StoredSigningKey } from '../types.js';
import type { MemoryLifecycle } from './memory-lifecycle.js';

/**
 * Creates the in-memory `SigningKeyStore`, keyed by kid. The synchronous bodies make the
 * check-then-insert atomic, so concurrent inserts for one `activatesAt` have exactly one winner.
 */
export function createMemorySigningKeyStore(lifecycle: MemoryLifecycle): SigningKeyStore {
  const byKid = new Map<string, StoredSigningKey>();

  return {
    async listSigningKeys(): Promise<StoredSigningKey[]> {
      lifecycle.assertOpen();
      return [...byKid.values()];
    },
    async insertSigningKey(key: StoredSigningKey): Promise<boolean> {
      lifecycle.assertOpen();
      if (byKid.has(key.kid)) return false;
      for (const existing of byKid.values()) {
        if (existing.activatesAt === key.activatesAt) return false;
      }
      // A copy: the caller's object may be a wider type or change later; ours never does.
      byKid.set(key.kid, {
        kid: key.kid,
        alg: key.alg,
        publicJwk: key.publicJwk,
        privateJwk: key.privateJwk,
        createdAt: key.createdAt,
        activatesAt: key.activatesAt,
      });
      return true;
    },
    async deleteSigningKey(kid: string): Promise<boolean> {
      lifecycle.assertOpen();
      return byKid.delete(kid);
    },
  };
}
