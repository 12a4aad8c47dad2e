/**
 * Interleaved measurement with a suite's own load generator, for loads a fixed autocannon
 * request cannot express (the refresh chain). The method itself is bench/lib/measure.mjs's runRounds — warm-up,
 * then rounds A, B, C, then B, C, A, … (rotating), the median of each target's rounds, a quiet-machine gate before
 * each measurement, CPU accounting of every process involved, contaminated measurements redone,
 * any non-2xx response failing the run — and the same figures shape, so bench/lib/report.mjs
 * prints it alike. Differences: `load` is any handle with `{ pid, run(options) }`, and a target
 * names extra processes as groups (`pidGroups: { redis: [pid] }`, or pids found at the end of
 * the run), since PostgreSQL serves a connection pool with one backend process per connection,
 * and the pool opens and closes them as it likes.
 */
import { readCpuSeconds } from '../../lib/cpu.mjs';
import { busyCores, readMachineTicks, stealCores } from '../../lib/machine.mjs';
import { runRounds } from '../../lib/measure.mjs';

/**
 * Like startCpuMeter, over named groups of processes, each group's CPU summed. A group is an
 * array of pids, or `{ before(), after() }` for processes that come and go (a connection pool's
 * database backends): `before()` lists candidates whose CPU is read at the start, `after()`
 * (async) the members at the end; a member that was not a candidate started during the run and
 * counts from zero.
 */
function startGroupMeter(groups) {
  const started = process.hrtime.bigint();
  const listBefore = (group) => (Array.isArray(group) ? group : group.before());
  const before = Object.fromEntries(
    Object.entries(groups).map(([name, group]) => [name, new Map(listBefore(group).map((pid) => [pid, readCpuSeconds(pid)]))]),
  );
  return {
    async stop() {
      const wall = Number(process.hrtime.bigint() - started) / 1e9;
      const out = {};
      for (const [name, group] of Object.entries(groups)) {
        const members = Array.isArray(group) ? group : await group.after();
        let sum = 0;
        let known = false;
        for (const pid of members) {
          const after = readCpuSeconds(pid);
          const start = before[name].has(pid) ? before[name].get(pid) : 0;
          if (after !== null && start !== null) {
            sum += after - start;
            known = true;
          }
        }
        out[name] = known ? sum / wall : null;
      }
      return out;
    },
  };
}

/**
 * Targets: `{ key, label, server, load: options for load.run (url etc. without duration),
 * pidGroups? }`. Returns figures per key as bench/lib/measure.mjs does (with `noise`).
 */
export async function measureCustom(ctx, load, targets) {
  const { options } = ctx;

  const measureOnce = async (target, seconds, phase) => {
    if (!target.server.alive) throw new Error(`${target.label}: the server process died`);
    const groups = { server: [target.server.pid], load: [load.pid], harness: [process.pid], ...(target.pidGroups ?? {}) };
    const meter = startGroupMeter(groups);
    const machineBefore = readMachineTicks();
    const started = process.hrtime.bigint();
    const result = await load.run({ ...target.load, connections: options.connections, pipelining: 1, duration: seconds });
    const wall = Number(process.hrtime.bigint() - started) / 1e9;
    const machineAfter = readMachineTicks();
    const cpu = await meter.stop();
    const machine = busyCores(machineBefore, machineAfter, wall);
    const ours = Object.values(cpu).reduce((sum, v) => (v === null ? sum : sum + v), 0);
    cpu.others = machine === null ? null : Math.max(0, machine - ours);
    cpu.steal = stealCores(machineBefore, machineAfter, wall);
    delete cpu.harness;
    if (!target.server.alive) throw new Error(`${target.label}: the server process died during the ${phase}`);
    if (result.non2xx > 0 || result.errors > 0 || result.timeouts > 0 || result.ok === 0 || result.unexpectedBodies > 0) {
      throw new Error(
        `${target.label}: ${phase} had ${result.non2xx} non-2xx responses, ${result.errors} socket errors, ${result.timeouts} timeouts ` +
          `and ${result.unexpectedBodies ?? 0} unexpected bodies (${result.ok} 2xx; status codes ${JSON.stringify(result.statusCodes)}` +
          `${result.failures?.length ? `; first answers: ${result.failures.join(' | ')}` : ''}). Only 2xx responses may be measured.`,
      );
    }
    return { ...result, cpu };
  };

  return runRounds(ctx, targets, measureOnce, (runs) => ({
    resynced: runs.reduce((sum, r) => sum + (r.resynced ?? 0), 0),
    retired: runs.reduce((sum, r) => sum + (r.retired ?? 0), 0),
  }));
}
