import { mkdtempSync, rmSync } from 'node:fs';
import { type Socket, connect, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type RunningServer, startServer } from '../../src/server/start.js';
import { createObservability } from '../../src/server/observability.js';
import {
  type TrafficFixtures,
  VALID_LABELS,
  createTraffic,
  createTrafficFixtures,
  expectFailClosedAndRecovered,
  expectNoWrongAnswers,
  runOutageUnderLoad,
  sendRequest,
  startLoad,
  summarizeSamples,
} from '../support/load.js';
import {
  POSTGRES_URL,
  closeAdminPool,
  dropSchema,
  terminateBackends,
  uniqueApplicationName,
  uniqueSchemaName,
} from '../support/postgres.js';

/**
 * Failure behaviour on PostgreSQL (users and sessions both there). The shared server is never
 * touched: one Tessera reaches it through a local TCP proxy the test cuts (connections reset,
 * port closed: a stopped server) and freezes (bytes held: a hung server); another reaches it
 * directly and has its own backends killed with pg_terminate_backend, found by an
 * application_name no other test uses. Under load, requests that need the store fail closed
 * with 503 store_unavailable — never a 200 for a dead credential, never a 500 — /readyz says
 * not ready, the process stays up, and service comes back by itself.
 */

/** A TCP proxy to the test server that can also refuse connections, like a stopped server. */
interface CuttableProxy {
  readonly url: string;
  /** Resets every proxied connection and stops listening (new connections are refused). */
  cut(): Promise<void>;
  /** Listens again on the same port. */
  restore(): Promise<void>;
  /** Holds every byte in both directions, like a hung server. */
  freeze(): void;
  thaw(): void;
  close(): Promise<void>;
}

async function startCuttableProxy(targetUrl: string, applicationName: string): Promise<CuttableProxy> {
  const target = new URL(targetUrl);
  const sockets = new Set<Socket>();
  let frozen = false;
  const track = (socket: Socket): void => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => socket.destroy());
    if (frozen) socket.pause();
  };
  const server = createServer((client) => {
    const upstream = connect(Number(target.port || 5432), target.hostname);
    // pipe() resumes its source, so pause (when frozen) only after piping.
    client.pipe(upstream);
    upstream.pipe(client);
    track(client);
    track(upstream);
    client.on('close', () => upstream.destroy());
    upstream.on('close', () => client.destroy());
  });
  const listen = (port: number): Promise<number> =>
    new Promise((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, '127.0.0.1', () => {
        server.off('error', reject);
        const address = server.address();
        resolve(typeof address === 'object' && address !== null ? address.port : 0);
      });
    });
  const stopListening = async (): Promise<void> => {
    if (!server.listening) return;
    const closed = new Promise<void>((resolve) => server.close(() => resolve()));
    for (const socket of sockets) socket.destroy();
    await closed;
  };
  const port = await listen(0);
  const url = new URL(targetUrl);
  url.hostname = '127.0.0.1';
  url.port = String(port);
  url.searchParams.set('application_name', applicationName);
  return {
    url: url.toString(),
    cut: stopListening,
    async restore() {
      await listen(port);
    },
    freeze() {
      frozen = true;
      for (const socket of sockets) socket.pause();
    },
    thaw() {
      frozen = false;
      for (const socket of sockets) socket.resume();
    },
    close: stopListening,
  };
}

/** One in-process Tessera on PostgreSQL with its own schema, data directory and log. */
interface Node {
  readonly server: RunningServer;
  readonly fixtures: TrafficFixtures;
  readonly logs: string[];
}

const schemas: string[] = [];
const dataDirs: string[] = [];
const servers: RunningServer[] = [];
let proxy: CuttableProxy | undefined;
let viaProxy: Node;
let direct: Node;
let directApplicationName: string;

async function startNode(url: string): Promise<Node> {
  const schema = uniqueSchemaName('tessera_fail');
  schemas.push(schema);
  const dataDir = mkdtempSync(join(tmpdir(), 'tessera-failure-pg-'));
  dataDirs.push(dataDir);
  const logs: string[] = [];
  const server = await startServer({
    env: { TESSERA_DATA_DIR: dataDir, PORT: '0', HOST: '127.0.0.1', TESSERA_SESSION_STORE: url, TESSERA_USER_STORE: url, TESSERA_POSTGRES_SCHEMA: schema },
    observability: createObservability('warn', { write: (line: string) => void logs.push(line) }),
  });
  servers.push(server);
  return { server, fixtures: await createTrafficFixtures(server.url), logs };
}

/** POSTGRES_URL with an application_name of its own, so the test kills only these backends. */
function directUrl(applicationName: string): string {
  const url = new URL(POSTGRES_URL);
  url.searchParams.set('application_name', applicationName);
  return url.toString();
}

const unexpectedErrors = (node: Node): string[] => node.logs.filter((line) => line.includes('"request failed"'));

beforeAll(async () => {
  proxy = await startCuttableProxy(POSTGRES_URL, uniqueApplicationName());
  viaProxy = await startNode(proxy.url);
  directApplicationName = uniqueApplicationName();
  direct = await startNode(directUrl(directApplicationName));
}, 30_000);

afterAll(async () => {
  // Let connections a failed test left frozen drain, so closing the pools does not wait on them.
  proxy?.thaw();
  await Promise.allSettled(servers.map((server) => server.close()));
  await Promise.allSettled([proxy?.close()]);
  await Promise.allSettled(schemas.map((schema) => dropSchema(schema)));
  await closeAdminPool();
  for (const dir of dataDirs) rmSync(dir, { recursive: true, force: true });
});

describe('PostgreSQL store failure under load', () => {
  it('fails closed while the connection path is cut and recovers by itself once it is back', async () => {
    const report = await runOutageUnderLoad({
      fixtures: viaProxy.fixtures,
      downMs: 2_500,
      breakStore: () => proxy!.cut(),
      repairStore: () => proxy!.restore(),
    });
    expectFailClosedAndRecovered(report, viaProxy.fixtures, 'postgres cut');
    expect(unexpectedErrors(viaProxy)).toEqual([]);
  }, 45_000);

  it('fails closed while PostgreSQL hangs (proxy frozen) and recovers once it answers again', async () => {
    const report = await runOutageUnderLoad({
      fixtures: viaProxy.fixtures,
      downMs: 3_000,
      breakStore: async () => proxy!.freeze(),
      repairStore: async () => proxy!.thaw(),
    });
    expectFailClosedAndRecovered(report, viaProxy.fixtures, 'postgres frozen');
    expect(unexpectedErrors(viaProxy)).toEqual([]);
  }, 45_000);

  it('answers only right or 503 while its backends are terminated mid-load, and recovers', async () => {
    const { fixtures } = direct;
    const load = startLoad({ workers: 4, maxRequests: 100_000, maxDurationMs: 20_000, next: createTraffic(fixtures) });
    let terminated = 0;
    let lastKillAt = 0;
    try {
      await new Promise((resolve) => setTimeout(resolve, 500));
      for (let round = 0; round < 4; round++) {
        terminated += await terminateBackends(directApplicationName);
        lastKillAt = Date.now();
        await new Promise((resolve) => setTimeout(resolve, 400));
      }
    } finally {
      await new Promise((resolve) => setTimeout(resolve, 1_500));
      await load.stop();
    }
    const samples = load.samples;
    console.log(`[postgres terminated] ${terminated} backends killed in 4 rounds; ${samples.length} requests:`, summarizeSamples(samples));
    expect(terminated, 'backends terminated').toBeGreaterThan(0);
    expectNoWrongAnswers(samples, fixtures, `last kill ${new Date(lastKillAt).toISOString().slice(11, 23)}`);
    // Recovery: valid requests sent a second after the last kill all succeed again.
    const after = samples.filter((s) => VALID_LABELS.has(s.label) && s.startedAt >= lastKillAt + 1_000);
    expect(after.length).toBeGreaterThan(0);
    expect(after.filter((s) => s.status !== 200)).toEqual([]);
    const ready = await sendRequest({ method: 'GET', url: `${fixtures.baseUrl}/readyz` });
    expect(ready.status).toBe(200);
    expect(unexpectedErrors(direct)).toEqual([]);
  }, 45_000);

  it('still refuses the revoked and unknown credentials afterwards', async () => {
    for (const { fixtures } of [viaProxy, direct]) {
      const session = `${fixtures.baseUrl}/auth/session`;
      const [cookie, revoked, unknown, revokedBearer] = await Promise.all([
        sendRequest({ method: 'GET', url: session, headers: { cookie: fixtures.cookie.cookie } }),
        sendRequest({ method: 'GET', url: session, headers: { cookie: fixtures.revokedCookie.cookie } }),
        sendRequest({ method: 'GET', url: session, headers: { cookie: fixtures.unknownCookie } }),
        sendRequest({ method: 'GET', url: session, headers: { authorization: `Bearer ${fixtures.revokedBearer.accessToken}` } }),
      ]);
      expect(cookie.status).toBe(200);
      expect([revoked.status, revoked.json.code]).toEqual([401, 'invalid_session']);
      expect([unknown.status, unknown.json.code]).toEqual([401, 'invalid_session']);
      expect([revokedBearer.status, revokedBearer.json.code]).toEqual([401, 'token_revoked']);
      const refreshed = await sendRequest({
        method: 'POST',
        url: `${fixtures.baseUrl}/auth/refresh`,
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ refresh_token: fixtures.refresher.refreshToken }),
      });
      expect(refreshed.status, refreshed.text).toBe(200);
    }
  });
});
