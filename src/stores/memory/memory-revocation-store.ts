import type { Revocation } from '../../core/model.js';
import type { RevocationStore } from '../types.js';
import type { MemoryLifecycle } from './memory-lifecycle.js';

/** Creates the in-memory `RevocationStore`, keyed by kind + value. */
export function createMemoryRevocationStore(lifecycle: MemoryLifecycle): RevocationStore {
  const entries = new Map<string, Revocation>();
  // NUL cannot occur in a kind, so the composite key is unambiguous.
  const keyOf = (entry: Revocation): string => `${entry.kind}\u0000${entry.value}`;

  return {
    async addRevocation(entry: Revocation): Promise<void> {
      lifecycle.assertOpen();
      const key = keyOf(entry);
      const old = entries.get(key);
      // Only ever widen an entry: shortening it would resurrect revoked tokens.
      const expiresAt = Math.max(old?.expiresAt ?? entry.expiresAt, entry.expiresAt);
      if (entry.kind === 'sub') {
        const oldNotBefore = old?.kind === 'sub' ? old.notBefore : entry.notBefore;
        entries.set(key, {
          kind: 'sub',
          value: entry.value,
          notBefore: Math.max(oldNotBefore, entry.notBefore),
          expiresAt,
        });
      } else {
        entries.set(key, { kind: entry.kind, value: entry.value, expiresAt });
      }
    },
    async listRevocations(now: number): Promise<Revocation[]> {
      lifecycle.assertOpen();
      return [...entries.values()].filter((entry) => entry.expiresAt > now);
    },
    async deleteExpiredRevocations(now: number): Promise<number> {
      lifecycle.assertOpen();
      let deleted = 0;
      for (const [key, entry] of entries) {
        if (entry.expiresAt <= now) {
          entries.delete(key);
          deleted += 1;
        }
      }
      return deleted;
    },
  };
}
