import type BetterSqlite3 from 'better-sqlite3';
import type { RateLimitHit, RateLimitStore } from '../types.js';
import { assertWindow } from '../validation.js';
import type { RateLimitRow } from './rows.js';
import type { Guard } from './sqlite-errors.js';

/** Creates the SQLite `RateLimitStore`; every statement is prepared here, once. */
export function createSqliteRateLimitStore(db: BetterSqlite3.Database, guard: Guard): RateLimitStore {
  // One statement = one atomic increment-and-read. In the DO UPDATE clause every column
  // reference reads the OLD row, so both CASEs judge the same expired-or-not window.
  const hit = db.prepare<[{ key: string; now: number; resetAt: number }], RateLimitRow>(
    `INSERT INTO rate_limits (key, count, reset_at) VALUES (@key, 1, @resetAt)
     ON CONFLICT (key) DO UPDATE SET
       count = CASE WHEN reset_at <= @now THEN 1 ELSE count + 1 END,
       reset_at = CASE WHEN reset_at <= @now THEN @resetAt ELSE reset_at END
     RETURNING count, reset_at`,
  );
  const reset = db.prepare<[string]>('DELETE FROM rate_limits WHERE key = ?');
  const deleteExpired = db.prepare<[number]>('DELETE FROM rate_limits WHERE reset_at <= ?');

  return {
    async hit(key: string, windowMs: number, now: number): Promise<RateLimitHit> {
      assertWindow(windowMs);
      // .all(), not .get(): .get() resets the statement before it reports SQLITE_DONE, and SQLite
      // runs its WAL hook (auto-checkpoint) only on DONE — with .get() the WAL grew without
      // bound, ~8 KB per hit (measured). The upsert returns exactly one row either way.
      const [row] = guard(() => hit.all({ key, now, resetAt: now + windowMs }));
      if (row === undefined) throw new Error('The rate-limit upsert returned no row.');
      return { count: row.count, resetAt: row.reset_at };
    },
    async resetKey(key: string): Promise<void> {
      guard(() => reset.run(key));
    },
    async deleteExpiredCounters(now: number): Promise<number> {
      return guard(() => deleteExpired.run(now).changes);
    },
  };
}
