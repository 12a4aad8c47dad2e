import type { RateLimitHit, RateLimitStore } from '../types.js';
import { assertWindow } from '../validation.js';
import type { MemoryLifecycle } from './memory-lifecycle.js';

/** Creates the in-memory fixed-window `RateLimitStore`. */
export function createMemoryRateLimitStore(lifecycle: MemoryLifecycle): RateLimitStore {
  const counters = new Map<string, RateLimitHit>();

  return {
    async hit(key: string, windowMs: number, now: number): Promise<RateLimitHit> {
      lifecycle.assertOpen();
      assertWindow(windowMs);
      const current = counters.get(key);
      // A window ends at resetAt exactly: a hit at that instant starts a new window.
      const next: RateLimitHit =
        current === undefined || current.resetAt <= now
          ? { count: 1, resetAt: now + windowMs }
          : { count: current.count + 1, resetAt: current.resetAt };
      counters.set(key, next);
      return next;
    },
    async resetKey(key: string): Promise<void> {
      lifecycle.assertOpen();
      counters.delete(key);
    },
    async deleteExpiredCounters(now: number): Promise<number> {
      lifecycle.assertOpen();
      let deleted = 0;
      for (const [key, counter] of counters) {
        if (counter.resetAt <= now) {
          counters.delete(key);
          deleted += 1;
        }
      }
      return deleted;
    },
  };
}
