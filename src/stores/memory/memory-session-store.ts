import type { Session } from '../../core/model.js';
import type { NewSession, SessionStore } from '../types.js';
import { assertIdleTimeout } from '../validation.js';
import type { MemoryLifecycle } from './memory-lifecycle.js';

/**
 * Creates the in-memory `SessionStore`. Synchronous method bodies make every operation atomic;
 * sessions are replaced, never mutated. Per-user operations scan: this store is for tests.
 */
export function createMemorySessionStore(lifecycle: MemoryLifecycle): SessionStore {
  const sessions = new Map<string, Session>();

  const update = (id: string, change: (session: Session) => Session | null): boolean => {
    const session = sessions.get(id);
    if (session === undefined) return false;
    const next = change(session);
    if (next === null) return false;
    sessions.set(id, next);
    return true;
  };

  const deleteWhere = (matches: (session: Session) => boolean): string[] => {
    const deleted: string[] = [];
    for (const session of sessions.values()) {
      if (matches(session)) deleted.push(session.id);
    }
    for (const id of deleted) sessions.delete(id);
    return deleted;
  };

  return {
    async createSession(s: NewSession): Promise<void> {
      lifecycle.assertOpen();
      assertIdleTimeout(s.idleTimeoutMs);
      // Never overwrite: a colliding id must not replace someone's live session.
      if (sessions.has(s.id)) throw new Error('A session with this id already exists.');
      sessions.set(s.id, {
        id: s.id,
        userId: s.userId,
        carrier: s.carrier,
        secretHash: s.secretHash,
        createdAt: s.createdAt,
        lastSeenAt: s.createdAt,
        authenticatedAt: s.createdAt,
        expiresAt: s.expiresAt,
        idleTimeoutMs: s.idleTimeoutMs,
        ip: s.ip,
        userAgent: s.userAgent,
        refreshGeneration: 0,
        refreshRotatedAt: s.createdAt,
      });
    },
    async findSession(id: string): Promise<Session | null> {
      lifecycle.assertOpen();
      return sessions.get(id) ?? null;
    },
    async touchSession(id: string, lastSeenAt: number): Promise<boolean> {
      lifecycle.assertOpen();
      return update(id, (s) => (lastSeenAt > s.lastSeenAt ? { ...s, lastSeenAt } : s));
    },
    async setAuthenticatedAt(id: string, authenticatedAt: number): Promise<boolean> {
      lifecycle.assertOpen();
      return update(id, (s) => ({ ...s, authenticatedAt }));
    },
    async deleteSession(id: string): Promise<boolean> {
      lifecycle.assertOpen();
      return sessions.delete(id);
    },
    async deleteUserSession(userId: string, id: string): Promise<boolean> {
      lifecycle.assertOpen();
      if (sessions.get(id)?.userId !== userId) return false;
      return sessions.delete(id);
    },
    async deleteUserSessions(userId: string, exceptId?: string): Promise<string[]> {
      lifecycle.assertOpen();
      return deleteWhere((s) => s.userId === userId && s.id !== exceptId);
    },
    async listUserSessions(userId: string): Promise<Session[]> {
      lifecycle.assertOpen();
      return [...sessions.values()]
        .filter((s) => s.userId === userId)
        .sort((a, b) => a.createdAt - b.createdAt || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
    },
    async deleteExpiredSessions(now: number): Promise<number> {
      lifecycle.assertOpen();
      // Each session is judged by its own idle timeout (cookie minutes, token carriers days).
      return deleteWhere((s) => s.expiresAt <= now || s.lastSeenAt + s.idleTimeoutMs <= now).length;
    },
    async rotateRefresh(id: string, expectedGeneration: number, rotatedAt: number): Promise<boolean> {
      lifecycle.assertOpen();
      return update(id, (s) =>
        s.refreshGeneration === expectedGeneration
          ? { ...s, refreshGeneration: expectedGeneration + 1, refreshRotatedAt: rotatedAt }
          : null,
      );
    },
    externalChangeCounter(): number | null {
      lifecycle.assertOpen();
      // Nothing outside this process can write to a memory store, so the counter never moves.
      return 0;
    },
  };
}
