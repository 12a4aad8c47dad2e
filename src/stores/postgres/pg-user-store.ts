import type { User } from '../../core/model.js';
import type { NewUser, UserStore } from '../types.js';
import { assertPage } from '../validation.js';
import type { PgDatabase } from './pg-database.js';
import { changedOne, toUser, USER_COLUMNS } from './rows.js';
import type { UserRow } from './rows.js';

/**
 * Creates the PostgreSQL `UserStore`. Every method is one statement; the statements are named,
 * so each pooled connection parses and plans them once and then only binds values.
 */
export function createPgUserStore(db: PgDatabase): UserStore {
  const t = `${db.settings.quotedSchema}.users`;
  // ON CONFLICT (email) turns "e-mail taken" into zero rows instead of an exception (and two
  // concurrent registrations of one address: one inserts, the other waits and does nothing),
  // while a duplicate id — a bug, not a user action — still throws a unique violation.
  const insert = `INSERT INTO ${t} (id, email, password_hash, disabled, created_at, updated_at, sessions_valid_after)
     VALUES ($1, $2, $3, false, $4, $4, 0) ON CONFLICT (email) DO NOTHING`;
  const byId = `SELECT ${USER_COLUMNS} FROM ${t} WHERE id = $1`;
  const byEmail = `SELECT ${USER_COLUMNS} FROM ${t} WHERE email = $1`;
  // A compare-and-set: of two concurrent updates from one hash, the second re-checks the
  // WHERE clause against the first's committed row (READ COMMITTED) and matches nothing.
  const updatePassword = `UPDATE ${t} SET password_hash = $3, updated_at = $4 WHERE id = $1 AND password_hash = $2`;
  // GREATEST: a late "password changed at t0" must never undo a "signed out everywhere at t1 > t0".
  const setValidAfter = `UPDATE ${t} SET sessions_valid_after = GREATEST(sessions_valid_after, $2) WHERE id = $1`;
  const setDisabled = `UPDATE ${t} SET disabled = $2, updated_at = $3 WHERE id = $1`;
  // seq breaks ties between users created in the same millisecond by insertion order.
  const list = `SELECT ${USER_COLUMNS} FROM ${t} ORDER BY created_at, seq LIMIT $1 OFFSET $2`;

  async function findOne(name: string, text: string, value: string): Promise<User | null> {
    const { rows } = await db.query<UserRow>({ name, text, values: [value] });
    const row = rows[0];
    return row === undefined ? null : toUser(row);
  }

  return {
    async createUser(user: NewUser): Promise<boolean> {
      const values = [user.id, user.email, user.passwordHash, user.createdAt];
      return changedOne(await db.query({ name: 'tessera_create_user', text: insert, values }));
    },
    async findUserById(id: string): Promise<User | null> {
      return findOne('tessera_find_user_by_id', byId, id);
    },
    async findUserByEmail(email: string): Promise<User | null> {
      return findOne('tessera_find_user_by_email', byEmail, email);
    },
    async updatePasswordHash(id: string, expectedHash: string, newHash: string, now: number): Promise<boolean> {
      const values = [id, expectedHash, newHash, now];
      return changedOne(await db.query({ name: 'tessera_update_password', text: updatePassword, values }));
    },
    async setSessionsValidAfter(id: string, instant: number): Promise<void> {
      await db.query({ name: 'tessera_set_sessions_valid_after', text: setValidAfter, values: [id, instant] });
    },
    async setDisabled(id: string, disabled: boolean, now: number): Promise<boolean> {
      const values = [id, disabled, now];
      return changedOne(await db.query({ name: 'tessera_set_disabled', text: setDisabled, values }));
    },
    async listUsers(limit: number, offset: number): Promise<User[]> {
      // PostgreSQL rejects a negative LIMIT, but validate like every store: same error, same place.
      assertPage(limit, offset);
      const { rows } = await db.query<UserRow>({ name: 'tessera_list_users', text: list, values: [limit, offset] });
      return rows.map(toUser);
    },
  };
}
