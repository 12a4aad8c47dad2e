import type BetterSqlite3 from 'better-sqlite3';
import type { SigningKeyStore, StoredSigningKey } from '../types.js';
import { SIGNING_KEY_COLUMNS, toSigningKey } from './rows.js';
import type { SigningKeyRow } from './rows.js';
import type { Guard } from './sqlite-errors.js';

/** Creates the SQLite `SigningKeyStore`; every statement is prepared here, once. */
export function createSqliteSigningKeyStore(db: BetterSqlite3.Database, guard: Guard): SigningKeyStore {
  // ON CONFLICT without a target covers both uniqueness constraints (kid, activates_at): a
  // second node racing to create the key for the same rotation instant gets zero changes, not
  // an exception, and writes nothing. Other failures (NOT NULL, a STRICT type) still throw.
  const insert = db.prepare<[StoredSigningKey]>(
    `INSERT INTO signing_keys (${SIGNING_KEY_COLUMNS})
     VALUES (@kid, @alg, @publicJwk, @privateJwk, @createdAt, @activatesAt)
     ON CONFLICT DO NOTHING`,
  );
  const listAll = db.prepare<[], SigningKeyRow>(`SELECT ${SIGNING_KEY_COLUMNS} FROM signing_keys`);
  const deleteOne = db.prepare<[string]>('DELETE FROM signing_keys WHERE kid = ?');

  return {
    async listSigningKeys(): Promise<StoredSigningKey[]> {
      return guard(() => listAll.all().map(toSigningKey));
    },
    async insertSigningKey(key: StoredSigningKey): Promise<boolean> {
      return guard(() => insert.run(key).changes === 1);
    },
    async deleteSigningKey(kid: string): Promise<boolean> {
      return guard(() => deleteOne.run(kid).changes === 1);
    },
  };
}
