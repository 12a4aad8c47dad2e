import type { RateLimitHit, RateLimitStore } from '../types.js';
import { assertWindow } from '../validation.js';
import type { PgDatabase } from './pg-database.js';
import type { RateLimitRow } from './rows.js';

/** Creates the PostgreSQL `RateLimitStore`; one named statement per method. */
export function createPgRateLimitStore(db: PgDatabase): RateLimitStore {
  const t = `${db.settings.quotedSchema}.rate_limits`;
  // One statement = one atomic increment-and-read, race-free across nodes (concurrent first
  // hits on a new key: one inserts, the others wait and take the DO UPDATE branch). In DO
  // UPDATE, `c.` columns are the OLD row, so both CASEs judge the same expired-or-not window.
  const hit = `INSERT INTO ${t} AS c (key, count, reset_at) VALUES ($1, 1, $3)
     ON CONFLICT (key) DO UPDATE SET
       count = CASE WHEN c.reset_at <= $2 THEN 1 ELSE c.count + 1 END,
       reset_at = CASE WHEN c.reset_at <= $2 THEN $3 ELSE c.reset_at END
     RETURNING count, reset_at`;
  const reset = `DELETE FROM ${t} WHERE key = $1`;
  const deleteExpired = `DELETE FROM ${t} WHERE reset_at <= $1`;

  return {
    async hit(key: string, windowMs: number, now: number): Promise<RateLimitHit> {
      assertWindow(windowMs);
      const { rows } = await db.query<RateLimitRow>({
        name: 'tessera_rate_limit_hit',
        text: hit,
        values: [key, now, now + windowMs],
      });
      const row = rows[0];
      if (row === undefined) throw new Error('The rate-limit upsert returned no row.');
      return { count: row.count, resetAt: row.reset_at };
    },
    async resetKey(key: string): Promise<void> {
      await db.query({ name: 'tessera_rate_limit_reset', text: reset, values: [key] });
    },
    async deleteExpiredCounters(now: number): Promise<number> {
      const result = await db.query({ name: 'tessera_delete_expired_counters', text: deleteExpired, values: [now] });
      return result.rowCount ?? 0;
    },
  };
}
