import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { Client } from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openPostgresStores } from '../../src/stores/postgres/index.js';
import { type RunningNginx, startNginx } from '../support/nginx.js';
import { POSTGRES_URL, adminPool, closeAdminPool, dropSchema, uniqueSchemaName } from '../support/postgres.js';
import {
  type ManagedProcess,
  REPO_ROOT,
  type TesseraNode,
  freePort,
  pollUntil,
  requireBuild,
  startNodeScript,
  startTesseraNode,
  stopAll,
} from '../support/processes.js';
import { type PrivateRedisServer, rawCommand, startRedisServer, uniqueRedisPrefix } from '../support/redis-server.js';

/**
 * Many nodes behave as one: three `tessera serve` processes share the stores behind an nginx
 * round-robin. Each step is sent to a chosen node directly (sign in on node 1, use on node 2,
 * sign out on node 3); a verifier in a separate process follows node 1's revocation feed. Run
 * with sessions in PostgreSQL (LISTEN/NOTIFY) and in Redis (pub/sub), users in PostgreSQL.
 */

const PASSWORD = 'correct horse battery staple';
const CLIENT_ID = 'verifier';
/** Bounded polling for a revocation to cross processes: every 10 ms, at most 2 s. */
const PROPAGATION_BOUND_MS = 2_000;
const POLL_MS = 10;

interface Reply {
  readonly status: number;
  readonly headers: Headers;
  readonly text: string;
  readonly json: any;
}

async function call(url: string, init: { method?: string; headers?: Record<string, string>; json?: unknown } = {}): Promise<Reply> {
  const headers = { ...init.headers, ...(init.json === undefined ? {} : { 'content-type': 'application/json' }) };
  const response = await fetch(url, {
    method: init.method ?? 'GET',
    headers,
    body: init.json === undefined ? undefined : JSON.stringify(init.json),
    redirect: 'manual',
  });
  const text = await response.text();
  const json: unknown = (response.headers.get('content-type') ?? '').includes('json') && text.length > 0 ? JSON.parse(text) : null;
  return { status: response.status, headers: response.headers, text, json };
}

const bearer = (token: string): Record<string, string> => ({ authorization: `Bearer ${token}` });
const kidOf = (token: string): string => JSON.parse(Buffer.from(token.split('.')[0] as string, 'base64url').toString('utf8')).kid;

/** A revocation feed (SSE) followed by the test, with the arrival time of every event. */
interface FeedWatch {
  /** Resolves with the arrival time (performance.now()) of the first matching revocation, or null after `timeoutMs`. */
  arrivalOf(predicate: (entry: { kind: string; value: string }) => boolean, timeoutMs: number): Promise<number | null>;
  close(): void;
}

async function watchFeed(nodeUrl: string, authorization: string): Promise<FeedWatch> {
  const controller = new AbortController();
  const response = await fetch(`${nodeUrl}/auth/revocations`, { headers: { authorization }, signal: controller.signal });
  expect(response.status).toBe(200);
  const arrivals: Array<{ at: number; entry: { kind: string; value: string } }> = [];
  let snapshot = false;
  let onSnapshot: () => void = () => undefined;
  const snapshotSeen = new Promise<void>((resolve) => (onSnapshot = resolve));
  void (async () => {
    const decoder = new TextDecoder();
    let buffer = '';
    try {
      for await (const chunk of response.body as unknown as AsyncIterable<Uint8Array>) {
        const at = performance.now();
        buffer += decoder.decode(chunk, { stream: true });
        let end: number;
        while ((end = buffer.indexOf('\n\n')) !== -1) {
          const block = buffer.slice(0, end);
          buffer = buffer.slice(end + 2);
          const event = /^event: (.*)$/m.exec(block)?.[1];
          const data = /^data: (.*)$/m.exec(block)?.[1];
          if (event === 'snapshot') {
            snapshot = true;
            onSnapshot();
          }
          if (event === 'revocation' && data) arrivals.push({ at, entry: JSON.parse(data) });
        }
      }
    } catch {
      // aborted by close()
    }
  })();
  await Promise.race([snapshotSeen, new Promise((resolve) => setTimeout(resolve, 5_000))]);
  expect(snapshot, `snapshot from ${nodeUrl}`).toBe(true);
  return {
    async arrivalOf(predicate, timeoutMs) {
      const deadline = performance.now() + timeoutMs;
      for (;;) {
        const found = arrivals.find((arrival) => predicate(arrival.entry));
        if (found) return found.at;
        if (performance.now() > deadline) return null;
        await new Promise((resolve) => setTimeout(resolve, POLL_MS));
      }
    },
    close: () => controller.abort(),
  };
}

/** Polls `check` every POLL_MS until true; returns the elapsed ms since `since`, or null past the bound. */
async function latencyUntil(since: number, check: () => Promise<boolean>): Promise<number | null> {
  for (;;) {
    if (await check()) return performance.now() - since;
    if (performance.now() - since > PROPAGATION_BOUND_MS) return null;
    await new Promise((resolve) => setTimeout(resolve, POLL_MS));
  }
}

/** Observed latencies, printed at the end (recorded, never asserted against a time). */
const observations: string[] = [];

/**
 * Holds every node at the moment it writes the first signing key, so the three writes really
 * are concurrent (left alone, the nodes' start-up jitter decides whether they race at all).
 */
interface KeyCreationGate {
  /** How many nodes have opened their stores (their revocation bus listens): past the slow part of start-up. */
  listening(): Promise<number>;
  /** How many writers are waiting at the gate. */
  waiting(): Promise<number>;
  /** Lets them all through at once. */
  release(): Promise<void>;
}

interface StoreSetup {
  readonly label: string;
  /** Where the signing keys live. */
  readonly keyStore: 'postgres' | 'redis';
  /** Prepares the stores; returns TESSERA_SESSION_STORE and a gate that is already closed. */
  open(schema: string): Promise<{ sessionStore: string; gate: KeyCreationGate }>;
  /** Removes what open() created; must not throw. */
  close(): Promise<void>;
}

/** Migrates a schema up front, as a deployment's migration step would. */
async function migrate(schema: string): Promise<void> {
  const stores = openPostgresStores({ url: POSTGRES_URL, schema, poolSize: 1, applicationName: 'tessera-e2e-migrate' });
  try {
    await stores.ready();
  } finally {
    await stores.close();
  }
}

/** Sessions and keys in PostgreSQL: the gate is an EXCLUSIVE table lock (reads pass, inserts wait). */
function postgresSetup(): StoreSetup {
  let locker: Client | undefined;
  return {
    label: 'sessions and users in PostgreSQL (LISTEN/NOTIFY)',
    keyStore: 'postgres',
    async open(schema) {
      await migrate(schema);
      const client = new Client({ connectionString: POSTGRES_URL, application_name: 'tessera-e2e-key-gate' });
      locker = client;
      client.on('error', () => undefined);
      await client.connect();
      await client.query('BEGIN');
      await client.query(`LOCK TABLE "${schema}".signing_keys IN EXCLUSIVE MODE`);
      const count = async (pattern: string, waitingOnLock: boolean): Promise<number> => {
        const { rows } = await adminPool().query<{ n: number }>(
          `SELECT count(*)::int AS n FROM pg_stat_activity
           WHERE datname = current_database() AND query LIKE $1 AND ($2::boolean IS FALSE OR wait_event_type = 'Lock')`,
          [pattern, waitingOnLock],
        );
        return rows[0]?.n ?? 0;
      };
      const gate: KeyCreationGate = {
        listening: () => count(`LISTEN "${schema}_revocations"`, false),
        async waiting() {
          const { rows } = await adminPool().query<{ n: number }>(
            `SELECT count(*)::int AS n FROM pg_stat_activity
             WHERE datname = current_database() AND wait_event_type = 'Lock' AND query LIKE $1`,
            [`INSERT INTO "${schema}".signing_keys%`],
          );
          return rows[0]?.n ?? 0;
        },
        async release() {
          await client.query('COMMIT');
        },
      };
      return { sessionStore: POSTGRES_URL, gate };
    },
    async close() {
      await locker?.end().catch(() => undefined);
    },
  };
}

/**
 * Sessions and keys in Redis, users in PostgreSQL: the gate is CLIENT PAUSE WRITE, so this
 * suite has a private redis-server (pausing the machine's shared one would stall every other
 * test writing to it).
 */
function redisSetup(): StoreSetup {
  let redis: PrivateRedisServer | undefined;
  return {
    label: 'sessions in Redis (pub/sub), users in PostgreSQL',
    keyStore: 'redis',
    async open(schema) {
      await migrate(schema);
      const server = await startRedisServer();
      redis = server;
      const reply = await rawCommand(server.port, 'CLIENT PAUSE 60000 WRITE', 2_000);
      expect(reply).toMatch(/^\+OK/);
      const clients = async (): Promise<string[]> => ((await rawCommand(server.port, 'CLIENT LIST', 2_000)) ?? '').split('\n');
      const gate: KeyCreationGate = {
        // Every client of this private server is one of the nodes: subscribers are their buses.
        listening: async () => (await clients()).filter((line) => /\bsub=[1-9]/.test(line)).length,
        async waiting() {
          // Paused writers are blocked (flag b) on their script call: the key insert.
          return (await clients()).filter((line) => /flags=\S*b/.test(line) && /cmd=(evalsha|eval|fcall)\b/.test(line)).length;
        },
        async release() {
          expect(await rawCommand(server.port, 'CLIENT UNPAUSE', 2_000)).toMatch(/^\+OK/);
        },
      };
      return { sessionStore: server.url, gate };
    },
    async close() {
      await redis?.cleanup();
    },
  };
}

function defineMultiNodeSuite(setup: StoreSetup): void {
  describe(`three nodes, ${setup.label}`, () => {
    const schema = uniqueSchemaName('tessera_e2e');
    const clientSecret = randomBytes(32).toString('base64url');
    const basic = `Basic ${Buffer.from(`${CLIENT_ID}:${clientSecret}`).toString('base64')}`;
    const redisPrefix = uniqueRedisPrefix();
    /** How many nodes were held at the key gate together. */
    let racers = 0;
    const dataDirs: string[] = [];
    let nodes: TesseraNode[] = [];
    let nginx: RunningNginx | undefined;
    let verifier: (ManagedProcess & { url: string }) | undefined;
    let publicUrl: string;

    const node = (n: 1 | 2 | 3): TesseraNode => nodes[n - 1] as TesseraNode;

    /** Registers a user (on `via`); returns its email and id. */
    async function register(via: string): Promise<{ email: string; userId: string }> {
      const email = `multi-${randomBytes(5).toString('hex')}@example.com`;
      const reply = await call(`${via}/auth/register`, { method: 'POST', json: { email, password: PASSWORD } });
      expect(reply.status, reply.text).toBe(201);
      return { email, userId: reply.json.user.id };
    }

    async function cookieLogin(via: string, email: string): Promise<{ cookie: string; csrfToken: string; sessionId: string }> {
      const reply = await call(`${via}/auth/login`, { method: 'POST', headers: { 'sec-fetch-site': 'same-origin' }, json: { email, password: PASSWORD } });
      expect(reply.status, reply.text).toBe(200);
      const line = reply.headers.getSetCookie().find((l) => l.includes('session='));
      expect(line).toBeDefined();
      return { cookie: (line as string).split(';')[0] as string, csrfToken: reply.json.csrfToken, sessionId: reply.json.session.id };
    }

    async function bearerLogin(via: string, email: string): Promise<{ accessToken: string; refreshToken: string; sessionId: string }> {
      const reply = await call(`${via}/auth/login`, { method: 'POST', json: { email, password: PASSWORD, carrier: 'bearer' } });
      expect(reply.status, reply.text).toBe(200);
      return { accessToken: reply.json.access_token, refreshToken: reply.json.refresh_token, sessionId: reply.json.session.id };
    }

    const checkAtVerifier = async (token: string): Promise<Reply> => call(`${verifier!.url}/check`, { headers: bearer(token) });

    async function validCount(url: string): Promise<number> {
      const metrics = await call(`${url}/metrics`);
      const line = metrics.text.split('\n').find((l) => l.startsWith('tessera_session_validations_total{result="valid"}'));
      return line ? Number(line.split(' ').pop()) : 0;
    }

    beforeAll(async () => {
      requireBuild();
      const [gatewayPort, ...nodePorts] = await Promise.all([freePort(), freePort(), freePort(), freePort()]);
      publicUrl = `http://127.0.0.1:${gatewayPort}`;
      const { sessionStore, gate } = await setup.open(schema);
      const shared: Record<string, string> = {
        TESSERA_SECRET: randomBytes(32).toString('base64url'),
        // The same public URL on every node: one CSRF origin, one token issuer and audience.
        TESSERA_PUBLIC_URL: publicUrl,
        TESSERA_TRUST_PROXY: 'true',
        TESSERA_CLIENTS: `${CLIENT_ID}:${clientSecret}`,
        TESSERA_SESSION_STORE: sessionStore,
        TESSERA_USER_STORE: POSTGRES_URL,
        TESSERA_POSTGRES_SCHEMA: schema,
        TESSERA_REDIS_PREFIX: redisPrefix,
      };
      // All three at the same moment, on a store with no signing key yet, and held at the gate
      // until each has decided to create the first key: then all are let through together.
      // Each node has a data directory of its own, so nothing is shared through the disk.
      let failedToStart = false;
      const starting = Promise.allSettled(
        nodePorts.map((port, index) => {
          const dataDir = mkdtempSync(join(tmpdir(), `tessera-node${index + 1}-`));
          dataDirs.push(dataDir);
          return startTesseraNode({ name: `node${index + 1}`, port, env: { ...shared, TESSERA_DATA_DIR: dataDir } }).catch((error: unknown) => {
            failedToStart = true;
            throw error;
          });
        }),
      );
      // First every node past its (load-dependent) start-up, then all at the gate. A store that
      // serialises key creation (a lock) lets only one through to the gate, so after a short
      // bound the gate opens anyway: these waits never fail the test themselves.
      const soft = (check: () => Promise<boolean>, ms: number, what: string): Promise<void> =>
        pollUntil(async () => failedToStart || (await check()), ms, what).catch(() => undefined);
      try {
        await soft(async () => (await gate.listening()) >= 3, 15_000, 'three nodes with open stores');
        await soft(async () => (await gate.waiting()) >= 3, 3_000, 'three nodes at the key gate');
        racers = await gate.waiting();
      } finally {
        await gate.release();
      }
      const started = await starting;
      nodes = started.flatMap((result) => (result.status === 'fulfilled' ? [result.value] : []));
      const failed = started.find((result): result is PromiseRejectedResult => result.status === 'rejected');
      if (failed) throw failed.reason;

      // The example's gateway config with the three nodes as the round-robin upstream; the
      // example services are not part of this test (nothing listens at their ports).
      const unused = await freePort();
      nginx = await startNginx({
        listenPort: gatewayPort,
        tessera: nodes.map((n) => `127.0.0.1:${n.port}`),
        headersService: `127.0.0.1:${unused}`,
        tokenService: `127.0.0.1:${unused}`,
      });
      verifier = await startNodeScript({
        name: 'verifier-check',
        script: join(REPO_ROOT, 'test/support/verifier-check.mjs'),
        env: {
          PORT: '0',
          ISSUER: publicUrl,
          AUDIENCE: publicUrl,
          JWKS_URL: `${node(1).url}/.well-known/jwks.json`,
          REVOCATIONS_URL: `${node(1).url}/auth/revocations`,
          CLIENT_ID,
          CLIENT_SECRET: clientSecret,
        },
      });
      await verifier.waitForOutput(/verifier-check ready/, 15_000);
    }, 60_000);

    afterAll(async () => {
      await nginx?.stop();
      await stopAll([verifier, ...nodes]);
      for (const dir of dataDirs) rmSync(dir, { recursive: true, force: true });
      await dropSchema(schema);
      await setup.close();
    });

    it('key coordination: started at once, the nodes publish one and the same key set and sign with one key', async () => {
      observations.push(`${setup.label}: ${racers} of 3 nodes were held at the first-key write together`);
      const sets = await Promise.all(nodes.map(async (n) => (await call(`${n.url}/.well-known/jwks.json`)).json.keys as Array<{ kid: string }>));
      const kids = sets.map((keys) => keys.map((key) => key.kid).sort());
      expect(kids[1], 'node 2 publishes what node 1 does').toEqual(kids[0]);
      expect(kids[2], 'node 3 publishes what node 1 does').toEqual(kids[0]);
      expect(kids[0], 'exactly one key on a fresh store').toHaveLength(1);
      if (setup.keyStore === 'postgres') {
        const { rows } = await adminPool().query<{ n: number }>(`SELECT count(*)::int AS n FROM "${schema}".signing_keys`);
        expect(rows[0]?.n, 'signing keys in the store').toBe(1);
      }
      // Every node signs with that one key.
      const { email } = await register(node(1).url);
      for (const n of nodes) {
        const { accessToken } = await bearerLogin(n.url, email);
        expect(kidOf(accessToken), n.name).toBe(kids[0]![0]);
      }
    });

    it('cookie: signed in on node 1, used on node 2, signed out on node 3, refused on every node right after', async () => {
      const { email, userId } = await register(node(1).url);
      const browser = await cookieLogin(node(1).url, email);

      const session = await call(`${node(2).url}/auth/session`, { headers: { cookie: browser.cookie } });
      expect(session.status, session.text).toBe(200);
      expect(session.json.user.id).toBe(userId);
      // The CSRF token minted on node 1 is good on node 2 (one shared secret), judged through
      // forward-auth for a POST; without it the POST is refused.
      const post = { cookie: browser.cookie, origin: publicUrl, 'x-forwarded-method': 'POST', 'x-original-method': 'POST' };
      expect((await call(`${node(2).url}/auth/verify`, { headers: { ...post, 'x-csrf-token': browser.csrfToken } })).status).toBe(200);
      expect((await call(`${node(2).url}/auth/verify`, { headers: post })).status).toBe(403);

      const logout = await call(`${node(3).url}/auth/logout`, {
        method: 'POST',
        headers: { cookie: browser.cookie, origin: publicUrl, 'x-csrf-token': browser.csrfToken },
      });
      expect(logout.status, logout.text).toBe(204);

      // No waiting: sessions are read from the shared store on every request.
      for (const n of nodes) {
        const after = await call(`${n.url}/auth/session`, { headers: { cookie: browser.cookie } });
        expect(after.status, `${n.name}: ${after.text}`).toBe(401);
        expect((await call(`${n.url}/auth/verify`, { headers: { cookie: browser.cookie } })).status, n.name).toBe(401);
      }
      expect((await call(`${nginx!.url}/auth/session`, { headers: { cookie: browser.cookie } })).status).toBe(401);
    });

    it('bearer: refreshed on node 2, signed out on node 3; the refresh token, and the access token at every node and at a verifier in another process, are refused right after', async () => {
      const { email, userId } = await register(node(1).url);
      const first = await bearerLogin(node(1).url, email);
      expect((await checkAtVerifier(first.accessToken)).status).toBe(200);

      const refreshed = await call(`${node(2).url}/auth/refresh`, { method: 'POST', json: { refresh_token: first.refreshToken } });
      expect(refreshed.status, refreshed.text).toBe(200);
      const accessToken = refreshed.json.access_token as string;
      const refreshToken = refreshed.json.refresh_token as string;
      // Issued on node 2, accepted by node 1 and by the verifier that only knows node 1's JWKS.
      expect((await call(`${node(1).url}/auth/session`, { headers: bearer(accessToken) })).json.user.id).toBe(userId);
      const before = await checkAtVerifier(accessToken);
      expect(before.status, before.text).toBe(200);
      expect(before.json.claims.sid).toBe(first.sessionId);

      // Every node's feed, to see the revocation arrive on each (node 1's also feeds the verifier).
      const feeds = await Promise.all(nodes.map((n) => watchFeed(n.url, basic)));
      try {
        const sentAt = performance.now();
        const logout = await call(`${node(3).url}/auth/logout`, { method: 'POST', headers: bearer(accessToken) });
        expect(logout.status, logout.text).toBe(204);
        const loggedOutAt = performance.now();

        // Pushed: the verifier in another process learns of it through node 1's feed, which
        // heard it from node 3 over the bus.
        const verifierLatency = await latencyUntil(loggedOutAt, async () => (await checkAtVerifier(accessToken)).status === 401);
        expect(verifierLatency, `the verifier refused the token within ${PROPAGATION_BOUND_MS} ms`).not.toBeNull();

        // Store-backed checks: refused at once, no waiting.
        const again = await call(`${node(2).url}/auth/refresh`, { method: 'POST', json: { refresh_token: refreshToken } });
        expect(again.status, again.text).toBe(401);
        for (const n of nodes) {
          for (const token of [accessToken, first.accessToken]) {
            expect((await call(`${n.url}/auth/session`, { headers: bearer(token) })).status, n.name).toBe(401);
          }
        }

        const refusal = await checkAtVerifier(accessToken);
        expect(refusal.status).toBe(401);
        expect(refusal.json.code).toBe('token_revoked');
        expect((await checkAtVerifier(first.accessToken)).status).toBe(401);

        const feedLatencies = await Promise.all(
          feeds.map(async (feed) => {
            const at = await feed.arrivalOf((entry) => entry.kind === 'sid' && entry.value === first.sessionId, PROPAGATION_BOUND_MS);
            return at === null ? null : at - sentAt;
          }),
        );
        feedLatencies.forEach((latency, index) => expect(latency, `node ${index + 1}'s feed carried the revocation`).not.toBeNull());
        const ms = (value: number): string => `${value.toFixed(1)} ms`;
        observations.push(
          `${setup.label}: POST /auth/logout on node 3 took ${ms(loggedOutAt - sentAt)}; the revocation reached the SSE feeds of ` +
            `${feedLatencies.map((l, i) => `node ${i + 1} after ${ms(l!)}`).join(', ')} (from sending the logout); the verifier in ` +
            `another process (node 1's feed) refused the access token ${ms(verifierLatency!)} after the logout response (first poll; polled every ${POLL_MS} ms)`,
        );
      } finally {
        for (const feed of feeds) feed.close();
      }
    });

    it('round-robin through nginx: one session serves every node, and one sign-out ends it on all of them', async () => {
      const gateway = nginx!.url;
      const { email, userId } = await register(gateway);
      const browser = await cookieLogin(gateway, email);
      const before = await Promise.all(nodes.map((n) => validCount(n.url)));
      for (let i = 0; i < 6; i++) {
        const reply = await call(`${gateway}/auth/session`, { headers: { cookie: browser.cookie } });
        expect(reply.status, reply.text).toBe(200);
        expect(reply.json.user.id).toBe(userId);
      }
      const after = await Promise.all(nodes.map((n) => validCount(n.url)));
      const served = after.map((count, index) => count - (before[index] as number));
      expect(served.reduce((a, b) => a + b, 0)).toBe(6);
      served.forEach((count, index) => expect(count, `requests node ${index + 1} served`).toBeGreaterThan(0));

      const app = await bearerLogin(gateway, email);
      const refreshed = await call(`${gateway}/auth/refresh`, { method: 'POST', json: { refresh_token: app.refreshToken } });
      expect(refreshed.status, refreshed.text).toBe(200);
      expect((await checkAtVerifier(refreshed.json.access_token)).status).toBe(200);

      const logoutCookie = await call(`${gateway}/auth/logout`, {
        method: 'POST',
        headers: { cookie: browser.cookie, 'sec-fetch-site': 'same-origin', 'x-csrf-token': browser.csrfToken },
      });
      expect(logoutCookie.status).toBe(204);
      const logoutApp = await call(`${gateway}/auth/logout`, { method: 'POST', headers: bearer(refreshed.json.access_token) });
      expect(logoutApp.status).toBe(204);
      const loggedOutAt = performance.now();
      for (let i = 0; i < 6; i++) {
        expect((await call(`${gateway}/auth/session`, { headers: { cookie: browser.cookie } })).status).toBe(401);
        expect((await call(`${gateway}/auth/session`, { headers: bearer(refreshed.json.access_token) })).status).toBe(401);
      }
      for (let i = 0; i < 3; i++) {
        expect((await call(`${gateway}/auth/refresh`, { method: 'POST', json: { refresh_token: refreshed.json.refresh_token } })).status).toBe(401);
      }
      const latency = await latencyUntil(loggedOutAt, async () => (await checkAtVerifier(refreshed.json.access_token)).status === 401);
      expect(latency, 'the verifier refused the token').not.toBeNull();
    });
  });
}

defineMultiNodeSuite(postgresSetup());
defineMultiNodeSuite(redisSetup());

afterAll(async () => {
  await closeAdminPool();
  for (const line of observations) console.log(`[multi-node] ${line}`);
});
