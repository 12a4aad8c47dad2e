import type { Clock } from './clock.js';
import type { RateLimitRule } from './config.js';
import { RateLimitedError } from './errors.js';
import type { RateLimitStore } from '../stores/types.js';

/**
 * Fixed-window counters in the store (so every node shares them). Each attempt counts,
 * successful or not; a caller over the limit gets 429 with `Retry-After` until the window ends.
 */
export interface RateLimiter {
  /** Counts one attempt under `key`; throws RateLimitedError when over `rule.limit`. */
  consume(key: string, rule: RateLimitRule): Promise<void>;
  reset(key: string): Promise<void>;
}

/** Creates a rate limiter over a counter store. */
export function createRateLimiter(store: RateLimitStore, clock: Clock): RateLimiter {
  return {
    async consume(key, rule) {
      const now = clock.now();
      const { count, resetAt } = await store.hit(key, rule.windowMs, now);
      if (count > rule.limit) throw new RateLimitedError((resetAt - now) / 1000);
    },
    reset: (key) => store.resetKey(key),
  };
}
