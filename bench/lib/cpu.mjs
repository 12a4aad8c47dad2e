import { readFileSync } from 'node:fs';

/**
 * CPU time of a process (all its threads) from /proc, in seconds. Used to tell who was the
 * bottleneck: a server near 100% of its core is saturated; a server well below while the load
 * generator is at 100% means the figure measures the load generator, not the server.
 */

const TICKS_PER_SECOND = 100; // USER_HZ on every mainstream Linux build

/** utime + stime of `pid` in seconds, or null when /proc is unavailable. */
export function readCpuSeconds(pid) {
  if (!pid || process.platform !== 'linux') return null;
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The command name (field 2) may contain spaces; fields after its closing parenthesis are fixed.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) / TICKS_PER_SECOND;
  } catch {
    return null;
  }
}

/** Starts a CPU meter over several named pids; `stop()` gives each one's share of one core. */
export function startCpuMeter(pids) {
  const started = process.hrtime.bigint();
  const before = Object.fromEntries(Object.entries(pids).map(([name, pid]) => [name, readCpuSeconds(pid)]));
  return {
    stop() {
      const wall = Number(process.hrtime.bigint() - started) / 1e9;
      const out = {};
      for (const [name, pid] of Object.entries(pids)) {
        const after = readCpuSeconds(pid);
        out[name] = after === null || before[name] === null ? null : (after - before[name]) / wall;
      }
      return out;
    },
  };
}
