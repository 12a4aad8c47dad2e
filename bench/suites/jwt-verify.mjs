/**
 * Issue 3: access-token verification throughput, in-process, no HTTP. Tessera's verifier — the
 * core `createAccessTokenVerifier` over a key-ring lookup, and `createVerifier().verifySync` from
 * `tessera/verifier` as other services run it — against raw node:crypto ES256 verify (the floor
 * every verifier pays), jose `jwtVerify`, fast-jwt (cache off, and cache on for the warm case) and
 * jsonwebtoken, on the same ES256 tokens shaped like Tessera's (`typ: at+jwt`, `kid`).
 *
 *   cold: 20,000 distinct tokens cycled in order through a full cache half that size, so every
 *         call is a full verification — target ≥ 0.9× raw node:crypto
 *   warm: 1,000 repeat tokens, a fresh string per call — target ≥ 10× raw node:crypto
 *
 * The measuring runs in one child pinned to the server core (bench/suites/support/verify-worker.mjs,
 * the method of bench/verify-micro.mjs): short slices interleaved round by round with the order
 * rotating, ops per CPU second of that process, medians; each ratio is the median of the
 * per-round ratios (numerator and denominator measured moments apart).
 */
import { ask, startHelper } from './support/children.mjs';

export const description = 'ES256 access-token verification ops/s: Tessera vs raw node:crypto, jose, fast-jwt, jsonwebtoken (cold and warm)';

const COLD_TARGET = 0.9;
const WARM_TARGET = 10;

export async function run(ctx) {
  const { options } = ctx;
  const settings = {
    sliceSeconds: Number(process.env.BENCH_VERIFY_SLICE_MS ?? (options.quick ? 100 : 150)) / 1000,
    rounds: Number(process.env.BENCH_VERIFY_ROUNDS ?? (options.quick ? 5 : 25)),
    tokens: Number(process.env.BENCH_VERIFY_TOKENS ?? 20_000),
  };
  ctx.log(`  measuring in a child pinned to the server core: ${settings.rounds} rounds × ${settings.sliceSeconds * 1000} ms per target`);
  const worker = await startHelper(ctx, { name: 'jwt-verify-worker', script: 'verify-worker.mjs', core: 'server' });
  // Forward the worker's progress lines (stderr is inherited), then ask for the figures.
  const { summary } = await ask(worker, { type: 'run', settings }, 'result', 900_000);
  if (!summary.sinkNonZero) throw new Error('the verification loops produced nothing (sink is zero)');

  const ops = summary.opsPerCpuSecond;
  const results = Object.keys(summary.labels).map((key) => ({
    label: summary.labels[key],
    value: Math.round(ops[key]),
    unit: 'ops/CPU s',
    detail: {
      median: ops[key],
      min: summary.range[key][0],
      max: summary.range[key][1],
      opsPerWallSecond: Math.round(summary.opsPerWallSecond[key]),
      usPerOp: Number((1e6 / ops[key]).toFixed(2)),
      ratioVsRaw: summary.ratiosVsRaw[key] ?? 1,
    },
  }));
  const ratio = (label, key, target) => {
    const value = summary.ratiosVsRaw[key];
    return { label, value: Number(value.toFixed(3)), target, pass: value >= target };
  };
  const r = summary.ratiosVsRaw;
  const fmt = (x) => `${x.toFixed(2)}×`;
  return {
    name: 'jwt-verify',
    description,
    results,
    ratios: [
      ratio('Tessera core verifier, cold ÷ raw node:crypto', 'coreCold', COLD_TARGET),
      ratio('tessera/verifier verifySync, cold ÷ raw node:crypto', 'serviceCold', COLD_TARGET),
      ratio('Tessera core verifier, warm ÷ raw node:crypto', 'coreWarm', WARM_TARGET),
      ratio('tessera/verifier verifySync, warm ÷ raw node:crypto', 'serviceWarm', WARM_TARGET),
    ],
    notes: [
      'figures: operations per CPU second of the pinned measuring process (user + system, all threads), median of rounds; "rounds min–max" is the spread',
      `ratios: median of per-round ratios to raw node:crypto; others vs raw: jose ${fmt(r.jose)}, fast-jwt ${fmt(r.fastJwt)}, fast-jwt cached (warm) ${fmt(r.fastJwtWarm)}, jsonwebtoken ${fmt(r.jsonwebtoken)}`,
      `by wall time instead of CPU time: core cold ${fmt(summary.wallRatiosVsRaw.coreCold)}, verifySync cold ${fmt(summary.wallRatiosVsRaw.serviceCold)}, core warm ${fmt(summary.wallRatiosVsRaw.coreWarm)}, verifySync warm ${fmt(summary.wallRatiosVsRaw.serviceWarm)}`,
      `cold: ${summary.settings.tokens} distinct tokens through a ${summary.settings.coldCacheSize}-token FIFO cache kept full (every call misses and evicts); warm: ${summary.settings.warmSet} tokens, fresh string per call; revocation set of ${summary.settings.revokedEntries} entries consulted on every call`,
      'checked before timing: every verifier accepts the tokens and refuses a flipped signature byte; Tessera\'s refuse a revoked session\'s token (token_revoked), cached or not',
    ],
    summary,
  };
}
