import type { Clock } from '../../core/clock.js';
import type { RateLimitHit, RateLimitStore } from '../types.js';
import { assertWindow } from '../validation.js';
import type { RedisConnection } from './redis-connection.js';
import type { RedisKeyLayout } from './redis-keys.js';

/**
 * Creates the Redis `RateLimitStore`: one key per counter, `P{rl:<key>}` → `count:resetAt`,
 * incremented by one script. The stored resetAt decides when a window ends (the caller's `now`
 * against it, exactly as in SQL); the key's TTL, set to end at resetAt by `clock`, only
 * collects the garbage.
 */
export function createRedisRateLimitStore(connection: RedisConnection, keys: RedisKeyLayout, clock: Clock): RateLimitStore {
  const hit = connection.script('tesseraRateLimitHit');
  const sweep = connection.script('tesseraRateLimitSweep');

  return {
    async hit(key: string, windowMs: number, now: number): Promise<RateLimitHit> {
      assertWindow(windowMs);
      const reply = await hit(keys.rateLimit(key), windowMs, now, clock.now());
      if (!Array.isArray(reply) || typeof reply[0] !== 'number' || typeof reply[1] !== 'number') {
        throw new Error('Unexpected reply from a Redis script.');
      }
      return { count: reply[0], resetAt: reply[1] };
    },
    async resetKey(key: string): Promise<void> {
      await connection.run((c) => c.del(keys.rateLimit(key)));
    },
    /**
     * Counters expire by TTL at their resetAt (by this node's clock), so a sweep for an instant
     * the clock has reached finds nothing left to delete: it returns 0 without scanning. A sweep
     * for a later instant (tests with a fixed clock, a caller sweeping ahead) SCANs the counters
     * and deletes those whose window ended by then, returning how many.
     */
    async deleteExpiredCounters(now: number): Promise<number> {
      if (now <= clock.now()) return connection.run(async () => 0);
      let deleted = 0;
      await connection.scan(keys.rateLimitPattern, async (found) => {
        const counters = found.filter((key) => keys.isRateLimitKey(key));
        const results = await Promise.all(counters.map((key) => sweep(key, now)));
        for (const result of results) if (result === 1) deleted += 1;
      });
      return deleted;
    },
  };
}
