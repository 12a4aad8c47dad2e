import type BetterSqlite3 from 'better-sqlite3';
import type { Session } from '../../core/model.js';
import type { NewSession, SessionStore } from '../types.js';
import { assertIdleTimeout } from '../validation.js';
import { SESSION_COLUMNS, toSession } from './rows.js';
import type { SessionRow } from './rows.js';
import type { Guard } from './sqlite-errors.js';

/** Creates the SQLite `SessionStore`; every statement is prepared here, once. */
export function createSqliteSessionStore(db: BetterSqlite3.Database, guard: Guard): SessionStore {
  // A plain INSERT: a duplicate id must fail loudly, never overwrite someone's live session.
  // Named parameters bound straight from the NewSession (better-sqlite3 ignores extra keys); a
  // new session was last seen, authenticated and refresh-rotated at its creation.
  const insert = db.prepare<[NewSession]>(
    `INSERT INTO sessions (${SESSION_COLUMNS}) VALUES (
       @id, @userId, @carrier, @secretHash, @createdAt, @createdAt, @createdAt, @expiresAt,
       @idleTimeoutMs, @ip, @userAgent, 0, @createdAt)`,
  );
  // The hot path of every cookie request: one primary-key point lookup.
  const byId = db.prepare<[string], SessionRow>(`SELECT ${SESSION_COLUMNS} FROM sessions WHERE id = ?`);
  const touch = db.prepare<[number, string]>(
    'UPDATE sessions SET last_seen_at = max(last_seen_at, ?) WHERE id = ?',
  );
  const setAuthenticated = db.prepare<[number, string]>(
    'UPDATE sessions SET authenticated_at = ? WHERE id = ?',
  );
  const deleteOne = db.prepare<[string]>('DELETE FROM sessions WHERE id = ?');
  const deleteOwned = db.prepare<[string, string]>('DELETE FROM sessions WHERE id = ? AND user_id = ?');
  const deleteAllOfUser = db
    .prepare<[string], string>('DELETE FROM sessions WHERE user_id = ? RETURNING id')
    .pluck();
  const deleteAllOfUserExcept = db
    .prepare<[string, string], string>('DELETE FROM sessions WHERE user_id = ? AND id <> ? RETURNING id')
    .pluck();
  const listOfUser = db.prepare<[string], SessionRow>(
    `SELECT ${SESSION_COLUMNS} FROM sessions WHERE user_id = ? ORDER BY created_at, id`,
  );
  // Each session's own idle timeout. `last_seen_at + idle_timeout_ms` is spelled exactly as in
  // the sessions_idle_expires_at expression index (migration 2), so the planner can use it.
  const deleteExpired = db.prepare<[{ now: number }]>(
    'DELETE FROM sessions WHERE expires_at <= @now OR last_seen_at + idle_timeout_ms <= @now',
  );
  // The compare-and-set: exactly one of two concurrent rotations from one generation matches.
  const rotate = db.prepare<[number, string, number]>(
    `UPDATE sessions SET refresh_generation = refresh_generation + 1, refresh_rotated_at = ?
     WHERE id = ? AND refresh_generation = ?`,
  );
  // data_version moves only when ANOTHER connection commits to the file, which is exactly
  // "changed by someone else": our own writes keep validated-session caches warm.
  const dataVersion = db.prepare<[], number>('PRAGMA data_version').pluck();

  return {
    async createSession(s: NewSession): Promise<void> {
      assertIdleTimeout(s.idleTimeoutMs);
      guard(() => insert.run(s));
    },
    async findSession(id: string): Promise<Session | null> {
      return guard(() => {
        const row = byId.get(id);
        return row === undefined ? null : toSession(row);
      });
    },
    async touchSession(id: string, lastSeenAt: number): Promise<boolean> {
      return guard(() => touch.run(lastSeenAt, id).changes === 1);
    },
    async setAuthenticatedAt(id: string, authenticatedAt: number): Promise<boolean> {
      return guard(() => setAuthenticated.run(authenticatedAt, id).changes === 1);
    },
    async deleteSession(id: string): Promise<boolean> {
      return guard(() => deleteOne.run(id).changes === 1);
    },
    async deleteUserSession(userId: string, id: string): Promise<boolean> {
      return guard(() => deleteOwned.run(id, userId).changes === 1);
    },
    async deleteUserSessions(userId: string, exceptId?: string): Promise<string[]> {
      return guard(() =>
        exceptId === undefined ? deleteAllOfUser.all(userId) : deleteAllOfUserExcept.all(userId, exceptId),
      );
    },
    async listUserSessions(userId: string): Promise<Session[]> {
      return guard(() => listOfUser.all(userId).map(toSession));
    },
    async deleteExpiredSessions(now: number): Promise<number> {
      return guard(() => deleteExpired.run({ now }).changes);
    },
    async rotateRefresh(id: string, expectedGeneration: number, rotatedAt: number): Promise<boolean> {
      return guard(() => rotate.run(rotatedAt, id, expectedGeneration).changes === 1);
    },
    externalChangeCounter(): number | null {
      return guard(() => dataVersion.get() ?? null);
    },
  };
}
