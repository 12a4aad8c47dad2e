/**
 * The in-memory revocation set every verifier holds (DESIGN §2 "Revocation"). Verification asks
 * it on every call, after the cache, so a lookup is three Map probes and never a network call.
 * Entries key on `sid`, `sub` and `jti` and never on a token's bytes: ECDSA signatures are
 * malleable, so a byte-keyed denylist would miss the twin (r, n−s) of a revoked token (J-14).
 */
import type { Clock } from '../clock.js';
import type { Revocation } from '../model.js';
import type { AccessTokenClaims } from './access-token-claims.js';

/** The claims a revocation decision needs. */
export type RevocationSubject = Pick<AccessTokenClaims, 'sid' | 'sub' | 'jti' | 'iat'>;

/** A live revocation set, kept current by a feed (apply) or a full snapshot. */
export interface RevocationSet {
  /** Adds one entry; a later entry for the same value widens, never narrows, the revocation. */
  apply(entry: Revocation): void;
  /** Replaces the whole set with a snapshot (feed (re)connect). */
  applySnapshot(entries: Iterable<Revocation>): void;
  /** True when the token is revoked by its session, its own jti, or its user's not-before. */
  isRevoked(claims: RevocationSubject): boolean;
  /** Drops entries whose expiresAt has passed: no token they cover can still be valid. */
  sweep(): void;
  /** Number of entries held. */
  readonly size: number;
}

interface SubjectEntry {
  readonly notBefore: number;
  readonly expiresAt: number;
}

/** Creates an empty revocation set; `clock` decides which entries sweep() drops. */
export function createRevocationSet(clock: Clock): RevocationSet {
  let sids = new Map<string, number>();
  let jtis = new Map<string, number>();
  let subs = new Map<string, SubjectEntry>();

  function applyTo(
    target: { sids: Map<string, number>; jtis: Map<string, number>; subs: Map<string, SubjectEntry> },
    entry: Revocation,
  ): void {
    // An entry that has already expired covers no token that can still verify.
    if (entry.expiresAt <= clock.now()) return;
    if (entry.kind === 'sub') {
      const previous = target.subs.get(entry.value);
      // Keep the widest revocation: a replayed or reordered older event must not shorten it.
      target.subs.set(entry.value, {
        notBefore: Math.max(entry.notBefore, previous?.notBefore ?? -Infinity),
        expiresAt: Math.max(entry.expiresAt, previous?.expiresAt ?? -Infinity),
      });
      return;
    }
    const map = entry.kind === 'sid' ? target.sids : target.jtis;
    map.set(entry.value, Math.max(entry.expiresAt, map.get(entry.value) ?? -Infinity));
  }

  function sweepMap<V>(map: Map<string, V>, expiresAt: (value: V) => number, now: number): void {
    for (const [key, value] of map) {
      if (expiresAt(value) <= now) map.delete(key);
    }
  }

  return {
    apply(entry) {
      applyTo({ sids, jtis, subs }, entry);
    },
    applySnapshot(entries) {
      // Built aside and swapped in one step, so a verifier never sees a half-loaded set.
      const next = {
        sids: new Map<string, number>(),
        jtis: new Map<string, number>(),
        subs: new Map<string, SubjectEntry>(),
      };
      for (const entry of entries) applyTo(next, entry);
      ({ sids, jtis, subs } = next);
    },
    isRevoked(claims) {
      // Entries are honoured until swept even past expiresAt: failing closed costs nothing,
      // because a token an expired entry covers has itself expired.
      // Empty maps are skipped: a probe hashes the claim string, which is new on a cold call.
      if (sids.size !== 0 && sids.has(claims.sid)) return true;
      if (jtis.size !== 0 && jtis.has(claims.jti)) return true;
      if (subs.size === 0) return false;
      const subject = subs.get(claims.sub);
      // iat is in seconds, notBefore in milliseconds.
      return subject !== undefined && claims.iat * 1000 < subject.notBefore;
    },
    sweep() {
      const now = clock.now();
      sweepMap(sids, (expiresAt) => expiresAt, now);
      sweepMap(jtis, (expiresAt) => expiresAt, now);
      sweepMap(subs, (entry) => entry.expiresAt, now);
    },
    get size() {
      return sids.size + jtis.size + subs.size;
    },
  };
}
