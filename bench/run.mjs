#!/usr/bin/env node
/**
 * Tessera's benchmarks: `npm run bench` (builds first) or `node bench/run.mjs [suite …]`.
 *
 * Every suite in bench/suites/ exports `run(ctx)` → `{ name, results: [{ label, value, unit }],
 * ratios: [{ label, value, target, pass }] }` and measures Tessera against baselines started in
 * the same run, so the claim is the ratio, not the absolute figure. Suites that export
 * `optional = true` run only when named. Results go to the console and to
 * bench/results/latest.json. The exit code is non-zero only when something failed (a server
 * did not start, a check or a response was not 2xx); a missed target is reported as MISSED.
 *
 * Settings (environment): BENCH_DURATION (s per round), BENCH_ROUNDS, BENCH_WARMUP (s),
 * BENCH_CONNECTIONS, BENCH_PIPELINING, BENCH_QUICK=1 (smoke run), BENCH_PIN=0 (no taskset),
 * BENCH_CPU_PROF=<server name> (write V8 CPU profiles of that server to bench/results/profiles;
 * profiling slows it, so the figures of such a run are not comparable), BENCH_REDIS_URL.
 */
import { mkdir, mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { randomBytes } from 'node:crypto';
import { startLoadGenerator } from './lib/load-generator.mjs';
import { measureInterleaved } from './lib/measure.mjs';
import { readOptions } from './lib/options.mjs';
import { detectPinning } from './lib/pinning.mjs';
import { startChild } from './lib/processes.mjs';
import { describeMethod, formatSuite } from './lib/report.mjs';

const benchDir = fileURLToPath(new URL('.', import.meta.url));
const suitesDir = join(benchDir, 'suites');
const serversDir = join(benchDir, 'servers');
const resultsDir = join(benchDir, 'results');

const log = (message) => process.stderr.write(`${message}\n`);

async function discoverSuites() {
  const files = (await readdir(suitesDir)).filter((f) => f.endsWith('.mjs')).sort();
  const suites = [];
  for (const file of files) {
    const module = await import(new URL(`./suites/${file}`, import.meta.url).href);
    if (typeof module.run !== 'function') throw new Error(`bench/suites/${file} does not export run(ctx)`);
    suites.push({ name: file.replace(/\.mjs$/, ''), module });
  }
  return suites;
}

/** Child environment: nothing of the caller's Tessera configuration leaks into a server. */
function cleanEnv(extra) {
  const env = Object.fromEntries(Object.entries(process.env).filter(([key]) => !key.startsWith('TESSERA_') && !key.startsWith('BENCH_TESSERA_')));
  return { ...env, ...extra };
}

async function runSuite(suite, shared) {
  const cleanups = [];
  const ctx = {
    ...shared,
    /** Starts bench/servers/<script> in its own process on the server core; closed after the suite. */
    async startServer({ name, script, env = {}, nodeArgs = [] }) {
      const profile = shared.profileServer && name.includes(shared.profileServer)
        ? ['--cpu-prof', `--cpu-prof-dir=${join(resultsDir, 'profiles')}`, `--cpu-prof-name=${name}-${shared.runId}.cpuprofile`]
        : [];
      if (profile.length > 0) log(`  PROFILING ${name}: its figures in this run are not comparable`);
      const server = await startChild({
        name,
        script: join(serversDir, script),
        env: cleanEnv(env),
        prefix: shared.pinning.server,
        nodeArgs: [...profile, ...nodeArgs],
      });
      cleanups.push(() => server.close());
      return server;
    },
    /** A fresh temporary directory, removed after the suite. */
    async tempDir(prefix = 'tessera-bench-') {
      const dir = await mkdtemp(join(tmpdir(), prefix));
      cleanups.push(() => rm(dir, { recursive: true, force: true }));
      return dir;
    },
    /** Runs `fn` after the suite (last registered, first run), even when the suite failed. */
    onCleanup(fn) {
      cleanups.push(fn);
    },
    /** Interleaved warm-up + rounds over the targets; medians per target (bench/lib/measure.mjs). */
    measure(targets) {
      return measureInterleaved(ctx, targets);
    },
  };

  let outcome;
  try {
    const result = await suite.module.run(ctx);
    outcome = { description: suite.module.description, ...result, name: result?.name ?? suite.name };
    if (!Array.isArray(outcome.results) || !Array.isArray(outcome.ratios)) {
      throw new Error(`suite ${suite.name} returned no results/ratios arrays`);
    }
  } catch (error) {
    outcome = { name: suite.name, description: suite.module.description, results: [], ratios: [], error: error instanceof Error ? error.message : String(error) };
  }
  const cleanupErrors = [];
  for (const cleanup of cleanups.reverse()) {
    try {
      await cleanup();
    } catch (error) {
      cleanupErrors.push(error instanceof Error ? error.message : String(error));
    }
  }
  if (cleanupErrors.length > 0) {
    const message = `clean-up failed: ${cleanupErrors.join('; ')}`;
    outcome.error = outcome.error ? `${outcome.error}; ${message}` : message;
  }
  return outcome;
}

async function main() {
  const options = readOptions();
  const pinning = detectPinning(options.pin);
  const runId = `${Date.now().toString(36)}-${randomBytes(3).toString('hex')}`;
  const meta = {
    runId,
    startedAt: new Date().toISOString(),
    node: process.versions.node,
    platform: `${process.platform} ${process.arch}`,
    cpus: cpus().length,
    cpuModel: cpus()[0]?.model?.trim() ?? 'unknown CPU',
    options,
    pinning: { enabled: pinning.enabled, warning: pinning.warning, serverCore: pinning.enabled ? 0 : null, loadCore: pinning.enabled ? 1 : null },
    loadGenerator: 'autocannon 9 (programmatic, one persistent child process)',
  };

  const all = await discoverSuites();
  const wanted = process.argv.slice(2);
  const unknown = wanted.filter((name) => !all.some((s) => s.name === name));
  if (unknown.length > 0) {
    log(`unknown suite(s): ${unknown.join(', ')}. Available: ${all.map((s) => s.name).join(', ')}`);
    process.exitCode = 2;
    return;
  }
  const selected = wanted.length > 0 ? all.filter((s) => wanted.includes(s.name)) : all.filter((s) => !s.module.optional);

  if (pinning.warning) log(`WARNING: ${pinning.warning}`);
  for (const line of describeMethod(meta)) log(line);

  const loadGenerator = await startLoadGenerator(pinning.load);
  const shared = { options, pinning, runId, log, loadGenerator, profileServer: process.env.BENCH_CPU_PROF || null };
  const outcomes = [];
  let interrupted = false;
  const onSignal = () => {
    interrupted = true;
    log('interrupted: stopping after clean-up');
  };
  process.once('SIGINT', onSignal);
  try {
    for (const suite of selected) {
      if (interrupted) break;
      log(`\n-- ${suite.name}`);
      outcomes.push(await runSuite(suite, shared));
    }
  } finally {
    await loadGenerator.close();
  }

  meta.finishedAt = new Date().toISOString();
  const report = { ...meta, suites: outcomes };
  await mkdir(resultsDir, { recursive: true });
  await writeFile(join(resultsDir, 'latest.json'), `${JSON.stringify(report, null, 2)}\n`);

  console.log('');
  for (const line of describeMethod(meta)) console.log(line);
  for (const outcome of outcomes) console.log(`\n${formatSuite(outcome)}`);
  const ratios = outcomes.flatMap((o) => o.ratios ?? []);
  const missed = ratios.filter((r) => !r.pass);
  const failed = outcomes.filter((o) => o.error);
  console.log(
    `\n${ratios.length - missed.length}/${ratios.length} targets met${missed.length > 0 ? `; MISSED: ${missed.map((r) => r.label).join('; ')}` : ''}` +
      `${failed.length > 0 ? `; ERRORS in ${failed.map((o) => o.name).join(', ')}` : ''}. Written to bench/results/latest.json`,
  );
  if (failed.length > 0 || interrupted) process.exitCode = 1;
}

main().catch((error) => {
  log(error instanceof Error ? (error.stack ?? error.message) : String(error));
  process.exitCode = 1;
});
