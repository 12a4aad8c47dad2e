/**
 * Interleaved measurement with a suite's own load generator, for loads a fixed autocannon
 * request cannot express (the refresh chain). Same method as bench/lib/measure.mjs — warm-up,
 * then rounds A, B, C, then B, C, A, … (rotating), the median of each target's rounds, a quiet-machine gate before
 * each measurement, CPU accounting of every process involved, contaminated measurements redone,
 * any non-2xx response failing the run — and the same figures shape, so bench/lib/report.mjs
 * prints it alike. Differences: `load` is any handle with `{ pid, run(options) }`, and a target
 * names extra processes as groups (`pidGroups: { redis: [pid] }`, or pids found at the end of
 * the run), since PostgreSQL serves a connection pool with one backend process per connection,
 * and the pool opens and closes them as it likes.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { readCpuSeconds } from '../../lib/cpu.mjs';
import { busyCores, readMachineTicks, stealCores, waitForQuiet } from '../../lib/machine.mjs';
import { median, medianOrNull } from '../../lib/stats.mjs';

const PAUSE_BETWEEN_RUNS_MS = 250;

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
  const flags = { waitedMs: 0, notQuiet: 0, redone: 0, keptContaminated: 0 };

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

  const runOnce = async (target, seconds, phase) => {
    for (let attempt = 0; ; attempt++) {
      await sleep(PAUSE_BETWEEN_RUNS_MS);
      if (options.quietWait > 0) {
        const gate = await waitForQuiet({ threshold: options.quietThreshold, maxWaitMs: options.quietWait * 1000 });
        flags.waitedMs += gate.waitedMs;
        if (!gate.quiet) {
          flags.notQuiet++;
          ctx.log(`  machine still busy (${gate.busy?.toFixed(2)} cores used by others) after ${options.quietWait} s; measuring anyway`);
        }
      }
      const result = await measureOnce(target, seconds, phase);
      const others = result.cpu.others;
      if (phase === 'warm-up' || others === null || others <= options.contaminated) return result;
      if (attempt >= options.maxRetries) {
        flags.keptContaminated++;
        ctx.log(`  ${target.label} ${phase}: other processes used ${others.toFixed(2)} cores; kept after ${attempt} retries (flagged)`);
        return { ...result, contaminated: true };
      }
      flags.redone++;
      ctx.log(`  ${target.label} ${phase}: other processes used ${others.toFixed(2)} cores; redoing it`);
    }
  };

  if (options.warmup > 0) {
    for (const target of targets) {
      ctx.log(`  warm-up ${target.label} (${options.warmup} s)`);
      await runOnce(target, options.warmup, 'warm-up');
    }
  }
  const rounds = new Map(targets.map((t) => [t.key, []]));
  for (let round = 1; round <= options.rounds; round++) {
    const line = [];
    // Each round starts one target later, so none always runs first or last.
    const shift = (round - 1) % targets.length;
    for (const target of [...targets.slice(shift), ...targets.slice(0, shift)]) {
      const result = await runOnce(target, options.duration, `round ${round}`);
      rounds.get(target.key).push(result);
      line.push(`${target.label} ${Math.round(result.okPerSecond)}`);
    }
    ctx.log(`  round ${round}/${options.rounds}: ${line.join(' | ')} req/s`);
  }

  const figures = Object.fromEntries(
    targets.map((target) => {
      const runs = rounds.get(target.key);
      const perSecond = runs.map((r) => r.okPerSecond);
      const cpuNames = Object.keys(runs[0].cpu);
      return [
        target.key,
        {
          label: target.label,
          median: median(perSecond),
          rounds: perSecond.map((v) => Math.round(v)),
          min: Math.min(...perSecond),
          max: Math.max(...perSecond),
          latencyMs: { p50: median(runs.map((r) => r.latencyMs.p50)), p99: median(runs.map((r) => r.latencyMs.p99)) },
          cpu: Object.fromEntries(cpuNames.map((name) => [name, medianOrNull(runs.map((r) => r.cpu[name]))])),
          serverCpuUsPerRequest: medianOrNull(runs.map((r) => (r.cpu.server === null ? null : (r.cpu.server / r.okPerSecond) * 1e6))),
          contaminatedRounds: runs.filter((r) => r.contaminated).length,
          responses: runs.reduce((sum, r) => sum + r.ok, 0),
          resynced: runs.reduce((sum, r) => sum + (r.resynced ?? 0), 0),
          retired: runs.reduce((sum, r) => sum + (r.retired ?? 0), 0),
        },
      ];
    }),
  );
  return Object.defineProperty(figures, 'noise', { value: flags, enumerable: false });
}
