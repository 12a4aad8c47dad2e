import type BetterSqlite3 from 'better-sqlite3';
import type { Revocation } from '../../core/model.js';
import type { RevocationStore } from '../types.js';
import { toRevocation } from './rows.js';
import type { RevocationRow } from './rows.js';
import type { Guard } from './sqlite-errors.js';

/** Creates the SQLite `RevocationStore`; every statement is prepared here, once. */
export function createSqliteRevocationStore(db: BetterSqlite3.Database, guard: Guard): RevocationStore {
  // Upsert that only ever widens an entry: re-revoking can extend its life or move a user's
  // not-before later, never shorten either (that would resurrect revoked tokens).
  const upsert = db.prepare<[string, string, number | null, number]>(
    `INSERT INTO revocations (kind, value, not_before, expires_at) VALUES (?, ?, ?, ?)
     ON CONFLICT (kind, value) DO UPDATE SET
       expires_at = max(expires_at, excluded.expires_at),
       not_before = max(not_before, excluded.not_before)`,
  );
  const listLive = db.prepare<[number], RevocationRow>(
    'SELECT kind, value, not_before, expires_at FROM revocations WHERE expires_at > ?',
  );
  const deleteExpired = db.prepare<[number]>('DELETE FROM revocations WHERE expires_at <= ?');

  return {
    async addRevocation(entry: Revocation): Promise<void> {
      const notBefore = entry.kind === 'sub' ? entry.notBefore : null;
      guard(() => upsert.run(entry.kind, entry.value, notBefore, entry.expiresAt));
    },
    async listRevocations(now: number): Promise<Revocation[]> {
      return guard(() => listLive.all(now).map(toRevocation));
    },
    async deleteExpiredRevocations(now: number): Promise<number> {
      return guard(() => deleteExpired.run(now).changes);
    },
  };
}
