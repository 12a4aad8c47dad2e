import type { Revocation } from '../../core/model.js';
import type { RevocationStore } from '../types.js';
import type { RedisConnection } from './redis-connection.js';
import type { RedisKeyLayout } from './redis-keys.js';

const KINDS: ReadonlySet<string> = new Set(['sid', 'jti', 'sub']);

/**
 * Creates the Redis `RevocationStore`: all entries under one hash tag (`P{rv}`), so a whole
 * snapshot is one single-slot script — every node lists the set every second. A sorted set
 * holds `kind:value` scored by expiresAt (expiry is a range query), a hash holds the notBefore
 * of `sub` entries. Adding only ever widens an entry (`ZADD GT`, max of notBefore), like SQL's
 * upsert: shortening it would resurrect revoked tokens.
 */
export function createRedisRevocationStore(connection: RedisConnection, keys: RedisKeyLayout): RevocationStore {
  const add = connection.script('tesseraRevocationAdd');
  const list = connection.script('tesseraRevocationList');
  const sweep = connection.script('tesseraRevocationSweep');
  const both = [keys.revocationsByExpiry, keys.revocationNotBefore] as const;

  return {
    async addRevocation(entry: Revocation): Promise<void> {
      const notBefore = entry.kind === 'sub' ? String(entry.notBefore) : '';
      await add(...both, `${entry.kind}:${entry.value}`, entry.expiresAt, notBefore);
    },
    async listRevocations(now: number): Promise<Revocation[]> {
      const reply = await list(...both, now);
      if (!Array.isArray(reply) || !reply.every((item) => typeof item === 'string')) {
        throw new Error('Unexpected reply from a Redis script.');
      }
      const entries: Revocation[] = [];
      for (let i = 0; i + 2 < reply.length; i += 3) {
        const member = reply[i] as string;
        const colon = member.indexOf(':');
        const kind = member.slice(0, colon);
        const value = member.slice(colon + 1);
        const expiresAt = Number(reply[i + 1]);
        // Foreign members (another writer under our prefix) are skipped, never half-read.
        if (colon < 0 || !KINDS.has(kind) || !Number.isSafeInteger(expiresAt)) continue;
        if (kind === 'sub') {
          const notBefore = Number(reply[i + 2]);
          if (reply[i + 2] === '' || !Number.isSafeInteger(notBefore)) continue;
          entries.push({ kind, value, notBefore, expiresAt });
        } else {
          entries.push({ kind: kind as 'sid' | 'jti', value, expiresAt });
        }
      }
      return entries;
    },
    async deleteExpiredRevocations(now: number): Promise<number> {
      const deleted = await sweep(...both, now);
      if (typeof deleted !== 'number') throw new Error('Unexpected reply from a Redis script.');
      return deleted;
    },
  };
}
