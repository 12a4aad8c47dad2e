/**
 * Benchmark settings from the environment. Full mode is the default; BENCH_QUICK=1 is a smoke
 * run (about a second per measurement) that checks the harness, not the figures.
 */

function readNumber(env, name, fallback, { integer = false, min = 0 } = {}) {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isFinite(value) || value < min || (integer && !Number.isInteger(value))) {
    throw new Error(`${name}="${raw}" must be ${integer ? 'a whole number' : 'a number'} ≥ ${min}.`);
  }
  return value;
}

/** The run's settings: durations in seconds. */
export function readOptions(env = process.env) {
  const quick = ['1', 'true', 'yes', 'on'].includes(String(env.BENCH_QUICK ?? '').toLowerCase());
  const defaults = quick
    ? { duration: 1, rounds: 1, warmup: 0.5 }
    : { duration: 3, rounds: 11, warmup: 2 };
  return {
    quick,
    duration: readNumber(env, 'BENCH_DURATION', defaults.duration, { min: 0.5 }),
    rounds: readNumber(env, 'BENCH_ROUNDS', defaults.rounds, { integer: true, min: 1 }),
    warmup: readNumber(env, 'BENCH_WARMUP', defaults.warmup, { min: 0 }),
    connections: readNumber(env, 'BENCH_CONNECTIONS', 50, { integer: true, min: 1 }),
    pipelining: readNumber(env, 'BENCH_PIPELINING', 1, { integer: true, min: 1 }),
    // Noisy-neighbour guard: wait (at most quietWait s) until everything on the machine uses less
    // than quietThreshold cores before a measurement, and redo a measurement (at most
    // maxRetries times) when other processes used more than contaminated cores during it.
    quietThreshold: readNumber(env, 'BENCH_QUIET_THRESHOLD', 0.15, { min: 0 }),
    quietWait: readNumber(env, 'BENCH_QUIET_WAIT', quick ? 5 : 30, { min: 0 }),
    contaminated: readNumber(env, 'BENCH_CONTAMINATED', 0.2, { min: 0 }),
    maxRetries: readNumber(env, 'BENCH_RETRIES', quick ? 0 : 2, { integer: true, min: 0 }),
    pin: !['0', 'false', 'no', 'off'].includes(String(env.BENCH_PIN ?? '').toLowerCase()),
  };
}
