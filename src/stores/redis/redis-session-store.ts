import type { Clock } from '../../core/clock.js';
import type { Session } from '../../core/model.js';
import type { NewSession, SessionStore } from '../types.js';
import { assertIdleTimeout } from '../validation.js';
import type { RedisConnection } from './redis-connection.js';
import { isRoutedTo } from './redis-keys.js';
import type { RedisKeyLayout, UserIndexRef } from './redis-keys.js';
import { assertInstants, decodeSession, encodeNewSession, escapeField } from './session-codec.js';

/** What the session store needs besides the connection. */
export interface RedisSessionStoreOptions {
  readonly keys: RedisKeyLayout;
  /** Converts a session's end (a domain instant) into a TTL: `end − clock.now()`. */
  readonly clock: Clock;
  /** How long Redis keeps a session past its end (see `RedisStoresOptions.expiryGraceMs`). */
  readonly expiryGraceMs: number;
}

/** How many index scripts a sweep runs at once. */
const SWEEP_CONCURRENCY = 32;

function toInteger(reply: unknown): number {
  if (typeof reply !== 'number') throw new Error('Unexpected reply from a Redis script.');
  return reply;
}

function toBuffers(reply: unknown): Buffer[] {
  if (!Array.isArray(reply) || !reply.every((item) => Buffer.isBuffer(item))) {
    throw new Error('Unexpected reply from a Redis script.');
  }
  return reply as Buffer[];
}

/**
 * Creates the Redis `SessionStore`. Each session is one string key whose TTL is its own end
 * — min(expiresAt, lastSeenAt + idleTimeoutMs) — plus a grace, refreshed when a touch moves
 * lastSeenAt: Redis drops ended sessions by itself, and the core judges expiry exactly. Every
 * write that spans the session and its index is one Lua script on one slot (redis-lua.ts).
 */
export function createRedisSessionStore(connection: RedisConnection, options: RedisSessionStoreOptions): SessionStore {
  const { keys, clock, expiryGraceMs } = options;
  const script = connection.script;
  const create = script('tesseraSessionCreate');
  const touch = script('tesseraSessionTouch');
  const authenticated = script('tesseraSessionAuthenticated');
  const rotate = script('tesseraSessionRotate');
  const deleteOne = script('tesseraSessionDelete');
  const deleteOwned = script('tesseraSessionDeleteOwned');
  const list = script('tesseraSessionList', true);
  const deleteUser = script('tesseraSessionDeleteUser', true);
  const sweep = script('tesseraSessionSweep');

  const ttlFor = (s: NewSession): number =>
    Math.max(Math.min(s.expiresAt, s.createdAt + s.idleTimeoutMs) - clock.now(), 0) + expiryGraceMs;

  /** Runs `perIndex` on each of the user's indexes (its routed tag's and the unrouted one). */
  const eachIndex = <T>(userId: string, perIndex: (ref: UserIndexRef) => Promise<T>): Promise<T[]> =>
    Promise.all(keys.userIndexes(userId).map(perIndex));

  return {
    async createSession(s: NewSession): Promise<void> {
      assertIdleTimeout(s.idleTimeoutMs);
      if (!isRoutedTo(s.id, s.userId)) {
        throw new RangeError('The session id does not carry the routing tag of its user.');
      }
      const value = encodeNewSession(s);
      const place = keys.session(s.id);
      const ttl = Math.max(Math.round(ttlFor(s)), 1);
      const created = toInteger(await create(place.key, place.indexKey, value, ttl, place.field));
      // Never overwrite: a colliding id must not replace someone's live session.
      if (created !== 1) throw new Error('A session with this id already exists.');
    },
    async findSession(id: string): Promise<Session | null> {
      const value = await connection.run((c) => c.getBuffer(keys.session(id).key));
      return value === null ? null : decodeSession(id, value);
    },
    async touchSession(id: string, lastSeenAt: number): Promise<boolean> {
      assertInstants(lastSeenAt);
      return toInteger(await touch(keys.session(id).key, lastSeenAt, clock.now(), expiryGraceMs)) === 1;
    },
    async setAuthenticatedAt(id: string, authenticatedAt: number): Promise<boolean> {
      assertInstants(authenticatedAt);
      return toInteger(await authenticated(keys.session(id).key, authenticatedAt)) === 1;
    },
    async deleteSession(id: string): Promise<boolean> {
      const place = keys.session(id);
      return toInteger(await deleteOne(place.key, place.indexKey, place.field)) === 1;
    },
    async deleteUserSession(userId: string, id: string): Promise<boolean> {
      const place = keys.session(id);
      return toInteger(await deleteOwned(place.key, place.indexKey, place.field, escapeField(userId))) === 1;
    },
    async deleteUserSessions(userId: string, exceptId?: string): Promise<string[]> {
      const except = exceptId === undefined ? null : keys.session(exceptId);
      // One atomic script per index; in production the unrouted index is empty.
      const deleted = await eachIndex(userId, async (ref) => {
        const exceptField = except !== null && except.indexKey === ref.key ? except.field : null;
        const fields = toBuffers(
          await deleteUser(ref.key, ref.stem, ref.fieldPrefix, escapeField(userId), exceptField === null ? '0' : '1', exceptField ?? ''),
        );
        return fields.map((field) => ref.idPrefix + field.toString('utf8'));
      });
      return deleted.flat();
    },
    async listUserSessions(userId: string): Promise<Session[]> {
      const replies = await eachIndex(userId, async (ref) => ({
        ref,
        reply: toBuffers(await list(ref.key, ref.stem, ref.fieldPrefix, escapeField(userId))),
      }));
      const sessions: Session[] = [];
      for (const { ref, reply } of replies) {
        for (let i = 0; i + 1 < reply.length; i += 2) {
          sessions.push(decodeSession(ref.idPrefix + (reply[i] as Buffer).toString('utf8'), reply[i + 1] as Buffer));
        }
      }
      // The order SQLite and the memory store use.
      return sessions.sort((a, b) => a.createdAt - b.createdAt || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
    },
    /**
     * Walks every index (SCAN over index keys on every master): deletes the sessions that ended
     * at `now` and prunes entries of sessions Redis already expired. Returns both together —
     * the sessions that ended by expiry and were cleared up by this sweep. (A session whose
     * index entry a listing pruned first is not counted.) Costs a SCAN of the keyspace.
     */
    async deleteExpiredSessions(now: number): Promise<number> {
      assertInstants(now);
      let total = 0;
      await connection.scan(keys.indexPattern, async (found) => {
        const refs = found.map((key) => keys.indexRef(key)).filter((ref) => ref !== null);
        for (let i = 0; i < refs.length; i += SWEEP_CONCURRENCY) {
          const counts = await Promise.all(
            refs.slice(i, i + SWEEP_CONCURRENCY).map(async (ref) => toInteger(await sweep(ref.key, ref.stem, now))),
          );
          for (const count of counts) total += count;
        }
      });
      return total;
    },
    async rotateRefresh(id: string, expectedGeneration: number, rotatedAt: number): Promise<boolean> {
      assertInstants(rotatedAt);
      // A generation that is not an integer matches no session (as a SQL comparison would not).
      if (!Number.isSafeInteger(expectedGeneration)) return connection.run(async () => false);
      return toInteger(await rotate(keys.session(id).key, expectedGeneration, rotatedAt)) === 1;
    },
    /**
     * Other nodes write constantly and Redis gives no cheap change signal, so: null. Tessera
     * then does not cache sessions, every request reads Redis, and a revocation on any node
     * takes effect on every node at once.
     */
    externalChangeCounter(): number | null {
      return null;
    },
  };
}
