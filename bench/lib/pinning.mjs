import { spawnSync } from 'node:child_process';
import { availableParallelism } from 'node:os';

/**
 * CPU pinning: servers on core 0, the load generator on core 1, so the two never fight over
 * one core and the ratios do not depend on where the scheduler happened to put them. Without
 * `taskset` (or with fewer than two cores) everything runs unpinned and the report says so.
 */

export const SERVER_CORE = 0;
export const LOAD_CORE = 1;

/** Decides how to pin; returns command prefixes and a warning when pinning is off. */
export function detectPinning(wanted = true) {
  const unpinned = (warning) => ({ enabled: false, warning, server: [], load: [] });
  if (!wanted) return unpinned('pinning disabled by BENCH_PIN=0: servers and load generator share all cores');
  if (process.platform !== 'linux') return unpinned(`no CPU pinning on ${process.platform}: figures are noisier`);
  if (availableParallelism() < 2) return unpinned('fewer than 2 cores: server and load generator share one core');
  const probe = spawnSync('taskset', ['-c', String(LOAD_CORE), 'true'], { stdio: 'ignore' });
  if (probe.error || probe.status !== 0) {
    return unpinned('taskset not found (util-linux): running unpinned, figures are noisier');
  }
  return {
    enabled: true,
    warning: null,
    server: ['taskset', '-c', String(SERVER_CORE)],
    load: ['taskset', '-c', String(LOAD_CORE)],
  };
}

/** [command, args] for running a Node script behind an optional pinning prefix. */
export function nodeCommand(prefix, script, nodeArgs = []) {
  const argv = [...prefix, process.execPath, ...nodeArgs, script];
  return [argv[0], argv.slice(1)];
}
