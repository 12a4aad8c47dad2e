import { randomBytes } from 'node:crypto';

/** Milliseconds since the epoch. Injected so tests freeze time instead of sleeping. */
export interface Clock {
  now(): number;
}

/** Cryptographically secure random bytes. Injected so tests can make ids predictable. */
export type RandomSource = (size: number) => Uint8Array;

/** The wall clock. */
export const systemClock: Clock = { now: () => Date.now() };

/** `node:crypto` randomBytes: the only randomness Tessera uses for secrets and ids. */
export const secureRandom: RandomSource = (size) => randomBytes(size);

/** A clock tests can move by hand. */
export interface ManualClock extends Clock {
  set(ms: number): void;
  advance(ms: number): void;
}

/** Creates a clock that only moves when told to. */
export function createManualClock(start = Date.UTC(2026, 0, 1)): ManualClock {
  let current = start;
  return {
    now: () => current,
    set: (ms) => {
      current = ms;
    },
    advance: (ms) => {
      current += ms;
    },
  };
}
