import { readFileSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';

/**
 * Whole-machine CPU accounting from /proc/stat, to see noisy neighbours: on a small shared VM
 * another process (a test run, a build) steals the cores the benchmark pinned its processes
 * to, and the figures silently drop. The harness waits for a quiet machine before each
 * measurement and reports how much CPU *other* processes used during it.
 */

const TICKS_PER_SECOND = 100;

/** Busy and steal jiffies summed over all CPUs, or null off Linux. */
export function readMachineTicks() {
  if (process.platform !== 'linux') return null;
  try {
    const line = readFileSync('/proc/stat', 'utf8').split('\n', 1)[0];
    const [user, nice, system, idle, iowait, irq, softirq, steal] = line.trim().split(/\s+/).slice(1).map(Number);
    return { busy: user + nice + system + irq + softirq, idle: idle + iowait, steal: steal || 0 };
  } catch {
    return null;
  }
}

/** Cores' worth of busy time between two readings over `seconds`. */
export function busyCores(before, after, seconds) {
  if (!before || !after || seconds <= 0) return null;
  return (after.busy - before.busy) / TICKS_PER_SECOND / seconds;
}

/** Cores' worth of hypervisor steal between two readings (time the VM wanted but did not get). */
export function stealCores(before, after, seconds) {
  if (!before || !after || seconds <= 0) return null;
  return (after.steal - before.steal) / TICKS_PER_SECOND / seconds;
}

/**
 * Waits until the machine is quiet: busy time of everything below `threshold` cores over a
 * `sampleMs` window, for at most `maxWaitMs`. Returns `{ quiet, waitedMs, busy }`.
 */
export async function waitForQuiet({ threshold = 0.15, sampleMs = 300, maxWaitMs = 60_000 } = {}) {
  const started = Date.now();
  let busy;
  for (;;) {
    const before = readMachineTicks();
    if (!before) return { quiet: true, waitedMs: 0, busy: null };
    await sleep(sampleMs);
    busy = busyCores(before, readMachineTicks(), sampleMs / 1000);
    if (busy !== null && busy < threshold) return { quiet: true, waitedMs: Date.now() - started, busy };
    if (Date.now() - started >= maxWaitMs) return { quiet: false, waitedMs: Date.now() - started, busy };
  }
}
