import { ConfigurationError } from '../../core/errors.js';
import { ROUTING_TAG_LENGTH, isSessionId, sessionRoutingTag } from '../../core/session-token.js';

/**
 * The key layout (P = the key prefix, default `tessera:`). Everything a single Lua script
 * touches shares one hash tag, so every script runs on one Redis Cluster slot:
 *
 * | key | type | holds |
 * | --- | --- | --- |
 * | `P{T}:<rest of sid>` | string | one session (compact value, see session-codec.ts), TTL = its end + grace |
 * | `P{T}u` | hash | index of the sessions whose id carries tag T: field = session id, value empty |
 * | `P{~}:<sid>`, `P{~}u` | | the same for ids that are not Tessera session ids (tests, imports) |
 * | `P{rv}e` / `P{rv}n` | zset / hash | revocations: `kind:value` scored by expiresAt / `sub:value` → notBefore |
 * | `P{keys}` / `P{keys}at` | hash / hash | signing keys: kid → JSON / activatesAt → kid |
 * | `P{rl:<key>}` | string | one rate-limit counter `count:resetAt`, TTL = until resetAt |
 * | channel `Prevocations` | pub/sub | the revocation bus |
 *
 * T is the session id's first four characters: the routing tag `sessionRoutingTag(userId)`
 * (24 bits of SHA-256 of the user id) that every Tessera session id starts with. So a session,
 * found by its id alone, shares a slot with the index that lists it — and with every other
 * session of its user. The index is per tag rather than per user: the few users who share a
 * tag share an index (scripts filter by user id), which saves the user id in every index key
 * name and lets `deleteSession`, which knows only the id, name the index as a declared key.
 */

/** The tag of session ids that do not carry a routing tag: one shared slot. */
export const UNROUTED_TAG = '~';

/** Where one session lives. */
export interface SessionPlace {
  readonly key: string;
  readonly indexKey: string;
}

/** How scripts walking an index name the sessions in it (see `SessionIndexRef`). */
export interface SessionIndexRef {
  /** The index key. */
  readonly key: string;
  /** Session key = stem + sid.substring(cut - 1) (Lua's 1-based `string.sub`). */
  readonly stem: string;
  readonly cut: number;
}

/** Every key name the Redis stores use, for one prefix. */
export interface RedisKeyLayout {
  readonly prefix: string;
  session(sid: string): SessionPlace;
  /** The indexes that can hold a user's sessions: their routed tag's and the unrouted one. */
  userIndexes(userId: string): readonly SessionIndexRef[];
  /** SCAN pattern matching every index key (and possibly more: check with `indexRef`). */
  readonly indexPattern: string;
  /** The index described by `key`, or null when `key` is not exactly an index key. */
  indexRef(key: string): SessionIndexRef | null;
  readonly revocationsByExpiry: string;
  readonly revocationNotBefore: string;
  readonly signingKeys: string;
  readonly signingKeysByActivation: string;
  rateLimit(key: string): string;
  /** SCAN pattern matching every rate-limit key. */
  readonly rateLimitPattern: string;
  isRateLimitKey(key: string): boolean;
  readonly channel: string;
}

/** Escapes SCAN/KEYS glob characters so `text` matches only itself. */
export function escapeGlob(text: string): string {
  return text.replace(/[*?[\]\\]/g, (c) => `\\${c}`);
}

/**
 * The tag of a session id: its routing tag when it has the shape of a Tessera session id,
 * else the shared unrouted tag.
 */
export function sessionTag(sid: string): string {
  return isSessionId(sid) ? sid.slice(0, ROUTING_TAG_LENGTH) : UNROUTED_TAG;
}

/**
 * True when a session of `userId` may have id `sid`: unrouted ids always (they share one
 * slot), Tessera ids only when they carry the user's routing tag — otherwise the session would
 * sit in a slot its user's listing never looks at.
 */
export function isRoutedTo(sid: string, userId: string): boolean {
  const tag = sessionTag(sid);
  return tag === UNROUTED_TAG || tag === sessionRoutingTag(userId);
}

/** Builds the layout; throws `ConfigurationError` for a prefix with hash-tag braces. */
export function createKeyLayout(prefix: string): RedisKeyLayout {
  // A brace in the prefix would become the hash tag of every key: one slot for everything.
  if (/[{}]/.test(prefix)) throw new ConfigurationError('The Redis key prefix must not contain { or }.');
  const indexRefFor = (tag: string): SessionIndexRef => ({
    key: `${prefix}{${tag}}u`,
    stem: `${prefix}{${tag}}:`,
    // A routed id starts with its tag, already in the key's hash tag: drop it from the name.
    cut: tag === UNROUTED_TAG ? 1 : ROUTING_TAG_LENGTH + 1,
  });
  const rateLimitStart = `${prefix}{rl:`;
  return {
    prefix,
    session(sid: string): SessionPlace {
      const ref = indexRefFor(sessionTag(sid));
      return { key: ref.stem + sid.slice(ref.cut - 1), indexKey: ref.key };
    },
    userIndexes(userId: string): readonly SessionIndexRef[] {
      return [indexRefFor(sessionRoutingTag(userId)), indexRefFor(UNROUTED_TAG)];
    },
    indexPattern: `${escapeGlob(prefix)}{*}u`,
    indexRef(key: string): SessionIndexRef | null {
      if (!key.startsWith(`${prefix}{`) || !key.endsWith('}u')) return null;
      const tag = key.slice(prefix.length + 1, -2);
      const routed = tag.length === ROUTING_TAG_LENGTH && /^[A-Za-z0-9_-]+$/.test(tag);
      return routed || tag === UNROUTED_TAG ? indexRefFor(tag) : null;
    },
    revocationsByExpiry: `${prefix}{rv}e`,
    revocationNotBefore: `${prefix}{rv}n`,
    signingKeys: `${prefix}{keys}`,
    signingKeysByActivation: `${prefix}{keys}at`,
    rateLimit: (key: string): string => `${rateLimitStart}${key}}`,
    rateLimitPattern: `${escapeGlob(rateLimitStart)}*}`,
    isRateLimitKey: (key: string): boolean => key.startsWith(rateLimitStart) && key.endsWith('}'),
    channel: `${prefix}revocations`,
  };
}
