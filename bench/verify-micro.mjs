#!/usr/bin/env node
/**
 * Micro-benchmark of ES256 access-token verification, in-process, no HTTP:
 *
 *   npx tsc -p tsconfig.build.json && node bench/verify-micro.mjs
 *
 * Compares, on the same tokens: raw node:crypto verify (pre-split buffers: the floor every
 * verifier pays), our verifier cold (every token new to it), our verifier warm (repeat tokens
 * served by the cache, each call on a fresh string object as an HTTP header would be), jose
 * jwtVerify, fast-jwt and jsonwebtoken. Targets run in short slices interleaved round by round,
 * so machine drift and noisy neighbours hit all alike (the order rotates every round, so no
 * target always runs right after another's garbage); each figure is the median of its rounds,
 * and each ratio is the median of the per-round ratios (both samples taken moments apart).
 * Prints one JSON summary on stdout.
 *
 * Settings (environment): BENCH_SLICE_MS (per target per round, default 150), BENCH_ROUNDS
 * (default 25), BENCH_TOKENS (distinct tokens, default 20000).
 */
import { createPublicKey, generateKeyPairSync, sign, verify } from 'node:crypto';
import { cpus, loadavg } from 'node:os';
import { jwtVerify } from 'jose';
import { createVerifier } from 'fast-jwt';
import jsonwebtoken from 'jsonwebtoken';
import { importVerificationKey } from '../dist/core/tokens/import-verification-key.js';
import { createRevocationSet } from '../dist/core/tokens/revocation-set.js';
import { createAccessTokenVerifier } from '../dist/core/tokens/verify-access-token.js';

const DURATION_S = Number(process.env.BENCH_SLICE_MS ?? 150) / 1000;
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 25);
const TOKEN_COUNT = Number(process.env.BENCH_TOKENS ?? 20_000);
const WARM_SET = 1_000; // distinct tokens cycled through the warm cache
const ISSUER = 'https://auth.example.com';
const AUDIENCE = 'https://api.example.com';

// ---- fixtures ---------------------------------------------------------------------------------
const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
const publicJwk = { ...publicKey.export({ format: 'jwk' }), kid: 'bench-1', alg: 'ES256', use: 'sig' };
const verificationKey = importVerificationKey(publicJwk);
const publicPem = publicKey.export({ format: 'pem', type: 'spki' });
const b64 = (value) => Buffer.from(JSON.stringify(value)).toString('base64url');
const header = b64({ alg: 'ES256', typ: 'at+jwt', kid: 'bench-1' });
const now = Math.floor(Date.now() / 1000);

const tokens = [];
const rawInputs = [];
for (let i = 0; i < TOKEN_COUNT; i++) {
  const payload = b64({
    iss: ISSUER,
    aud: AUDIENCE,
    sub: `user-${i % 997}`,
    sid: `session-${i}`,
    jti: `jti-${i}-${now}`,
    iat: now,
    exp: now + 3600,
    scope: 'read write',
  });
  const input = Buffer.from(`${header}.${payload}`);
  const signature = sign('sha256', input, { key: privateKey, dsaEncoding: 'ieee-p1363' });
  tokens.push(`${header}.${payload}.${signature.toString('base64url')}`);
  rawInputs.push({ input, signature });
}
const rawKey = { key: createPublicKey(publicPem), dsaEncoding: 'ieee-p1363' };
const revocations = createRevocationSet({ now: () => Date.now() });
revocations.apply({ kind: 'sid', value: 'some-other-session', expiresAt: Date.now() + 3_600_000 });
const newVerifier = (cacheSize = 10_000) =>
  createAccessTokenVerifier({
    issuer: ISSUER,
    audience: AUDIENCE,
    resolveKey: (kid) => (kid === verificationKey.kid ? verificationKey : undefined),
    isRevoked: (claims) => revocations.isRevoked(claims),
    cacheSize,
  });
// Cycling in order through more tokens than the (FIFO) cache holds makes every call a miss.
const COLD_CACHE_SIZE = Math.min(10_000, Math.floor(TOKEN_COUNT / 2));

// ---- targets: each returns a function running one batch of `n` operations from `start` --------
let sink = 0;
const fresh = (token) => Buffer.from(token, 'latin1').toString('latin1'); // a new string object

const targets = [
  {
    key: 'raw',
    label: 'raw node:crypto ES256 verify',
    batch: (start, n) => {
      for (let i = 0; i < n; i++) {
        const { input, signature } = rawInputs[(start + i) % TOKEN_COUNT];
        if (verify('sha256', input, rawKey, signature)) sink++;
      }
    },
  },
  {
    key: 'oursCold',
    label: 'tessera verifier, cold (distinct tokens, cache on)',
    setup: () => newVerifier(COLD_CACHE_SIZE),
    // A fresh verifier per sample, cycling through twice as many tokens as the cache holds in
    // insertion order: FIFO eviction has always just dropped the next token, so every call misses.
    batch: (start, n, verifier) => {
      for (let i = 0; i < n; i++) sink += verifier.verify(tokens[(start + i) % TOKEN_COUNT]).exp;
    },
  },
  {
    key: 'oursWarm',
    label: 'tessera verifier, warm (cache hits, fresh string per call)',
    setup: () => {
      const verifier = newVerifier();
      for (let i = 0; i < WARM_SET; i++) verifier.verify(tokens[i]);
      // Fresh copies made outside the timed loop; each is hashed on its first (timed) lookup.
      const copies = Array.from({ length: 200_000 }, (_, i) => fresh(tokens[i % WARM_SET]));
      return { verifier, copies };
    },
    batch: (start, n, { verifier, copies }) => {
      for (let i = 0; i < n; i++) sink += verifier.verify(copies[(start + i) % copies.length]).exp;
    },
  },
  {
    key: 'jose',
    label: 'jose jwtVerify (async)',
    async: true,
    batch: async (start, n) => {
      for (let i = 0; i < n; i++) {
        const { payload } = await jwtVerify(tokens[(start + i) % TOKEN_COUNT], publicKey, {
          issuer: ISSUER,
          audience: AUDIENCE,
          typ: 'at+jwt',
          algorithms: ['ES256'],
        });
        sink += payload.exp;
      }
    },
  },
  {
    key: 'fastJwt',
    label: 'fast-jwt createVerifier (cache off)',
    setup: () =>
      createVerifier({ key: publicPem, algorithms: ['ES256'], allowedIss: ISSUER, allowedAud: AUDIENCE, cache: false }),
    batch: (start, n, verifier) => {
      for (let i = 0; i < n; i++) sink += verifier(tokens[(start + i) % TOKEN_COUNT]).exp;
    },
  },
  {
    key: 'jsonwebtoken',
    label: 'jsonwebtoken verify',
    batch: (start, n) => {
      for (let i = 0; i < n; i++) {
        sink += jsonwebtoken.verify(tokens[(start + i) % TOKEN_COUNT], publicPem, {
          algorithms: ['ES256'],
          issuer: ISSUER,
          audience: AUDIENCE,
        }).exp;
      }
    },
  },
];

/**
 * Runs batches for DURATION_S seconds of wall time; returns operations per CPU second of this
 * process (user + system, all threads) and per wall second. CPU time is the primary figure: on a
 * shared machine wall time also counts the moments another process had the core.
 */
async function sample(target) {
  const state = target.setup ? target.setup() : undefined;
  const batchSize = target.key === 'oursWarm' ? 5_000 : 50;
  const deadline = process.hrtime.bigint() + BigInt(Math.round(DURATION_S * 1e9));
  const started = process.hrtime.bigint();
  const cpuBefore = process.cpuUsage();
  let ops = 0;
  let position = 0;
  while (process.hrtime.bigint() < deadline) {
    if (target.async) await target.batch(position, batchSize, state);
    else target.batch(position, batchSize, state);
    ops += batchSize;
    position += batchSize;
  }
  const cpu = process.cpuUsage(cpuBefore);
  const cpuSeconds = (cpu.user + cpu.system) / 1e6;
  const wallSeconds = Number(process.hrtime.bigint() - started) / 1e9;
  return { cpu: ops / cpuSeconds, wall: ops / wallSeconds };
}

const median = (values) => {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
};

// Sanity: every verifier accepts the fixture before anything is timed.
for (const target of targets) {
  const state = target.setup ? target.setup() : undefined;
  await target.batch(0, 10, state);
}

const samples = Object.fromEntries(targets.map((t) => [t.key, []]));
const wallSamples = Object.fromEntries(targets.map((t) => [t.key, []]));
for (const target of targets) await sample({ ...target }); // warm-up round (JIT)
for (let round = 0; round < ROUNDS; round++) {
  const order = targets.map((_, i) => targets[(i + round) % targets.length]);
  for (const target of order) {
    const { cpu, wall } = await sample(target);
    samples[target.key].push(cpu);
    wallSamples[target.key].push(wall);
  }
  const line = targets.map((t) => `${t.key} ${Math.round(samples[t.key].at(-1))}`).join(', ');
  process.stderr.write(`round ${round + 1}/${ROUNDS}: ${line} ops per CPU second\n`);
}

const opsPerSecond = Object.fromEntries(targets.map((t) => [t.key, Math.round(median(samples[t.key]))]));
// Per-round ratio against the raw sample of the same round, then the median over rounds.
const ratio = (key) =>
  Number(median(samples[key].map((value, round) => value / samples.raw[round])).toFixed(3));
const summary = {
  node: process.version,
  cpu: `${cpus().length} × ${cpus()[0]?.model ?? 'unknown'}`,
  settings: {
    sliceSeconds: DURATION_S,
    rounds: ROUNDS,
    tokens: TOKEN_COUNT,
    warmSet: WARM_SET,
    loadAverage: loadavg().map((l) => Number(l.toFixed(2))),
  },
  labels: Object.fromEntries(targets.map((t) => [t.key, t.label])),
  unit: 'operations per CPU second of the benchmark process (median of rounds)',
  opsPerCpuSecond: opsPerSecond,
  opsPerWallSecond: Object.fromEntries(targets.map((t) => [t.key, Math.round(median(wallSamples[t.key]))])),
  rangePerTarget: Object.fromEntries(
    targets.map((t) => [t.key, [Math.round(Math.min(...samples[t.key])), Math.round(Math.max(...samples[t.key]))]]),
  ),
  wallRatiosVsRaw: Object.fromEntries(
    targets
      .filter((t) => t.key !== 'raw')
      .map((t) => [
        t.key,
        Number(median(wallSamples[t.key].map((v, round) => v / wallSamples.raw[round])).toFixed(3)),
      ]),
  ),
  ratiosVsRaw: Object.fromEntries(targets.filter((t) => t.key !== 'raw').map((t) => [t.key, ratio(t.key)])),
  targets: {
    coldVsRaw: { value: ratio('oursCold'), target: 0.9, pass: ratio('oursCold') >= 0.9 },
    warmVsRaw: { value: ratio('oursWarm'), target: 10, pass: ratio('oursWarm') >= 10 },
  },
  sink: sink > 0,
};
process.stdout.write(`${JSON.stringify(summary, null, 2)}\n`);
