import { performance } from 'node:perf_hooks';

/**
 * When a cache must ask its store whether another process changed it (SQLite's
 * `PRAGMA data_version`, a few microseconds of locking syscalls — more than the rest of a
 * cached session check).
 *
 * The answer: at the first use in every event-loop turn, and again whenever the last check is
 * `maxAgeMs` old. A request is read from its socket during some turn, so it is always judged
 * against the store as it was at the start of that turn or later: a change committed by the
 * CLI before the server read the request applies to it unless the commit raced the very turn
 * that read it, and never more than `maxAgeMs` late. Under load one check then covers every
 * request of a turn instead of costing each of them the syscalls.
 */
export type ChangeCheckGate = () => boolean;

/** Creates a gate; `maxAgeMs` 0 checks on every call. */
export function createChangeCheckGate(maxAgeMs: number): ChangeCheckGate {
  if (maxAgeMs <= 0) return () => true;
  let checkedThisTurn = false;
  let checkedAt = 0;
  const endTurn = (): void => {
    checkedThisTurn = false;
  };
  return () => {
    const now = performance.now();
    if (checkedThisTurn && now - checkedAt < maxAgeMs) return false;
    if (!checkedThisTurn) {
      checkedThisTurn = true;
      // The check phase follows this turn's I/O callbacks, so the next turn checks afresh.
      setImmediate(endTurn);
    }
    checkedAt = now;
    return true;
  };
}
