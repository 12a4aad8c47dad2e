import type { Revocation } from '../../core/model.js';
import type { RevocationStore } from '../types.js';
import type { PgDatabase } from './pg-database.js';
import { toRevocation } from './rows.js';
import type { RevocationRow } from './rows.js';

/** Creates the PostgreSQL `RevocationStore`; one named statement per method. */
export function createPgRevocationStore(db: PgDatabase): RevocationStore {
  const t = `${db.settings.quotedSchema}.revocations`;
  // An upsert that only ever widens an entry: re-revoking can extend its life or move a user's
  // not-before later, never shorten either (that would resurrect revoked tokens). GREATEST
  // ignores NULLs, so sid/jti rows keep not_before NULL as the CHECK constraint demands.
  const upsert = `INSERT INTO ${t} AS r (kind, value, not_before, expires_at) VALUES ($1, $2, $3, $4)
     ON CONFLICT (kind, value) DO UPDATE SET
       expires_at = GREATEST(r.expires_at, EXCLUDED.expires_at),
       not_before = GREATEST(r.not_before, EXCLUDED.not_before)`;
  const listLive = `SELECT kind, value, not_before, expires_at FROM ${t} WHERE expires_at > $1`;
  const deleteExpired = `DELETE FROM ${t} WHERE expires_at <= $1`;

  return {
    async addRevocation(entry: Revocation): Promise<void> {
      const notBefore = entry.kind === 'sub' ? entry.notBefore : null;
      const values = [entry.kind, entry.value, notBefore, entry.expiresAt];
      await db.query({ name: 'tessera_add_revocation', text: upsert, values });
    },
    async listRevocations(now: number): Promise<Revocation[]> {
      const { rows } = await db.query<RevocationRow>({ name: 'tessera_list_revocations', text: listLive, values: [now] });
      return rows.map(toRevocation);
    },
    async deleteExpiredRevocations(now: number): Promise<number> {
      const result = await db.query({ name: 'tessera_delete_expired_revocations', text: deleteExpired, values: [now] });
      return result.rowCount ?? 0;
    },
  };
}
