import type { Session } from '../../core/model.js';
import type { NewSession, SessionStore } from '../types.js';
import { assertIdleTimeout } from '../validation.js';
import type { PgDatabase } from './pg-database.js';
import { changedOne, SESSION_COLUMNS, toSession } from './rows.js';
import type { SessionRow } from './rows.js';

/**
 * Creates the PostgreSQL `SessionStore`. Every method is one statement, named so each pooled
 * connection prepares it once; `findSession` and `touchSession` run on every cookie request.
 */
export function createPgSessionStore(db: PgDatabase): SessionStore {
  const t = `${db.settings.quotedSchema}.sessions`;
  // A plain INSERT: a duplicate id must fail loudly, never overwrite someone's live session. A
  // new session was last seen, authenticated and refresh-rotated at its creation.
  const insert = `INSERT INTO ${t} (${SESSION_COLUMNS})
     VALUES ($1, $2, $3, $4, $5, $5, $5, $6, $7, $8, $9, 0, $5)`;
  // The hot path: one primary-key point lookup.
  const byId = `SELECT ${SESSION_COLUMNS} FROM ${t} WHERE id = $1`;
  // GREATEST: a slow request finishing late must not pull lastSeenAt back.
  const touch = `UPDATE ${t} SET last_seen_at = GREATEST(last_seen_at, $2) WHERE id = $1`;
  const setAuthenticated = `UPDATE ${t} SET authenticated_at = $2 WHERE id = $1`;
  const deleteOne = `DELETE FROM ${t} WHERE id = $1`;
  const deleteOwned = `DELETE FROM ${t} WHERE id = $1 AND user_id = $2`;
  const deleteAllOfUser = `DELETE FROM ${t} WHERE user_id = $1 RETURNING id`;
  const deleteAllOfUserExcept = `DELETE FROM ${t} WHERE user_id = $1 AND id <> $2 RETURNING id`;
  const listOfUser = `SELECT ${SESSION_COLUMNS} FROM ${t} WHERE user_id = $1 ORDER BY created_at, id`;
  // Each session by its own idle timeout; `last_seen_at + idle_timeout_ms` is spelled exactly
  // as in the sessions_idle_expires_at expression index (migration 2) so the planner uses it.
  const deleteExpired = `DELETE FROM ${t} WHERE expires_at <= $1 OR last_seen_at + idle_timeout_ms <= $1`;
  // The compare-and-set: of concurrent rotations from one generation, the first commits and
  // the others re-check `refresh_generation = $2` against its row (READ COMMITTED) and miss.
  const rotate = `UPDATE ${t} SET refresh_generation = refresh_generation + 1, refresh_rotated_at = $3
     WHERE id = $1 AND refresh_generation = $2`;

  return {
    async createSession(s: NewSession): Promise<void> {
      assertIdleTimeout(s.idleTimeoutMs);
      const values = [s.id, s.userId, s.carrier, s.secretHash, s.createdAt, s.expiresAt, s.idleTimeoutMs, s.ip, s.userAgent];
      await db.query({ name: 'tessera_create_session', text: insert, values });
    },
    async findSession(id: string): Promise<Session | null> {
      const { rows } = await db.query<SessionRow>({ name: 'tessera_find_session', text: byId, values: [id] });
      const row = rows[0];
      return row === undefined ? null : toSession(row);
    },
    async touchSession(id: string, lastSeenAt: number): Promise<boolean> {
      return changedOne(await db.query({ name: 'tessera_touch_session', text: touch, values: [id, lastSeenAt] }));
    },
    async setAuthenticatedAt(id: string, authenticatedAt: number): Promise<boolean> {
      const values = [id, authenticatedAt];
      return changedOne(await db.query({ name: 'tessera_set_authenticated_at', text: setAuthenticated, values }));
    },
    async deleteSession(id: string): Promise<boolean> {
      return changedOne(await db.query({ name: 'tessera_delete_session', text: deleteOne, values: [id] }));
    },
    async deleteUserSession(userId: string, id: string): Promise<boolean> {
      const values = [id, userId];
      return changedOne(await db.query({ name: 'tessera_delete_user_session', text: deleteOwned, values }));
    },
    async deleteUserSessions(userId: string, exceptId?: string): Promise<string[]> {
      const { rows } = await db.query<{ id: string }>(
        exceptId === undefined
          ? { name: 'tessera_delete_user_sessions', text: deleteAllOfUser, values: [userId] }
          : { name: 'tessera_delete_user_sessions_except', text: deleteAllOfUserExcept, values: [userId, exceptId] },
      );
      return rows.map((row) => row.id);
    },
    async listUserSessions(userId: string): Promise<Session[]> {
      const { rows } = await db.query<SessionRow>({ name: 'tessera_list_user_sessions', text: listOfUser, values: [userId] });
      return rows.map(toSession);
    },
    async deleteExpiredSessions(now: number): Promise<number> {
      const result = await db.query({ name: 'tessera_delete_expired_sessions', text: deleteExpired, values: [now] });
      return result.rowCount ?? 0;
    },
    async rotateRefresh(id: string, expectedGeneration: number, rotatedAt: number): Promise<boolean> {
      const values = [id, expectedGeneration, rotatedAt];
      return changedOne(await db.query({ name: 'tessera_rotate_refresh', text: rotate, values }));
    },
    externalChangeCounter(): number | null {
      // Other nodes write to the same database and nothing here can see that cheaply and
      // synchronously, so validated sessions must not be cached: always read the store.
      return null;
    },
  };
}
