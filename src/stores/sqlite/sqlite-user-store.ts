import type BetterSqlite3 from 'better-sqlite3';
import type { User } from '../../core/model.js';
import type { NewUser, UserStore } from '../types.js';
import { assertPage } from '../validation.js';
import { toUser, USER_COLUMNS } from './rows.js';
import type { UserRow } from './rows.js';
import type { Guard } from './sqlite-errors.js';

/** Creates the SQLite `UserStore`; every statement is prepared here, once. */
export function createSqliteUserStore(db: BetterSqlite3.Database, guard: Guard): UserStore {
  // ON CONFLICT(email) turns "e-mail taken" into zero changes instead of an exception, while a
  // duplicate id (a bug, not a user action) still throws.
  const insert = db.prepare<[string, string, string, number, number]>(
    `INSERT INTO users (id, email, password_hash, disabled, created_at, updated_at, sessions_valid_after)
     VALUES (?, ?, ?, 0, ?, ?, 0) ON CONFLICT (email) DO NOTHING`,
  );
  const byId = db.prepare<[string], UserRow>(`SELECT ${USER_COLUMNS} FROM users WHERE id = ?`);
  const byEmail = db.prepare<[string], UserRow>(`SELECT ${USER_COLUMNS} FROM users WHERE email = ?`);
  const updatePassword = db.prepare<[string, number, string, string]>(
    'UPDATE users SET password_hash = ?, updated_at = ? WHERE id = ? AND password_hash = ?',
  );
  // max(): a late "password changed at t0" must never undo a "signed out everywhere at t1 > t0".
  const setValidAfter = db.prepare<[number, string]>(
    'UPDATE users SET sessions_valid_after = max(sessions_valid_after, ?) WHERE id = ?',
  );
  const setDisabled = db.prepare<[0 | 1, number, string]>(
    'UPDATE users SET disabled = ?, updated_at = ? WHERE id = ?',
  );
  // rowid breaks ties between users created in the same millisecond by insertion order.
  const list = db.prepare<[number, number], UserRow>(
    `SELECT ${USER_COLUMNS} FROM users ORDER BY created_at, rowid LIMIT ? OFFSET ?`,
  );

  return {
    async createUser(user: NewUser): Promise<boolean> {
      return guard(
        () => insert.run(user.id, user.email, user.passwordHash, user.createdAt, user.createdAt).changes === 1,
      );
    },
    async findUserById(id: string): Promise<User | null> {
      return guard(() => {
        const row = byId.get(id);
        return row === undefined ? null : toUser(row);
      });
    },
    async findUserByEmail(email: string): Promise<User | null> {
      return guard(() => {
        const row = byEmail.get(email);
        return row === undefined ? null : toUser(row);
      });
    },
    async updatePasswordHash(id: string, expectedHash: string, newHash: string, now: number): Promise<boolean> {
      return guard(() => updatePassword.run(newHash, now, id, expectedHash).changes === 1);
    },
    async setSessionsValidAfter(id: string, instant: number): Promise<void> {
      guard(() => setValidAfter.run(instant, id));
    },
    async setDisabled(id: string, disabled: boolean, now: number): Promise<boolean> {
      return guard(() => setDisabled.run(disabled ? 1 : 0, now, id).changes === 1);
    },
    async listUsers(limit: number, offset: number): Promise<User[]> {
      // SQLite reads a negative LIMIT as "no limit": validate before it can dump every user.
      assertPage(limit, offset);
      return guard(() => list.all(limit, offset).map(toUser));
    },
  };
}
