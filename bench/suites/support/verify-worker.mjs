/**
 * The measuring child of the jwt-verify suite (started pinned to the server core). The method is
 * the one of bench/verify-micro.mjs — in-process, no HTTP, targets run in short slices
 * interleaved round by round with the order rotating every round, ops per CPU second of this
 * process, medians, ratios as medians of per-round ratios — extended with the verifier services
 * really run (`createVerifier` from dist/verifier, `verifySync`, JWKS and revocation feed served
 * by an in-memory fetch) and fast-jwt with its cache on.
 *
 * Every target verifies the same ES256 tokens, shaped exactly like Tessera's access tokens
 * (header `{alg, kid, typ: "at+jwt"}`; claims iss, aud, sub, sid, jti, iat, exp). "Cold" cycles
 * through BENCH_VERIFY_TOKENS distinct tokens (default 20,000) in order, through a verifier whose
 * cache holds half as many and is full from the start, so every call misses and evicts (the
 * steady state of a service that sees each token once). "Warm" cycles through 1,000 tokens
 * already verified once, each call on a fresh string object (as an HTTP header would be).
 *
 * Protocol: sends `{ type: 'ready' }`, receives `{ type: 'run', settings }`, logs progress on
 * stderr and answers `{ type: 'result', summary }` (or `{ type: 'error', message }`).
 */
import { createPublicKey, generateKeyPairSync, randomBytes, sign, verify } from 'node:crypto';
import { setImmediate as yieldToLoop } from 'node:timers/promises';
import { ReadableStream } from 'node:stream/web';
import { jwtVerify } from 'jose';
import { createVerifier as createFastJwtVerifier } from 'fast-jwt';
import jsonwebtoken from 'jsonwebtoken';

const dist = new URL('../../../dist/', import.meta.url);
const { importVerificationKey } = await import(new URL('core/tokens/import-verification-key.js', dist).href);
const { createRevocationSet } = await import(new URL('core/tokens/revocation-set.js', dist).href);
const { createAccessTokenVerifier } = await import(new URL('core/tokens/verify-access-token.js', dist).href);
const { createVerifier } = await import(new URL('verifier/index.js', dist).href);

const ISSUER = 'https://auth.example.com';
const AUDIENCE = 'https://auth.example.com';
const KID = 'k_bench_2025-01';
const WARM_SET = 1_000;
const REVOKED_ENTRIES = 1_000; // a revocation set with some content, as a live service has
const log = (message) => process.stderr.write(`${message}\n`);

const median = (values) => {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
};
const id = (bytes) => randomBytes(bytes).toString('base64url');

function makeFixtures(tokenCount) {
  const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const publicJwk = { ...publicKey.export({ format: 'jwk' }), kid: KID, alg: 'ES256', use: 'sig' };
  const publicPem = publicKey.export({ format: 'pem', type: 'spki' });
  const b64 = (value) => Buffer.from(JSON.stringify(value)).toString('base64url');
  // Tessera's header member order (jose SignJWT with { alg, kid, typ }).
  const header = b64({ alg: 'ES256', kid: KID, typ: 'at+jwt' });
  const now = Math.floor(Date.now() / 1000);
  const tokens = [];
  const rawInputs = [];
  const users = Array.from({ length: 997 }, () => id(16));
  for (let i = 0; i < tokenCount; i++) {
    const payload = b64({
      iss: ISSUER,
      aud: AUDIENCE,
      sub: users[i % users.length],
      sid: id(19),
      jti: id(16),
      iat: now,
      exp: now + 3600,
    });
    const input = Buffer.from(`${header}.${payload}`);
    const signature = sign('sha256', input, { key: privateKey, dsaEncoding: 'ieee-p1363' });
    tokens.push(`${header}.${payload}.${signature.toString('base64url')}`);
    rawInputs.push({ input, signature });
  }
  const revoked = Array.from({ length: REVOKED_ENTRIES }, () => ({ kind: 'sid', value: id(19), expiresAt: Date.now() + 3_600_000 }));
  // Checks only (never timed): a token of a revoked session, and one with a flipped signature byte.
  const signed = (claims) => {
    const input = `${header}.${b64(claims)}`;
    return `${input}.${sign('sha256', Buffer.from(input), { key: privateKey, dsaEncoding: 'ieee-p1363' }).toString('base64url')}`;
  };
  const revokedToken = signed({ iss: ISSUER, aud: AUDIENCE, sub: users[0], sid: revoked[0].value, jti: id(16), iat: now, exp: now + 3600 });
  const at = tokens[0].length - 20;
  const tampered = `${tokens[0].slice(0, at)}${tokens[0][at] === 'A' ? 'B' : 'A'}${tokens[0].slice(at + 1)}`;
  return { publicKey, publicJwk, publicPem, tokens, rawInputs, revoked, revokedToken, tampered };
}

/**
 * A fetch that serves the JWKS and an SSE revocation feed from memory, so `createVerifier` runs
 * its real code path (JWKS import, feed client, staleness checks) with no network in the timed
 * loop. The feed sends its snapshot, then a heartbeat every 2 s.
 */
function inMemoryFetch(fixtures, timers) {
  const encoder = new TextEncoder();
  return async (url) => {
    const path = new URL(url).pathname;
    if (path === '/.well-known/jwks.json') {
      return new globalThis.Response(JSON.stringify({ keys: [fixtures.publicJwk] }), { status: 200, headers: { 'content-type': 'application/json' } });
    }
    if (path === '/auth/revocations') {
      const body = new ReadableStream({
        start(controller) {
          const send = (event, data) => controller.enqueue(encoder.encode(`event: ${event}\ndata: ${JSON.stringify(data)}\n\n`));
          send('snapshot', { now: Date.now(), revocations: fixtures.revoked });
          const timer = setInterval(() => send('heartbeat', { now: Date.now() }), 2_000);
          timer.unref();
          timers.push(timer);
        },
      });
      return new globalThis.Response(body, { status: 200, headers: { 'content-type': 'text/event-stream; charset=utf-8' } });
    }
    return new globalThis.Response('not found', { status: 404 });
  };
}

async function buildTargets(fixtures, tokenCount) {
  const { tokens, rawInputs, publicKey, publicPem } = fixtures;
  const verificationKey = importVerificationKey(fixtures.publicJwk);
  // A key ring's lookup: kid → pre-imported key.
  const keyRing = new Map([[verificationKey.kid, verificationKey]]);
  const resolveKey = (kid) => keyRing.get(kid);
  const revocations = createRevocationSet({ now: () => Date.now() });
  revocations.applySnapshot(fixtures.revoked);
  const coldCacheSize = Math.min(10_000, Math.floor(tokenCount / 2));
  const core = (cacheSize) =>
    createAccessTokenVerifier({ issuer: ISSUER, audience: AUDIENCE, resolveKey, isRevoked: (claims) => revocations.isRevoked(claims), cacheSize });
  const feedTimers = [];
  const service = async (cacheSize) => {
    const verifier = createVerifier({
      issuer: ISSUER,
      audience: AUDIENCE,
      jwksUrl: 'https://auth.example.com/.well-known/jwks.json',
      revocationsUrl: 'https://auth.example.com/auth/revocations',
      clientId: 'bench',
      clientSecret: 'bench-secret-bench-secret-bench-secret',
      cacheSize,
      fetch: inMemoryFetch(fixtures, feedTimers),
    });
    await verifier.ready();
    return verifier;
  };
  // Fills a verifier's cache with tokens the cold loop will not reach for a while, so the cold
  // loop runs against a full cache (every insert evicts), as a long-running service would.
  const prefill = (verify, cacheSize) => {
    for (let i = 0; i < cacheSize; i++) verify(tokens[tokenCount - 1 - i]);
  };
  // Fresh copies of the warm set, made outside the timed loop; each is hashed on its first
  // (timed) lookup, as a header string would be.
  const fresh = (token) => Buffer.from(token, 'latin1').toString('latin1');
  const copies = Array.from({ length: 100_000 }, (_, i) => fresh(tokens[i % WARM_SET]));
  let sink = 0;

  const coreColdVerifier = core(coldCacheSize);
  prefill(coreColdVerifier.verify, coldCacheSize);
  const serviceColdVerifier = await service(coldCacheSize);
  prefill(serviceColdVerifier.verifySync, coldCacheSize);
  const coreWarmVerifier = core(10_000);
  const serviceWarmVerifier = await service(10_000);
  const fastJwtCold = createFastJwtVerifier({ key: publicPem, algorithms: ['ES256'], allowedIss: ISSUER, allowedAud: AUDIENCE, cache: false });
  const fastJwtWarm = createFastJwtVerifier({ key: publicPem, algorithms: ['ES256'], allowedIss: ISSUER, allowedAud: AUDIENCE, cache: 10_000 });
  for (let i = 0; i < WARM_SET; i++) {
    coreWarmVerifier.verify(tokens[i]);
    serviceWarmVerifier.verifySync(tokens[i]);
    fastJwtWarm(tokens[i]);
  }
  const rawKey = { key: createPublicKey(publicPem), dsaEncoding: 'ieee-p1363' };

  const cold = (fn) => (start, n) => {
    for (let i = 0; i < n; i++) sink += fn(tokens[(start + i) % tokenCount]);
  };
  const warm = (fn) => (start, n) => {
    for (let i = 0; i < n; i++) sink += fn(copies[(start + i) % copies.length]);
  };
  const rawOne = (token) => {
    const dot = token.lastIndexOf('.');
    if (!verify('sha256', Buffer.from(token.slice(0, dot)), rawKey, Buffer.from(token.slice(dot + 1), 'base64url'))) throw new Error('bad signature');
    return 1;
  };
  const joseOne = async (token) =>
    (await jwtVerify(token, publicKey, { issuer: ISSUER, audience: AUDIENCE, typ: 'at+jwt', algorithms: ['ES256'] })).payload.exp;
  const jsonwebtokenOne = (token) => jsonwebtoken.verify(token, publicPem, { algorithms: ['ES256'], issuer: ISSUER, audience: AUDIENCE }).exp;
  // `one` verifies a single token (used by the checks); `batch` is the timed loop; `tessera`
  // marks the targets that must also refuse a revoked session's token.
  const targets = [
    {
      key: 'raw',
      label: 'raw node:crypto ES256 verify (pre-split buffers: the floor)',
      one: rawOne,
      batch: (start, n) => {
        for (let i = 0; i < n; i++) {
          const { input, signature } = rawInputs[(start + i) % tokenCount];
          if (verify('sha256', input, rawKey, signature)) sink++;
        }
      },
    },
    { key: 'coreCold', tessera: true, label: 'Tessera core verifier (createAccessTokenVerifier), cold', one: (t) => coreColdVerifier.verify(t).exp, batch: cold((t) => coreColdVerifier.verify(t).exp) },
    { key: 'serviceCold', tessera: true, label: 'tessera/verifier createVerifier().verifySync, cold', one: (t) => serviceColdVerifier.verifySync(t).exp, batch: cold((t) => serviceColdVerifier.verifySync(t).exp) },
    { key: 'coreWarm', tessera: true, label: 'Tessera core verifier, warm (1,000 repeat tokens)', one: (t) => coreWarmVerifier.verify(t).exp, batch: warm((t) => coreWarmVerifier.verify(t).exp), batchSize: 5_000 },
    { key: 'serviceWarm', tessera: true, label: 'tessera/verifier verifySync, warm (1,000 repeat tokens)', one: (t) => serviceWarmVerifier.verifySync(t).exp, batch: warm((t) => serviceWarmVerifier.verifySync(t).exp), batchSize: 5_000 },
    {
      key: 'jose',
      label: 'jose 6 jwtVerify (async; typ checked), cold',
      async: true,
      one: joseOne,
      batch: async (start, n) => {
        for (let i = 0; i < n; i++) sink += await joseOne(tokens[(start + i) % tokenCount]);
      },
    },
    { key: 'fastJwt', label: 'fast-jwt 6 createVerifier (cache off), cold', one: (t) => fastJwtCold(t).exp, batch: cold((t) => fastJwtCold(t).exp) },
    { key: 'fastJwtWarm', label: 'fast-jwt 6 createVerifier (cache on), warm (1,000 repeat tokens)', one: (t) => fastJwtWarm(t).exp, batch: warm((t) => fastJwtWarm(t).exp), batchSize: 5_000 },
    { key: 'jsonwebtoken', label: 'jsonwebtoken 9 verify (PEM key), cold', one: jsonwebtokenOne, batch: cold(jsonwebtokenOne) },
  ];
  const close = async () => {
    for (const timer of feedTimers) clearInterval(timer);
    await Promise.all([serviceColdVerifier.close(), serviceWarmVerifier.close()]);
  };
  return { targets, close, sink: () => sink, caches: { coreCold: coreColdVerifier, coreWarm: coreWarmVerifier }, coldCacheSize };
}

/** Runs one target for `seconds` of wall time; ops per CPU second of this process and per wall second. */
async function sample(target, seconds, cursor) {
  const batchSize = target.batchSize ?? 50;
  const deadline = process.hrtime.bigint() + BigInt(Math.round(seconds * 1e9));
  const started = process.hrtime.bigint();
  const cpuBefore = process.cpuUsage();
  let ops = 0;
  while (process.hrtime.bigint() < deadline) {
    if (target.async) await target.batch(cursor.position, batchSize);
    else target.batch(cursor.position, batchSize);
    ops += batchSize;
    cursor.position += batchSize;
  }
  const cpu = process.cpuUsage(cpuBefore);
  const cpuSeconds = (cpu.user + cpu.system) / 1e6;
  const wallSeconds = Number(process.hrtime.bigint() - started) / 1e9;
  return { cpu: ops / cpuSeconds, wall: ops / wallSeconds, ops };
}

async function run(settings) {
  const { sliceSeconds, rounds, tokens: tokenCount } = settings;
  log(`  generating ${tokenCount} ES256 tokens`);
  const fixtures = makeFixtures(tokenCount);
  const built = await buildTargets(fixtures, tokenCount);
  const { targets } = built;
  // Correctness first: every target accepts the fixture and refuses a token with a flipped
  // signature byte; Tessera's verifiers also refuse a token of a revoked session, warm or cold.
  // A fast path that skipped a check would show here, not in the figures.
  // Timed loops start past the tokens the checks used, so the cold caches never hit on them.
  const cursors = Object.fromEntries(targets.map((t) => [t.key, { position: 100 }]));
  const outcome = async (fn) => {
    try {
      await fn();
      return 'accepted';
    } catch (error) {
      return error?.code ?? 'refused';
    }
  };
  for (const target of targets) {
    await target.batch(0, 10);
    if ((await outcome(() => target.one(fixtures.tokens[3]))) !== 'accepted') throw new Error(`${target.label} refused a valid token`);
    if ((await outcome(() => target.one(fixtures.tampered))) === 'accepted') throw new Error(`${target.label} accepted a tampered signature`);
    if (target.tessera) {
      for (let i = 0; i < 2; i++) {
        const code = await outcome(() => target.one(fixtures.revokedToken));
        if (code !== 'token_revoked') throw new Error(`${target.label}: a revoked session's token gave ${code}, not token_revoked`);
      }
    }
  }
  {
    // Revocation is consulted on the warm path too: revoke a cached token's session afterwards.
    const revocations = createRevocationSet({ now: () => Date.now() });
    const verificationKey = importVerificationKey(fixtures.publicJwk);
    const verifier = createAccessTokenVerifier({ issuer: ISSUER, audience: AUDIENCE, resolveKey: () => verificationKey, isRevoked: (c) => revocations.isRevoked(c) });
    const claims = verifier.verify(fixtures.tokens[1]);
    revocations.apply({ kind: 'sid', value: claims.sid, expiresAt: Date.now() + 60_000 });
    const code = await outcome(() => verifier.verify(fixtures.tokens[1]));
    if (code !== 'token_revoked') throw new Error(`a cached token of a revoked session was not refused (got ${code})`);
  }
  log('  checked: every verifier accepts the tokens and refuses a tampered one; Tessera\'s refuse revoked sessions');

  const samples = Object.fromEntries(targets.map((t) => [t.key, []]));
  const wallSamples = Object.fromEntries(targets.map((t) => [t.key, []]));
  log('  warm-up round (JIT)');
  for (const target of targets) await sample(target, sliceSeconds, cursors[target.key]);
  for (let round = 0; round < rounds; round++) {
    const order = targets.map((_, i) => targets[(i + round) % targets.length]);
    for (const target of order) {
      // Let timers (the feed's heartbeats) and GC finalisers run between slices.
      await yieldToLoop();
      const { cpu, wall } = await sample(target, sliceSeconds, cursors[target.key]);
      samples[target.key].push(cpu);
      wallSamples[target.key].push(wall);
    }
    if ((round + 1) % 5 === 0 || round + 1 === rounds) {
      log(`  round ${round + 1}/${rounds}: ${targets.map((t) => `${t.key} ${Math.round(samples[t.key].at(-1))}`).join(', ')} ops/CPU s`);
    }
  }
  // The cold verifiers must really have been cold: their caches stayed full of other tokens.
  const coldCached = built.caches.coreCold.cachedTokens;
  await built.close();

  const perRoundRatio = (key, over, series) => median(series[key].map((value, round) => value / series[over][round]));
  const summary = {
    settings: { sliceSeconds, rounds, tokens: tokenCount, warmSet: WARM_SET, coldCacheSize: built.coldCacheSize, revokedEntries: REVOKED_ENTRIES },
    labels: Object.fromEntries(targets.map((t) => [t.key, t.label])),
    opsPerCpuSecond: Object.fromEntries(targets.map((t) => [t.key, median(samples[t.key])])),
    opsPerWallSecond: Object.fromEntries(targets.map((t) => [t.key, median(wallSamples[t.key])])),
    range: Object.fromEntries(targets.map((t) => [t.key, [Math.min(...samples[t.key]), Math.max(...samples[t.key])]])),
    ratiosVsRaw: Object.fromEntries(targets.filter((t) => t.key !== 'raw').map((t) => [t.key, perRoundRatio(t.key, 'raw', samples)])),
    wallRatiosVsRaw: Object.fromEntries(targets.filter((t) => t.key !== 'raw').map((t) => [t.key, perRoundRatio(t.key, 'raw', wallSamples)])),
    coldCacheFill: coldCached,
    cpuSecondsTotal: process.cpuUsage().user / 1e6,
    sinkNonZero: built.sink() > 0,
  };
  return summary;
}

process.on('message', (message) => {
  if (message?.type === 'stop') process.exit(0);
  if (message?.type !== 'run') return;
  run(message.settings).then(
    (summary) => process.send({ type: 'result', summary }),
    (error) => process.send({ type: 'failed', message: error instanceof Error ? (error.stack ?? error.message) : String(error) }),
  );
});
process.on('disconnect', () => process.exit(0));
process.send({ type: 'ready', url: null });
