/**
 * The bounded cache of verified tokens. A hit requires the exact token text, but the Map is keyed
 * by a 30-bit number read from five characters near the token's end — signature characters,
 * uniformly random for every token we could have issued — because a token arrives as a fresh
 * string on every request: a string key would be hashed character by character (or sliced and
 * then hashed) on each lookup, while a small-integer key costs five character reads and no
 * allocation. The full text is compared on a hit, so a token that merely shares those characters
 * is a miss, never a hit; two cached tokens that share a key only evict each other early (on
 * average fewer than one such pair among 10 000 cached tokens), which costs one more full
 * verification.
 *
 * FIFO: a ring of the last `capacity` inserted keys decides eviction, so an insert is O(1) (a Map
 * iterator would have to skip every deleted slot to find the oldest entry). Hits are not
 * re-ordered, so a hit stays one lookup; access tokens live minutes, so insertion order is close
 * to expiry order anyway, and a token evicted early costs one more full verification, nothing
 * else. (Two generations of Maps dropped whole, which saves the delete per insert, measured no
 * faster: the young Map's growth costs what the deletes did.)
 */

/** What the cache stores: anything that remembers the exact token text it was made for. */
export interface CachedToken {
  readonly token: string;
}

/**
 * Five characters before the last one (the last base64url character of a signature carries only
 * a few bits), six bits of each character code: a non-negative small integer (a V8 Smi). Any string works; only tokens that
 * verified are ever added, and a lookup of anything else simply misses.
 */
function keyOf(token: string): number {
  const end = token.length - 1;
  let key = 0;
  for (let i = end - 5; i < end; i++) {
    key = ((key << 6) | (i >= 0 ? token.charCodeAt(i) & 0x3f : 0)) & 0x3fffffff;
  }
  return key;
}

/** A bounded map from exact token text to what its verification established. */
export class VerifiedTokenCache<V extends CachedToken> {
  private readonly entries = new Map<number, V>();
  private readonly ring: (number | undefined)[] = [];
  private next = 0;

  /** `capacity` ≥ 1: the cache never holds more than `capacity` tokens. */
  constructor(private readonly capacity: number) {}

  /** The cached value for exactly this token text, if any. */
  get(token: string): V | undefined {
    const entry = this.entries.get(keyOf(token));
    return entry !== undefined && entry.token === token ? entry : undefined;
  }

  /**
   * Caches a verified token, evicting the oldest insert. A token sharing the key of a cached one
   * replaces it (the older one will simply be verified in full next time).
   */
  add(entry: V): void {
    // Every cached entry's key sits in some ring slot, so the Map never outgrows the ring. A slot
    // may name a key already deleted or replaced; deleting it then only evicts a little early.
    const evicted = this.ring[this.next];
    if (evicted !== undefined) this.entries.delete(evicted);
    const key = keyOf(entry.token);
    this.ring[this.next] = key;
    this.next = this.next + 1 === this.capacity ? 0 : this.next + 1;
    this.entries.set(key, entry);
  }

  /** Forgets this exact token (expired, or its key was replaced). */
  delete(token: string): void {
    const key = keyOf(token);
    if (this.entries.get(key)?.token === token) this.entries.delete(key);
  }

  /** Tokens currently cached. */
  get size(): number {
    return this.entries.size;
  }
}
