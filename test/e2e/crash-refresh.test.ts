import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Session } from '../../src/core/model.js';
import { openPostgresStores } from '../../src/stores/postgres/index.js';
import { openRedisStores } from '../../src/stores/redis/index.js';
import { type LoadSample, registerUser, sendRequest, signInWithBearer, startLoad, summarizeSamples } from '../support/load.js';
import { POSTGRES_URL, closeAdminPool, dropSchema, terminateBackends, uniqueApplicationName, uniqueSchemaName } from '../support/postgres.js';
import { type TesseraNode, freePort, pollUntil, startTesseraNode, stopAll } from '../support/processes.js';
import { SHARED_REDIS_URL, deleteKeysWithPrefix, uniqueRedisPrefix } from '../support/redis-server.js';

/**
 * A node killed with SIGKILL in the middle of refreshes (`tessera serve` as a child process, on
 * PostgreSQL and on Redis): 20 bearer clients refresh as fast as they can — sometimes two
 * requests with the same token at once, the grace window's case — until the node dies at a
 * random moment. A new node on the same store must then show that no session was lost and
 * that no refresh chain forked: one successor per generation, the store's generation equal to
 * the newest one a client received (or one past it, when the crash swallowed the answer of a
 * committed rotation), and an authentic older token answered with refresh_token_reused.
 */

const SECRET = randomBytes(32).toString('base64url');
const CLIENTS = 20;
const PAIR_SHARE = 0.3;

/** The store side of one describe: the node's environment and a direct look at its sessions. */
interface StoreUnderTest {
  readonly env: Record<string, string>;
  findSession(id: string): Promise<Session | null>;
  cleanup(): Promise<void>;
}

/** What one bearer client saw. */
interface Client {
  readonly userId: string;
  readonly sessionId: string;
  /** The newest refresh token it holds. */
  latest: string;
  /** Every refresh token received, by generation. */
  readonly received: Map<number, Set<string>>;
  /** The `iat` of every access token received, by generation (a fork would show two). */
  readonly issuedAt: Map<number, Set<number>>;
}

function generationOf(refreshToken: string): number {
  const parts = refreshToken.split('.');
  expect(parts).toHaveLength(3);
  return Number(parts[1]);
}

function claimsOf(accessToken: string): { sid: string; iat: number } {
  return JSON.parse(Buffer.from(accessToken.split('.')[1] as string, 'base64url').toString('utf8'));
}

function remember(client: Client, json: any): void {
  const generation = generationOf(json.refresh_token);
  const claims = claimsOf(json.access_token);
  expect(claims.sid).toBe(client.sessionId);
  const tokens = client.received.get(generation) ?? new Set<string>();
  tokens.add(json.refresh_token);
  client.received.set(generation, tokens);
  const iats = client.issuedAt.get(generation) ?? new Set<number>();
  iats.add(claims.iat);
  client.issuedAt.set(generation, iats);
  if (generation > generationOf(client.latest)) client.latest = json.refresh_token;
}

function refreshOn(baseUrl: string, refreshToken: string) {
  return sendRequest({
    method: 'POST',
    url: `${baseUrl}/auth/refresh`,
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ refresh_token: refreshToken }),
  });
}

function describeCrash(name: string, openStore: (dataDir: string) => Promise<StoreUnderTest>): void {
  describe(`kill -9 mid-refresh on ${name}`, () => {
    let dataDir: string;
    let store: StoreUnderTest | undefined;
    let env: Record<string, string>;
    let port: number;
    const nodes: TesseraNode[] = [];
    const clients: Client[] = [];

    beforeAll(async () => {
      dataDir = mkdtempSync(join(tmpdir(), 'tessera-crash-'));
      store = await openStore(dataDir);
      // Twenty sign-ins from one address would trip the default rate limits.
      const config = join(dataDir, 'config.json');
      const rule = { limit: 1_000, windowMs: 3_600_000 };
      writeFileSync(config, JSON.stringify({ rateLimit: { loginPerIp: rule, loginPerAccount: rule, registerPerIp: rule } }));
      env = {
        TESSERA_DATA_DIR: dataDir,
        TESSERA_SECRET: SECRET,
        TESSERA_CONFIG: config,
        // Long enough that the previous generation is still in its grace window when the
        // restarted node is asked about it, whatever the machine's speed.
        TESSERA_REFRESH_GRACE: '30s',
        ...store.env,
      };
      port = await freePort();
      nodes.push(await startTesseraNode({ name: `${name}-1`, port, env }));
      const baseUrl = nodes[0]!.url;
      const tag = randomBytes(4).toString('hex');
      for (let i = 0; i < CLIENTS / 2; i++) {
        const email = `crash-${tag}-${i}@example.com`;
        await registerUser(baseUrl, email);
        for (let j = 0; j < 2; j++) {
          const signedIn = await signInWithBearer(baseUrl, email);
          const client: Client = { userId: signedIn.userId, sessionId: signedIn.sessionId, latest: signedIn.refreshToken, received: new Map(), issuedAt: new Map() };
          remember(client, { refresh_token: signedIn.refreshToken, access_token: signedIn.accessToken });
          clients.push(client);
        }
      }
    }, 30_000);

    afterAll(async () => {
      await stopAll(nodes);
      await Promise.allSettled([store?.cleanup()]);
      if (dataDir !== undefined) rmSync(dataDir, { recursive: true, force: true });
    });

    it('is killed mid-refresh and a new node on the same store starts', async () => {
      const first = nodes[0]!;
      let killed = false;
      let killAt = Number.POSITIVE_INFINITY;
      const load = startLoad({
        workers: CLIENTS,
        maxRequests: 50_000,
        maxDurationMs: 20_000,
        pauseMs: 0,
        next: (worker) => {
          if (killed) return null;
          const client = clients[worker]!;
          return {
            label: 'refresh',
            method: 'POST',
            url: `${first.url}/auth/refresh`,
            headers: { 'content-type': 'application/json' },
            body: JSON.stringify({ refresh_token: client.latest }),
            // Two tabs refreshing with the same token at once: both must get the same successor.
            copies: Math.random() < PAIR_SHARE ? 2 : 1,
            onResponse: (sample, json) => {
              if (sample.status === 200) remember(client, json);
            },
          };
        },
      });
      let samples: readonly LoadSample[];
      try {
        // Every client well into its chain (so each has older tokens to present later), then
        // the kill at a random moment.
        await pollUntil(() => clients.every((client) => generationOf(client.latest) >= 3), 15_000, 'every client to refresh three times');
        await new Promise((resolve) => setTimeout(resolve, Math.random() * 600));
        killed = true;
        killAt = Date.now();
        process.kill(first.pid!, 'SIGKILL');
        await pollUntil(() => !first.running, 10_000, 'the killed node to exit');
      } finally {
        samples = await load.stop();
      }
      const ok = samples.filter((s) => s.status === 200).length;
      console.log(`[${name}] killed after ${ok} refreshes; answers:`, summarizeSamples(samples));
      // Before the crash every refresh succeeds (pairs included); after it, nothing answers.
      const unexpected = samples.filter((s) => !(s.status === 200 || (s.status === 0 && s.endedAt >= killAt)));
      expect(unexpected).toEqual([]);

      nodes.push(await startTesseraNode({ name: `${name}-2`, port, env }));
    }, 40_000);

    it('lost no session, and each store generation is the newest received or one past it', async () => {
      let lostAnswers = 0;
      for (const client of clients) {
        const session = await store!.findSession(client.sessionId);
        expect(session, `session ${client.sessionId}`).not.toBeNull();
        for (const [generation, tokens] of client.received) {
          expect(tokens.size, `distinct refresh tokens for generation ${generation}`).toBe(1);
          expect(client.issuedAt.get(generation)?.size, `distinct rotation instants for generation ${generation}`).toBe(1);
        }
        const newest = Math.max(...client.received.keys());
        expect([newest, newest + 1]).toContain(session!.refreshGeneration);
        if (session!.refreshGeneration === newest + 1) lostAnswers++;
      }
      console.log(`[${name}] ${lostAnswers} of ${clients.length} clients had a committed rotation whose answer the crash swallowed`);
    });

    it('gives one successor per generation on the new node and treats older tokens as reuse', async () => {
      const { url } = nodes[1]!;
      let reuseChecked = 0;
      for (const client of clients) {
        const newest = generationOf(client.latest);
        // The newest token held, twice at once: one rotation (or, when the crash swallowed a
        // committed rotation's answer, its grace re-issue) and the identical successor for both.
        const [a, b] = await Promise.all([refreshOn(url, client.latest), refreshOn(url, client.latest)]);
        expect([a.status, b.status], `${a.text} ${b.text}`).toEqual([200, 200]);
        expect(a.json.refresh_token).toBe(b.json.refresh_token);
        expect(claimsOf(a.json.access_token).iat).toBe(claimsOf(b.json.access_token).iat);
        expect(generationOf(a.json.refresh_token)).toBe(newest + 1);
        remember(client, a.json);
        expect((await store!.findSession(client.sessionId))?.refreshGeneration).toBe(newest + 1);

        // The session is alive on the new node, found through a fresh access token.
        const listed = await sendRequest({ method: 'GET', url: `${url}/auth/sessions`, headers: { authorization: `Bearer ${a.json.access_token}` } });
        expect(listed.status, listed.text).toBe(200);
        expect(listed.json.sessions).toContainEqual(expect.objectContaining({ id: client.sessionId, current: true }));

        // Every token ever received, oldest first: the first one older than current − 1 is
        // reuse and ends the session; nothing after that is ever accepted again.
        const all = [...client.received.entries()].sort(([x], [y]) => x - y).flatMap(([, tokens]) => [...tokens]);
        const current = newest + 1;
        if (!all.some((token) => generationOf(token) < current - 1)) continue;
        let revoked = false;
        for (const token of all) {
          const answer = await refreshOn(url, token);
          if (!revoked) {
            expect(generationOf(token), 'the oldest token is older than current − 1').toBeLessThan(current - 1);
            expect([answer.status, answer.json?.code]).toEqual([401, 'refresh_token_reused']);
            revoked = true;
          } else {
            expect([answer.status, answer.json?.code]).toEqual([401, 'refresh_token_invalid']);
          }
        }
        expect(await store!.findSession(client.sessionId)).toBeNull();
        reuseChecked++;
      }
      expect(reuseChecked, 'clients whose reuse was checked').toBeGreaterThan(0);
      expect(nodes[1]!.logs()).not.toContain('request failed');
    }, 30_000);
  });
}

describeCrash('PostgreSQL', async () => {
  const schema = uniqueSchemaName('tessera_crash');
  const applicationName = uniqueApplicationName();
  const url = new URL(POSTGRES_URL);
  url.searchParams.set('application_name', applicationName);
  const stores = openPostgresStores({ url: POSTGRES_URL, schema, applicationName: `${applicationName}-check`, poolSize: 2 });
  return {
    env: { TESSERA_SESSION_STORE: url.toString(), TESSERA_USER_STORE: url.toString(), TESSERA_POSTGRES_SCHEMA: schema },
    findSession: (id) => stores.sessions.findSession(id),
    async cleanup() {
      await stores.close();
      // The killed node's backends go away by themselves; make sure before dropping the schema.
      await terminateBackends(applicationName).catch(() => 0);
      await dropSchema(schema);
      await closeAdminPool();
    },
  };
});

describeCrash('Redis', async () => {
  const prefix = uniqueRedisPrefix();
  const stores = openRedisStores({ url: SHARED_REDIS_URL, keyPrefix: prefix, connectionName: 'tessera-crash-check' });
  const shared = new URL(SHARED_REDIS_URL);
  return {
    // Users stay in SQLite in the data directory the restarted node shares.
    env: { TESSERA_SESSION_STORE: SHARED_REDIS_URL, TESSERA_REDIS_PREFIX: prefix },
    findSession: (id) => stores.sessions.findSession(id),
    async cleanup() {
      await stores.close();
      await deleteKeysWithPrefix([{ host: shared.hostname, port: Number(shared.port || 6379) }], prefix);
    },
  };
});
