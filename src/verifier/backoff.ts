/**
 * Reconnect pacing for the verifier's background work. Jitter matters: when Tessera restarts,
 * every verifier of every service loses its feed at the same instant, and without jitter they
 * would all reconnect in lock-step waves.
 */

const BASE_MS = 100;
const CAP_MS = 5_000;

/** Delay before retry number `attempt` (0-based): exponential from 100 ms to 5 s, half jittered. */
export function backoffDelay(attempt: number, random: () => number = Math.random): number {
  const ceiling = Math.min(CAP_MS, BASE_MS * 2 ** Math.min(attempt, 16));
  return ceiling / 2 + random() * (ceiling / 2);
}

/** Resolves after `ms`, or early when `signal` aborts; never rejects. The timer is unref'd. */
export function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) {
      resolve();
      return;
    }
    const done = (): void => {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    // A verifier waiting to retry must not keep the service's process alive on its own.
    timer.unref();
    signal.addEventListener('abort', done, { once: true });
  });
}
