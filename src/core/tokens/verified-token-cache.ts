/**
 * The bounded cache of verified tokens. A hit requires the exact token text, but the Map is keyed
 * by the token's last 32 characters — part of the signature, so practically unique — because a
 * token arrives as a fresh string on every request and V8 hashes every character of a string
 * used as a Map key: a 32-character key costs a tenth of a whole 400-character token. The full
 * text is compared on a hit, so a token that merely shares the suffix is a miss, never a hit.
 *
 * FIFO: a ring of the last `capacity` inserted keys decides eviction, so an insert is O(1) (a Map
 * iterator would have to skip every deleted slot to find the oldest entry). Hits are not
 * re-ordered, so a hit stays one lookup; access tokens live minutes, so insertion order is close
 * to expiry order anyway, and a token evicted early costs one more full verification, nothing
 * else. (Two generations of Maps dropped whole, which saves the delete per insert, measured no
 * faster: the young Map's growth costs what the deletes did.)
 */

/** Characters of the token's end used as the Map key. */
const KEY_LENGTH = 32;

/** What the cache stores: anything that remembers the exact token text it was made for. */
export interface CachedToken {
  readonly token: string;
}

function keyOf(token: string): string {
  return token.length <= KEY_LENGTH ? token : token.slice(token.length - KEY_LENGTH);
}

/** A bounded map from exact token text to what its verification established. */
export class VerifiedTokenCache<V extends CachedToken> {
  private readonly entries = new Map<string, V>();
  private readonly ring: (string | undefined)[] = [];
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
