import { ConfigurationError } from '../../core/errors.js';
import { ROUTING_TAG_LENGTH, isSessionId, sessionRoutingTag } from '../../core/session-token.js';

/**
 * The key layout (P = the key prefix, default `tessera:`; `indexTagChars` = k, default 2).
 * Everything a single Lua script touches shares one hash tag, so every script runs on one
 * Redis Cluster slot:
 *
 * | key | type | holds |
 * | --- | --- | --- |
 * | `P{T}:<F>` | string | one session (compact value, see session-codec.ts), TTL = its end + grace |
 * | `P{T}u` | hash | index of the sessions whose id starts with T: field = F, value empty |
 * | `P{~}:<sid>`, `P{~}u` | | the same for ids that are not Tessera session ids (tests, imports): F = sid |
 * | `P{rv}e` / `P{rv}n` | zset / hash | revocations: `kind:value` scored by expiresAt / `sub:value` → notBefore |
 * | `P{keys}` / `P{keys}at` | hash / hash | signing keys: kid → JSON / activatesAt → kid |
 * | `P{rl:<key>}` | string | one rate-limit counter `count:resetAt`, TTL = until resetAt |
 * | channel `Prevocations` | pub/sub | the revocation bus |
 *
 * Every Tessera session id starts with its user's 4-character routing tag
 * (`sessionRoutingTag(userId)`, 24 bits of SHA-256 of the user id). T is the id's first k
 * characters and F the rest (sid = T + F). So a session, found by its id alone, shares a slot
 * with the index that lists it — and with every other session of its user, since they all carry
 * the same tag. The session key is the index's stem (`P{T}:`) + the index field: scripts walking
 * an index name the session keys from it.
 *
 * The index is per k-character tag prefix, not per user: with k = 2 there are 64² = 4096
 * indexes, shared by all users whose tags start alike. That is what keeps memory per session
 * low: a per-user (or per-24-bit-tag) index costs a whole key (~120–140 B) for each user, and
 * most users have one session. `listUserSessions`/`deleteUserSessions` read the one index hash
 * of the user's tag (HKEYS), skip fields that do not start with the rest of the user's tag (F's
 * first 4 − k characters: 12 more bits of the user's hash, so the field doubles as a short
 * user-id hash and the value can stay empty), GET only the few that do and check the user id in
 * their values.
 *
 * Scale: an index hash stays a compact listpack (≈ 28 B per entry for a 24-character field and
 * an empty value; bench/suites/redis-memory.mjs measures ≈ 33 B per session with the keys'
 * overhead) while it has at most `hash-max-listpack-entries` entries — Redis 7's default is 512
 * (128 is the zset default); the fields are far below `hash-max-listpack-value` (64). With
 * k = 2 an index holds ≈ 25 sessions at 100,000 sessions; the first indexes outgrow 512 at
 * about 1.8 million sessions and most by 2.3 million (with the limit at 128: from about
 * 400,000). An outgrown index becomes a hashtable, ≈ 85 B per entry instead of 28: measured
 * +58 B per session (352 instead of 294 B with every index converted). Listing then walks a few
 * hundred or thousand fields per call (string compares in Lua, no GETs), still O(index), and a
 * create or delete edits a listpack of up to 512 × 28 B. Deployments of tens of millions of
 * sessions can choose k = 3 (262,144 indexes, listpacks up to ≈ 130 million sessions, but
 * ~120 B per index key until each holds several sessions); k = 4 is one index per routing tag
 * (the old layout, a key per user); k = 1 gives only 64 slots. k is part of the key layout:
 * every node must use the same value, and changing it leaves the sessions stored under the old
 * one unreachable.
 */

/** The tag of session ids that do not carry a routing tag: one shared slot. */
export const UNROUTED_TAG = '~';

/** Default characters of the routing tag in the hash tag of session and index keys (4096 indexes). */
export const DEFAULT_INDEX_TAG_CHARS = 2;

/** Where one session lives. */
export interface SessionPlace {
  /** The session key: the index's stem + `field`. */
  readonly key: string;
  readonly indexKey: string;
  /** The session's field in the index: its id without the tag characters in the hash tag. */
  readonly field: string;
}

/** How scripts walking an index name the sessions in it: key = stem + field, id = idPrefix + field. */
export interface SessionIndexRef {
  /** The index key. */
  readonly key: string;
  readonly stem: string;
  /** The hash tag's characters that the fields leave out (empty for the unrouted index). */
  readonly idPrefix: string;
}

/** An index that can hold a user's sessions, and how its fields of that user start. */
export interface UserIndexRef extends SessionIndexRef {
  /** Every field of one of the user's sessions starts with this (the rest of the routing tag). */
  readonly fieldPrefix: string;
}

/** Every key name the Redis stores use, for one prefix. */
export interface RedisKeyLayout {
  readonly prefix: string;
  /** Characters of the routing tag in the hash tag of session and index keys. */
  readonly indexTagChars: number;
  session(sid: string): SessionPlace;
  /** The indexes that can hold a user's sessions: their routed tag's and the unrouted one. */
  userIndexes(userId: string): readonly UserIndexRef[];
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
 * True when a session of `userId` may have id `sid`: unrouted ids always (they share one
 * slot), Tessera ids only when they carry the user's whole routing tag — otherwise the session
 * would sit in a slot its user's listing never looks at, or escape the listing's tag filter.
 */
export function isRoutedTo(sid: string, userId: string): boolean {
  return !isSessionId(sid) || sid.slice(0, ROUTING_TAG_LENGTH) === sessionRoutingTag(userId);
}

/**
 * Builds the layout; throws `ConfigurationError` for a prefix with hash-tag braces or an
 * `indexTagChars` that is not an integer from 1 to 4.
 */
export function createKeyLayout(prefix: string, indexTagChars = DEFAULT_INDEX_TAG_CHARS): RedisKeyLayout {
  // A brace in the prefix would become the hash tag of every key: one slot for everything.
  if (/[{}]/.test(prefix)) throw new ConfigurationError('The Redis key prefix must not contain { or }.');
  if (!Number.isInteger(indexTagChars) || indexTagChars < 1 || indexTagChars > ROUTING_TAG_LENGTH) {
    throw new ConfigurationError(`indexTagChars must be an integer from 1 to ${ROUTING_TAG_LENGTH}.`);
  }
  const k = indexTagChars;
  const indexRefFor = (tag: string): SessionIndexRef => ({
    key: `${prefix}{${tag}}u`,
    stem: `${prefix}{${tag}}:`,
    // A routed id starts with its tag, already in the key's hash tag: fields and names drop it.
    idPrefix: tag === UNROUTED_TAG ? '' : tag,
  });
  const rateLimitStart = `${prefix}{rl:`;
  return {
    prefix,
    indexTagChars,
    session(sid: string): SessionPlace {
      const routed = isSessionId(sid);
      const ref = indexRefFor(routed ? sid.slice(0, k) : UNROUTED_TAG);
      const field = routed ? sid.slice(k) : sid;
      return { key: ref.stem + field, indexKey: ref.key, field };
    },
    userIndexes(userId: string): readonly UserIndexRef[] {
      const tag = sessionRoutingTag(userId);
      return [
        { ...indexRefFor(tag.slice(0, k)), fieldPrefix: tag.slice(k) },
        { ...indexRefFor(UNROUTED_TAG), fieldPrefix: '' },
      ];
    },
    indexPattern: `${escapeGlob(prefix)}{*}u`,
    indexRef(key: string): SessionIndexRef | null {
      if (!key.startsWith(`${prefix}{`) || !key.endsWith('}u')) return null;
      const tag = key.slice(prefix.length + 1, -2);
      const routed = tag.length === k && /^[A-Za-z0-9_-]+$/.test(tag);
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
