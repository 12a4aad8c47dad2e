/**
 * The bounded cache of verified tokens, keyed by the exact token text. FIFO: a ring of the last
 * `capacity` inserted tokens decides eviction, so an insert is O(1) (a Map iterator would have to
 * skip every deleted slot to find the oldest entry). Hits are not re-ordered, so a hit stays one
 * lookup; access tokens live minutes, so insertion order is close to expiry order anyway, and a
 * token evicted early costs one more full verification, nothing else. (Two generations of Maps
 * dropped whole, which saves the delete per insert, measured no faster: the young Map's growth
 * costs what the deletes did.)
 */

/** A bounded map from token text to what its verification established. */
export class VerifiedTokenCache<V> {
  private readonly entries = new Map<string, V>();
  private readonly ring: (string | undefined)[] = [];
  private next = 0;

  /** `capacity` ≥ 1: the cache never holds more than `capacity` tokens. */
  constructor(private readonly capacity: number) {}

  /** The cached value for exactly this token text, if any. */
  get(token: string): V | undefined {
    return this.entries.get(token);
  }

  /** Caches a token that is not cached yet (callers look it up first), evicting the oldest. */
  add(token: string, value: V): void {
    // Every cached token sits in some ring slot, so the Map never outgrows the ring. A slot may
    // name a token already deleted (expired, key replaced); deleting it again is harmless.
    const evicted = this.ring[this.next];
    if (evicted !== undefined) this.entries.delete(evicted);
    this.ring[this.next] = token;
    this.next = this.next + 1 === this.capacity ? 0 : this.next + 1;
    this.entries.set(token, value);
  }

  /** Forgets a token (expired, or its key was replaced). */
  delete(token: string): void {
    this.entries.delete(token);
  }

  /** Tokens currently cached. */
  get size(): number {
    return this.entries.size;
  }
}
