import { setTimeout as sleep } from 'node:timers/promises';
import { startCpuMeter } from './cpu.mjs';
import { busyCores, readMachineTicks, stealCores, waitForQuiet } from './machine.mjs';
import { median, medianOrNull } from './stats.mjs';

/**
 * Interleaved measurement: every target is warmed up once, then measured round after round,
 * each round starting one target later (round 1: A, B, C; round 2: B, C, A; round 3: C, A, B;
 * …), so slow drift of a shared machine (noisy neighbours, thermal limits, a burst of
 * background work) lands on every target alike, and no target always runs first or last in a
 * round. Each target's figure is the median of its rounds, and ratios are computed from those
 * medians.
 *
 * Only 2xx responses count, and any non-2xx response, socket error or timeout fails the run:
 * a fast stream of 401s measures nothing.
 *
 * Noisy neighbours: before each measurement the harness waits for the machine to be quiet, and
 * it measures how much CPU processes other than the server, the load generator, the harness and
 * the target's helpers (Redis) used during it; a measurement where they used more than
 * `options.contaminated` cores is discarded and redone (at most `options.maxRetries` times, then
 * kept and flagged).
 */

const PAUSE_BETWEEN_RUNS_MS = 250;

function describeExit(server) {
  const status = server.exitStatus;
  if (!status) return 'exit status unknown';
  return status.signal ? `killed by ${status.signal}` : `exit code ${status.code}`;
}

/**
 * A target: `{ key, label, server, request: { path, method?, headers?, body? }, pids? }` where
 * `server` is a handle from ctx.startServer and `pids` names extra processes whose CPU is part
 * of the target (e.g. `{ redis: 1234 }`) and reported.
 */
export async function measureInterleaved(ctx, targets) {
  const { options, loadGenerator } = ctx;

  const measureOnce = async (target, seconds, phase) => {
    if (!target.server.alive) throw new Error(`${target.label}: the server process died (${describeExit(target.server)})`);
    const pids = { server: target.server.pid, load: loadGenerator.pid, harness: process.pid, ...(target.pids ?? {}) };
    const meter = startCpuMeter(pids);
    const machineBefore = readMachineTicks();
    const started = process.hrtime.bigint();
    const result = await loadGenerator.run({
      url: new URL(target.request.path, target.server.url).href,
      method: target.request.method ?? 'GET',
      headers: target.request.headers ?? {},
      ...(target.request.body !== undefined ? { body: target.request.body } : {}),
      connections: options.connections,
      pipelining: options.pipelining,
      duration: seconds,
    });
    const wall = Number(process.hrtime.bigint() - started) / 1e9;
    const cpu = meter.stop();
    const machineAfter = readMachineTicks();
    const machine = busyCores(machineBefore, machineAfter, wall);
    const ours = Object.values(cpu).reduce((sum, v) => (v === null ? sum : sum + v), 0);
    cpu.others = machine === null ? null : Math.max(0, machine - ours);
    cpu.steal = stealCores(machineBefore, machineAfter, wall);
    delete cpu.harness;
    if (!target.server.alive) throw new Error(`${target.label}: the server process died during the ${phase} (${describeExit(target.server)})`);
    if (result.non2xx > 0 || result.errors > 0 || result.timeouts > 0 || result.ok === 0) {
      throw new Error(
        `${target.label}: ${phase} had ${result.non2xx} non-2xx responses, ${result.errors} socket errors and ` +
          `${result.timeouts} timeouts (${result.ok} 2xx; status codes ${JSON.stringify(result.statusCodes)}). ` +
          'Only 2xx responses may be measured.',
      );
    }
    return { ...result, cpu };
  };

  return runRounds(ctx, targets, measureOnce);
}

/**
 * The method every measurement shares, around a `measureOnce(target, seconds, phase)` that
 * returns `{ okPerSecond, ok, latencyMs, cpu, … }`: the quiet-machine gate and the redo of
 * contaminated measurements, the warm-up, the rotating rounds and the figures per target.
 * `extraFigures(runs)` adds a caller's own sums to each target's figures.
 */
export async function runRounds(ctx, targets, measureOnce, extraFigures = () => ({})) {
  const { options } = ctx;
  const flags = { waitedMs: 0, notQuiet: 0, redone: 0, keptContaminated: 0 };
  const runOnce = async (target, seconds, phase) => {
    for (let attempt = 0; ; attempt++) {
      await sleep(PAUSE_BETWEEN_RUNS_MS);
      if (options.quietWait > 0) {
        const gate = await waitForQuiet({ threshold: options.quietThreshold, maxWaitMs: options.quietWait * 1000 });
        flags.waitedMs += gate.waitedMs;
        if (!gate.quiet) {
          flags.notQuiet++;
          ctx.log(`  machine still busy (${gate.busy?.toFixed(2)} cores used by others) after ${options.quietWait} s; measuring anyway`);
        } else if (gate.waitedMs > 1_000) {
          ctx.log(`  waited ${(gate.waitedMs / 1000).toFixed(1)} s for a quiet machine`);
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
          // Unrounded, in round order, for paired per-round ratios (stats.mjs pairedRatio).
          roundValues: perSecond,
          min: Math.min(...perSecond),
          max: Math.max(...perSecond),
          latencyMs: {
            p50: median(runs.map((r) => r.latencyMs.p50)),
            p99: median(runs.map((r) => r.latencyMs.p99)),
          },
          cpu: Object.fromEntries(cpuNames.map((name) => [name, medianOrNull(runs.map((r) => r.cpu[name]))])),
          // Server CPU time per response: the cost of one request to the server, which does not
          // depend on whether the server or the load generator was the bottleneck.
          serverCpuUsPerRequest: medianOrNull(runs.map((r) => (r.cpu.server === null ? null : (r.cpu.server / r.okPerSecond) * 1e6))),
          contaminatedRounds: runs.filter((r) => r.contaminated).length,
          responses: runs.reduce((sum, r) => sum + r.ok, 0),
          ...extraFigures(runs),
        },
      ];
    }),
  );
  return Object.defineProperty(figures, 'noise', { value: flags, enumerable: false });
}

/** The report notes that say how noisy a measurement was (from `figures.noise`). */
export function noiseNotes(noise) {
  const notes = [];
  if (noise.waitedMs > 1_000) notes.push(`waited ${(noise.waitedMs / 1000).toFixed(0)} s in all for a quiet machine`);
  if (noise.redone > 0) notes.push(`${noise.redone} measurement(s) redone because other processes used CPU during them`);
  if (noise.keptContaminated > 0 || noise.notQuiet > 0) {
    notes.push(`NOISY: ${noise.keptContaminated} round(s) kept although other processes used CPU, ${noise.notQuiet} started on a busy machine`);
  }
  return notes;
}
