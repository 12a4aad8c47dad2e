import type { User } from '../../core/model.js';
import type { NewUser, UserStore } from '../types.js';
import { assertPage } from '../validation.js';
import type { MemoryLifecycle } from './memory-lifecycle.js';

/**
 * Creates the in-memory `UserStore`. Each method's body is synchronous, so it runs to the end
 * before any other call starts: that is what makes the compare-and-sets atomic here. Stored
 * users are replaced, never mutated, so objects handed out earlier do not change under callers.
 */
export function createMemoryUserStore(lifecycle: MemoryLifecycle): UserStore {
  const byId = new Map<string, User>();
  const idByEmail = new Map<string, string>();

  const update = (id: string, change: (user: User) => User | null): boolean => {
    const user = byId.get(id);
    if (user === undefined) return false;
    const next = change(user);
    if (next === null) return false;
    byId.set(id, next);
    return true;
  };

  return {
    async createUser(user: NewUser): Promise<boolean> {
      lifecycle.assertOpen();
      if (idByEmail.has(user.email)) return false;
      if (byId.has(user.id)) throw new Error('A user with this id already exists.');
      byId.set(user.id, {
        id: user.id,
        email: user.email,
        passwordHash: user.passwordHash,
        disabled: false,
        createdAt: user.createdAt,
        updatedAt: user.createdAt,
        sessionsValidAfter: 0,
      });
      idByEmail.set(user.email, user.id);
      return true;
    },
    async findUserById(id: string): Promise<User | null> {
      lifecycle.assertOpen();
      return byId.get(id) ?? null;
    },
    async findUserByEmail(email: string): Promise<User | null> {
      lifecycle.assertOpen();
      const id = idByEmail.get(email);
      return id === undefined ? null : (byId.get(id) ?? null);
    },
    async updatePasswordHash(id: string, expectedHash: string, newHash: string, now: number): Promise<boolean> {
      lifecycle.assertOpen();
      return update(id, (user) =>
        user.passwordHash === expectedHash ? { ...user, passwordHash: newHash, updatedAt: now } : null,
      );
    },
    async setSessionsValidAfter(id: string, instant: number): Promise<void> {
      lifecycle.assertOpen();
      // Never backwards: a late, older instant must not re-validate signed-out sessions.
      update(id, (user) => ({ ...user, sessionsValidAfter: Math.max(user.sessionsValidAfter, instant) }));
    },
    async setDisabled(id: string, disabled: boolean, now: number): Promise<boolean> {
      lifecycle.assertOpen();
      return update(id, (user) => ({ ...user, disabled, updatedAt: now }));
    },
    async listUsers(limit: number, offset: number): Promise<User[]> {
      lifecycle.assertOpen();
      assertPage(limit, offset);
      // Array.prototype.sort is stable, so equal createdAt keeps insertion order (like rowid).
      const ordered = [...byId.values()].sort((a, b) => a.createdAt - b.createdAt);
      return ordered.slice(offset, offset + limit);
    },
  };
}
