import type { SigningKeyStore, StoredSigningKey } from '../types.js';
import type { PgDatabase } from './pg-database.js';
import { changedOne, SIGNING_KEY_COLUMNS, toSigningKey } from './rows.js';
import type { SigningKeyRow } from './rows.js';

/** Creates the PostgreSQL `SigningKeyStore`; one named statement per method. */
export function createPgSigningKeyStore(db: PgDatabase): SigningKeyStore {
  const t = `${db.settings.quotedSchema}.signing_keys`;
  // ON CONFLICT without a target covers both unique constraints (kid, activates_at): a node
  // racing another to create the key for one rotation instant gets zero rows, not an
  // exception, and writes nothing. Other failures (NOT NULL, a bad type) still throw.
  const insert = `INSERT INTO ${t} (${SIGNING_KEY_COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT DO NOTHING`;
  const listAll = `SELECT ${SIGNING_KEY_COLUMNS} FROM ${t}`;
  const deleteOne = `DELETE FROM ${t} WHERE kid = $1`;

  return {
    async listSigningKeys(): Promise<StoredSigningKey[]> {
      const { rows } = await db.query<SigningKeyRow>({ name: 'tessera_list_signing_keys', text: listAll });
      return rows.map(toSigningKey);
    },
    async insertSigningKey(key: StoredSigningKey): Promise<boolean> {
      const values = [key.kid, key.alg, key.publicJwk, key.privateJwk, key.createdAt, key.activatesAt];
      return changedOne(await db.query({ name: 'tessera_insert_signing_key', text: insert, values }));
    },
    async deleteSigningKey(kid: string): Promise<boolean> {
      return changedOne(await db.query({ name: 'tessera_delete_signing_key', text: deleteOne, values: [kid] }));
    },
  };
}
