/**
 * The standalone verifier (`tessera/verifier`) against a real Tessera server over real HTTP:
 * JWKS loading and rotation, the SSE revocation feed (logout and RFC 7009 revocation reaching
 * the verifier), fail-closed staleness, refetch throttling and option validation.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { exportJWK, generateKeyPair, SignJWT } from 'jose';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { createManualClock } from '../../src/core/clock.js';
import type { Revocation } from '../../src/core/model.js';
import { AuthenticationError, ConfigurationError, createVerifier } from '../../src/verifier/index.js';
import type { Verifier, VerifierOptions } from '../../src/verifier/index.js';
import {
  GATEWAY,
  errorCodeOf,
  signInBearer,
  startFeedTestServer,
  startTinyServer,
  waitFor,
} from './support.js';
import type { FeedTestServer, TinyServer } from './support.js';

let server: FeedTestServer;
const verifiers: Verifier[] = [];
const tinyServers: TinyServer[] = [];

/** A verifier closed after the test. */
function track(verifier: Verifier): Verifier {
  verifiers.push(verifier);
  return verifier;
}

function baseOptions(extra: Partial<VerifierOptions> = {}): VerifierOptions {
  return {
    issuer: server.issuer,
    audience: server.audience,
    jwksUrl: server.jwksUrl,
    revocationsUrl: server.revocationsUrl,
    clientId: GATEWAY.id,
    clientSecret: GATEWAY.secret,
    ...extra,
  };
}

/** A fetch that records the URLs it was asked for. */
function countingFetch(): { fetch: typeof fetch; calls: string[]; jwksCalls: () => number } {
  const calls: string[] = [];
  const wrapped: typeof fetch = (input, init) => {
    calls.push(input instanceof Request ? input.url : String(input));
    return fetch(input, init);
  };
  return { fetch: wrapped, calls, jwksCalls: () => calls.filter((url) => url.endsWith('/jwks.json')).length };
}

function kidOf(token: string): string {
  const header = JSON.parse(Buffer.from(token.split('.')[0] as string, 'base64url').toString('utf8')) as { kid: string };
  return header.kid;
}

/** A token signed by a key Tessera never published, with otherwise perfect claims. */
async function foreignToken(kid: string, claims: { sub?: string; sid?: string } = {}): Promise<string> {
  const { privateKey } = await generateKeyPair('ES256');
  const now = Math.floor(Date.now() / 1000);
  return new SignJWT({ sid: claims.sid ?? 'sid-foreign', scope: 'openid' })
    .setProtectedHeader({ alg: 'ES256', typ: 'at+jwt', kid })
    .setIssuer(server.issuer)
    .setAudience(server.audience)
    .setSubject(claims.sub ?? 'user-foreign')
    .setJti(`jti-${Math.random().toString(36).slice(2)}`)
    .setIssuedAt(now)
    .setExpirationTime(now + 300)
    .sign(privateKey);
}

beforeAll(async () => {
  server = await startFeedTestServer({ heartbeatMs: 50 });
});

afterEach(async () => {
  await Promise.all(verifiers.splice(0).map((verifier) => verifier.close()));
  await Promise.all(tinyServers.splice(0).map((tiny) => tiny.close()));
});

afterAll(async () => {
  await server?.close();
});

describe('verifying Tessera access tokens', () => {
  it('verifies a bearer token from a real sign-in, with its claims', async () => {
    const verifier = track(createVerifier(baseOptions()));
    await verifier.ready();
    const tokens = await signInBearer(server);
    expect(tokens.token_type).toBe('Bearer');

    const claims = await verifier.verify(tokens.access_token);
    expect(claims.iss).toBe(server.issuer);
    expect(claims.sub).toEqual(expect.any(String));
    expect(claims.sid).toEqual(expect.any(String));
    expect(claims.jti).toEqual(expect.any(String));
    expect(verifier.verifySync(tokens.access_token)).toEqual(claims);
    expect(verifier.status).toMatchObject({ feed: 'live', jwksRejected: 0 });
    expect(verifier.status.jwksKeys).toBeGreaterThanOrEqual(1);
  });

  it('refuses a token signed by another key, under a known kid or a foreign one', async () => {
    const verifier = track(createVerifier(baseOptions()));
    await verifier.ready();
    const { access_token: genuine } = await signInBearer(server);
    const knownKid = kidOf(genuine);

    expect(await errorCodeOf(verifier.verify(await foreignToken(knownKid)))).toBe('invalid_token');
    expect(await errorCodeOf(verifier.verify(await foreignToken('attacker-kid')))).toBe('invalid_token');
    expect(() => verifier.verifySync(`${genuine.slice(0, -4)}AAAA`)).toThrow(AuthenticationError);
  });
});

describe('revocation over the SSE feed', () => {
  it('refuses a token soon after its session logs out', async () => {
    const verifier = track(createVerifier(baseOptions()));
    await verifier.ready();
    const { access_token: token } = await signInBearer(server);
    await verifier.verify(token);

    const sent = performance.now();
    const logout = await fetch(`${server.url}/auth/logout`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}` },
    });
    const answered = performance.now();
    expect(logout.status, `POST /auth/logout with Bearer answered ${logout.status}: ${await logout.clone().text()}`).toBe(204);

    const waited = await waitFor(async () => (await errorCodeOf(verifier.verify(token))) === 'token_revoked');
    expect(waited, 'the verifier still accepted the token 2 s after logout').not.toBeNull();
    console.log(
      `[verifier] logout → refused: ${(answered - sent + (waited ?? 0)).toFixed(1)} ms after the request, ` +
        `${(waited ?? 0).toFixed(1)} ms after the 204 (poll granularity 10 ms)`,
    );
    expect(() => verifier.verifySync(token)).toThrow(expect.objectContaining({ code: 'token_revoked' }));
    expect(verifier.status.revocations).toBeGreaterThanOrEqual(1);
  });

  it('refuses a token revoked through POST /auth/revoke (RFC 7009)', async () => {
    const verifier = track(createVerifier(baseOptions()));
    await verifier.ready();
    const { access_token: token } = await signInBearer(server);
    const { access_token: sibling } = await signInBearer(server);
    await verifier.verify(token);

    const sent = performance.now();
    const revoke = await fetch(`${server.url}/auth/revoke`, {
      method: 'POST',
      headers: {
        'content-type': 'application/x-www-form-urlencoded',
        authorization: `Basic ${Buffer.from(`${GATEWAY.id}:${GATEWAY.secret}`).toString('base64')}`,
      },
      body: new URLSearchParams({ token, token_type_hint: 'access_token' }).toString(),
    });
    const answered = performance.now();
    expect(revoke.status, `POST /auth/revoke answered ${revoke.status}: ${await revoke.clone().text()}`).toBe(200);

    const waited = await waitFor(async () => (await errorCodeOf(verifier.verify(token))) === 'token_revoked');
    expect(waited, 'the verifier still accepted the token 2 s after /auth/revoke').not.toBeNull();
    console.log(
      `[verifier] /auth/revoke → refused: ${(answered - sent + (waited ?? 0)).toFixed(1)} ms after the request, ` +
        `${(waited ?? 0).toFixed(1)} ms after the 200`,
    );
    // jti revocation is one token: another session's token is unaffected.
    await expect(verifier.verify(sibling)).resolves.toMatchObject({ jti: expect.any(String) });
  });

  it('applies a snapshot on (re)connect, so revocations made while away are not missed', async () => {
    const { access_token: token } = await signInBearer(server);
    const logout = await fetch(`${server.url}/auth/logout`, { method: 'POST', headers: { authorization: `Bearer ${token}` } });
    expect(logout.status).toBe(204);
    // This verifier starts after the logout: only the snapshot can tell it.
    const verifier = track(createVerifier(baseOptions()));
    await verifier.ready();
    expect(await errorCodeOf(verifier.verify(token))).toBe('token_revoked');
  });

  it('stays live on heartbeats and fails closed when the Tessera server goes away', async () => {
    const other = await startFeedTestServer({ heartbeatMs: 50 });
    let stopped = false;
    try {
      const verifier = track(
        createVerifier({
          issuer: other.issuer,
          audience: other.audience,
          jwksUrl: other.jwksUrl,
          revocationsUrl: other.revocationsUrl,
          clientId: GATEWAY.id,
          clientSecret: GATEWAY.secret,
          staleAfterMs: 300,
        }),
      );
      await verifier.ready();
      const { access_token: token } = await signInBearer(other);
      // Quiet for more than twice the bound: only heartbeats keep the view fresh.
      await new Promise((resolve) => setTimeout(resolve, 700));
      expect(verifier.status.feed).toBe('live');
      await expect(verifier.verify(token)).resolves.toMatchObject({ iss: other.issuer });

      await other.close();
      stopped = true;
      const waited = await waitFor(async () => (await errorCodeOf(verifier.verify(token))) === 'verifier_unavailable');
      expect(waited).not.toBeNull();
      expect(verifier.status.feed).toBe('stale');
      expect(() => verifier.verifySync(token)).toThrow(/revocation feed is stale/);
    } finally {
      if (!stopped) await other.close();
    }
  });

  it('fails closed on a silent feed and recovers when it resumes', async () => {
    // `epoch` moves when the feed goes silent, so a silenced connection stays silent for good
    // and recovery can only come through a new connection (and its snapshot).
    const state = { mode: 'up' as 'up' | 'silent', epoch: 0, revocations: [] as Revocation[], connections: 0 };
    const feed = await startTinyServer((request: IncomingMessage, response: ServerResponse) => {
      state.connections++;
      response.writeHead(200, { 'content-type': 'text/event-stream' });
      if (state.mode === 'silent') return; // headers, then nothing: a stuck proxy
      const epoch = state.epoch;
      response.write(`: hello\r\nevent: snapshot\r\ndata: ${JSON.stringify({ now: Date.now(), revocations: state.revocations })}\r\n\r\n`);
      const beat = setInterval(() => {
        if (state.epoch === epoch) response.write(`event: heartbeat\ndata: {"now":${Date.now()}}\n\n`);
      }, 40);
      request.on('close', () => clearInterval(beat));
    });
    tinyServers.push(feed);
    const verifier = track(createVerifier(baseOptions({ revocationsUrl: `${feed.url}/auth/revocations`, staleAfterMs: 200 })));
    await verifier.ready();
    const { access_token: token } = await signInBearer(server);
    await expect(verifier.verify(token)).resolves.toBeDefined();

    state.mode = 'silent';
    state.epoch++;
    const connectionsBefore = state.connections;
    const wentStale = await waitFor(async () => (await errorCodeOf(verifier.verify(token))) === 'verifier_unavailable');
    expect(wentStale).not.toBeNull();
    expect(verifier.status.feed).toBe('stale');
    await expect(verifier.verify(token)).rejects.toThrow('The revocation feed is stale.');

    // The watchdog drops the silent connection; the next one gets a snapshot again.
    state.mode = 'up';
    const recovered = await waitFor(async () => (await errorCodeOf(verifier.verify(token))) === 'resolved');
    expect(recovered).not.toBeNull();
    expect(verifier.status.feed).toBe('live');
    expect(state.connections).toBeGreaterThan(connectionsBefore);
  });

  it('refuses to become ready with wrong client credentials, and says why', async () => {
    const errors: string[] = [];
    const verifier = track(
      createVerifier(baseOptions({ clientSecret: 'wrong'.repeat(8), onError: (error) => errors.push(error.message) })),
    );
    const { access_token: token } = await signInBearer(server);
    await waitFor(() => errors.length > 0);
    expect(errors[0]).toMatch(/HTTP 401/);
    expect(verifier.status.feed).toBe('connecting');
    expect(() => verifier.verifySync(token)).toThrow('The verifier is not ready.');
    expect(await errorCodeOf(verifier.verify(token))).toBe('verifier_unavailable');
  });
});

describe('JWKS handling', () => {
  it('refetches for unknown kids at most once per cooldown; verifySync never fetches', async () => {
    const clock = createManualClock(Date.now());
    const counter = countingFetch();
    const verifier = track(
      createVerifier({
        issuer: server.issuer,
        audience: server.audience,
        jwksUrl: server.jwksUrl,
        jwksCooldownMs: 30_000,
        clock,
        fetch: counter.fetch,
      }),
    );
    await verifier.ready();
    expect(counter.jwksCalls()).toBe(1);

    const forged = await Promise.all(Array.from({ length: 20 }, (_, i) => foreignToken(`random-kid-${i}`)));
    // A burst at once, then one after another: one refetch in all.
    const codes = await Promise.all(forged.slice(0, 10).map((token) => errorCodeOf(verifier.verify(token))));
    for (const token of forged.slice(10)) codes.push(await errorCodeOf(verifier.verify(token)));
    expect(new Set(codes)).toEqual(new Set(['invalid_token']));
    expect(counter.jwksCalls()).toBe(2);

    for (const token of forged) expect(() => verifier.verifySync(token)).toThrow(AuthenticationError);
    expect(counter.jwksCalls()).toBe(2);

    clock.advance(30_001);
    await errorCodeOf(verifier.verify(forged[0] as string));
    await errorCodeOf(verifier.verify(forged[1] as string));
    expect(counter.jwksCalls()).toBe(3);
  });

  it('picks up a rotated key on the first token that names it', async () => {
    const counter = countingFetch();
    const verifier = track(createVerifier(baseOptions({ fetch: counter.fetch })));
    await verifier.ready();
    const before = await signInBearer(server);
    await verifier.verify(before.access_token);
    const fetchesBefore = counter.jwksCalls();

    // The server's clock is frozen; rotating at the very instant the current key activated is a
    // silent no-op in the key ring (same activatesAt, the insert loses), so let a second pass
    // first, as it always has in a real rotation.
    server.clock.advance(1_000);
    const rotated = await server.tessera.keyRing.rotate({ immediate: true });
    const after = await signInBearer(server);
    expect(kidOf(after.access_token)).not.toBe(kidOf(before.access_token));
    expect(kidOf(after.access_token)).toBe(rotated.kid);
    expect(() => verifier.verifySync(after.access_token)).toThrow(AuthenticationError);

    await expect(verifier.verify(after.access_token)).resolves.toMatchObject({ sub: expect.any(String) });
    expect(counter.jwksCalls()).toBe(fetchesBefore + 1);
    // The retired key is still published, so tokens it signed still verify.
    await expect(verifier.verify(before.access_token)).resolves.toBeDefined();
    expect(verifier.verifySync(after.access_token).jti).toEqual(expect.any(String));
  });

  it('skips malformed, encryption and private entries and keeps the good key', async () => {
    const published = (await (await fetch(server.jwksUrl)).json()) as { keys: Record<string, unknown>[] };
    const { access_token: token } = await signInBearer(server);
    const good = published.keys.find((key) => key.kid === kidOf(token));
    expect(good).toBeDefined();

    const enc = await generateKeyPair('ES256', { extractable: true });
    const encJwk = { ...(await exportJWK(enc.publicKey)), kid: 'enc-key', alg: 'ES256', use: 'enc' };
    const withPrivate = { ...(await exportJWK(enc.privateKey)), kid: 'private-key', alg: 'ES256', use: 'sig' };
    const jwks = {
      keys: [
        null,
        42,
        'not a key',
        { kid: 'bad-point', alg: 'ES256', kty: 'EC', crv: 'P-256', x: 'AAAA', y: 'AAAA', use: 'sig' },
        { kid: 'hs', alg: 'HS256', kty: 'oct', k: 'c2VjcmV0' },
        encJwk,
        withPrivate,
        good,
      ],
    };
    const tiny = await startTinyServer((_request, response) => {
      response.writeHead(200, { 'content-type': 'application/json' });
      response.end(JSON.stringify(jwks));
    });
    tinyServers.push(tiny);

    const verifier = track(
      createVerifier({ issuer: server.issuer, audience: server.audience, jwksUrl: `${tiny.url}/.well-known/jwks.json` }),
    );
    await verifier.ready();
    expect(verifier.status).toMatchObject({ jwksKeys: 1, jwksRejected: 7, feed: 'disabled' });
    await expect(verifier.verify(token)).resolves.toMatchObject({ iss: server.issuer });

    // K-03: a token signed with the key published for encryption is refused.
    const now = Math.floor(Date.now() / 1000);
    const encSigned = await new SignJWT({ sid: 's' })
      .setProtectedHeader({ alg: 'ES256', typ: 'at+jwt', kid: 'enc-key' })
      .setIssuer(server.issuer)
      .setAudience(server.audience)
      .setSubject('u')
      .setJti('j')
      .setIssuedAt(now)
      .setExpirationTime(now + 60)
      .sign(enc.privateKey);
    expect(await errorCodeOf(verifier.verify(encSigned))).toBe('invalid_token');
  });

  it('refuses an oversized JWKS and keeps retrying in the background', async () => {
    const errors: string[] = [];
    const tiny = await startTinyServer((_request, response) => {
      // No Content-Length: the cap has to hold while streaming.
      response.writeHead(200, { 'content-type': 'application/json' });
      response.write('{"keys":[');
      response.end(`"${'x'.repeat(1_100_000)}"]}`);
    });
    tinyServers.push(tiny);
    const verifier = track(
      createVerifier({
        issuer: server.issuer,
        audience: server.audience,
        jwksUrl: `${tiny.url}/jwks.json`,
        onError: (error) => errors.push(error.message),
      }),
    );
    await waitFor(() => errors.length >= 2);
    expect(errors[0]).toMatch(/larger than 1048576 bytes/);
    expect(verifier.status.jwksKeys).toBe(0);
    expect(() => verifier.verifySync('a.b.c')).toThrow('The verifier is not ready.');
  });
});

describe('lifecycle and options', () => {
  it('is not ready before its snapshot, and close() is idempotent and fails closed', async () => {
    const feed = await startTinyServer((_request, response) => {
      response.writeHead(200, { 'content-type': 'text/event-stream' }); // never a snapshot
    });
    tinyServers.push(feed);
    const verifier = createVerifier(baseOptions({ revocationsUrl: feed.url, staleAfterMs: 5_000 }));
    const ready = verifier.ready();
    const { access_token: token } = await signInBearer(server);
    await waitFor(() => verifier.status.jwksKeys > 0);
    expect(verifier.status.feed).toBe('connecting');
    expect(() => verifier.verifySync(token)).toThrow('The verifier is not ready.');

    await Promise.all([verifier.close(), verifier.close()]);
    await verifier.close();
    await expect(ready).rejects.toThrow(/closed before it was ready/);
    expect(() => verifier.verifySync(token)).toThrow('The verifier is closed.');
  });

  it('refuses every token after close() even when it was live', async () => {
    const verifier = createVerifier(baseOptions());
    await verifier.ready();
    const { access_token: token } = await signInBearer(server);
    await verifier.verify(token);
    await verifier.close();
    expect(await errorCodeOf(verifier.verify(token))).toBe('verifier_unavailable');
  });

  it('does not depend on fetch honouring its abort signal (timeouts and close still land)', async () => {
    // Node's fetch can lose an abort after a GC (nodejs/undici#3644); this fetch never honours
    // one at all: a JWKS request that never answers and a feed stream that never ends.
    const published = JSON.stringify(await (await fetch(server.jwksUrl)).json());
    let jwksCalls = 0;
    let jwksHangs = true;
    const deaf: typeof fetch = async (input) => {
      const url = String(input);
      if (url.endsWith('/jwks.json')) {
        jwksCalls++;
        if (jwksHangs) return new Promise<Response>(() => undefined);
        return new Response(published, { headers: { 'content-type': 'application/json' } });
      }
      const snapshot = `event: snapshot\ndata: ${JSON.stringify({ now: Date.now(), revocations: [] })}\n\n`;
      const body = new ReadableStream<Uint8Array>({
        start(controller) {
          controller.enqueue(new TextEncoder().encode(snapshot));
        },
      });
      return new Response(body, { headers: { 'content-type': 'text/event-stream' } });
    };
    const errors: string[] = [];
    const verifier = createVerifier(
      baseOptions({ fetch: deaf, fetchTimeoutMs: 100, onError: (error) => errors.push(error.message) }),
    );
    // The hung JWKS request times out and is retried: the refresh is never stuck in flight.
    expect(await waitFor(() => jwksCalls >= 2)).not.toBeNull();
    expect(errors).toContain('The JWKS request timed out.');
    jwksHangs = false;
    await verifier.ready();
    const { access_token: token } = await signInBearer(server);
    await expect(verifier.verify(token)).resolves.toBeDefined();

    const closing = verifier.close();
    const closed = await Promise.race([closing.then(() => true), new Promise((resolve) => setTimeout(() => resolve(false), 1_000))]);
    expect(closed, 'close() did not finish while the feed stream ignored its signal').toBe(true);
  });

  it('validates its options once, with messages that say what to fix', () => {
    const valid: VerifierOptions = { issuer: 'https://auth.example.com', audience: 'api', jwksUrl: 'https://auth.example.com/jwks' };
    const cases: [Record<string, unknown>, RegExp][] = [
      [{ issuer: undefined }, /`issuer` is required/],
      [{ audience: '' }, /`audience` is required/],
      [{ jwksUrl: 'not a url' }, /`jwksUrl` must be an absolute http\(s\) URL/],
      [{ jwksUrl: 'file:///etc/jwks.json' }, /`jwksUrl` must be an http\(s\) URL/],
      [{ jwksUrl: 'https://user:pw@auth.example.com/jwks' }, /must not contain credentials/],
      [{ revocationsUrl: 'https://auth.example.com/auth/revocations' }, /`clientId` is required/],
      [{ revocationsUrl: 'https://auth.example.com/auth/revocations', clientId: 'gw' }, /`clientSecret` is required/],
      [{ clientId: 'gw', clientSecret: 's'.repeat(32) }, /only used with `revocationsUrl`/],
      [{ revocationUrl: 'https://auth.example.com/auth/revocations' }, /unknown option `revocationUrl`/],
      [{ staleAfterMs: -1 }, /`staleAfterMs` must be a number of milliseconds/],
      [{ jwksRefreshMs: 10 }, /`jwksRefreshMs` must be a number of milliseconds/],
      [{ jwksCooldownMs: Number.NaN }, /`jwksCooldownMs`/],
      [{ cacheSize: -1 }, /`cacheSize` must be a non-negative integer/],
      [{ clockSkewSeconds: 3_600 }, /`clockSkewSeconds` must be between 0 and 300/],
      [{ clock: {} }, /`clock` must be an object with a now\(\) method/],
      [{ fetch: 'fetch' }, /`fetch` must be a function/],
    ];
    for (const [change, message] of cases) {
      const attempt = (): Verifier => createVerifier({ ...valid, ...change } as VerifierOptions);
      expect(attempt, JSON.stringify(change)).toThrow(ConfigurationError);
      expect(attempt, JSON.stringify(change)).toThrow(message);
    }
    expect(() => createVerifier(undefined as unknown as VerifierOptions)).toThrow(ConfigurationError);
  });
});
