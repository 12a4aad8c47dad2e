import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type RunningServer, startServer } from '../../src/server/start.js';
import { createObservability } from '../../src/server/observability.js';
import { type TrafficFixtures, createTrafficFixtures, expectFailClosedAndRecovered, runOutageUnderLoad, sendRequest } from '../support/load.js';
import { type PrivateRedisServer, startRedisServer } from '../support/redis-server.js';

/**
 * Failure behaviour on Redis: a private redis-server (its own port and directory, never the
 * shared one) is stopped and restarted — and frozen and thawed — while four workers send
 * who-am-I requests with valid, revoked and unknown credentials and refresh a token chain.
 * Requests that need the store fail closed with 503 store_unavailable, a dead credential never
 * gets a 200, nothing is a 500, /readyz says not ready, the process stays up, and service comes
 * back by itself once Redis does. Users live in SQLite in a temporary data directory.
 */

let redis: PrivateRedisServer | undefined;
let server: RunningServer | undefined;
let dataDir: string | undefined;
let fixtures: TrafficFixtures;
const logs: string[] = [];

beforeAll(async () => {
  // Append-only file with fsync on every write, so a stopped and restarted Redis comes back
  // with its sessions (the helper's default keeps nothing across a restart).
  redis = await startRedisServer({ args: ['--appendonly', 'yes', '--appendfsync', 'always'] });
  dataDir = mkdtempSync(join(tmpdir(), 'tessera-failure-redis-'));
  server = await startServer({
    env: {
      TESSERA_DATA_DIR: dataDir,
      PORT: '0',
      HOST: '127.0.0.1',
      TESSERA_SESSION_STORE: `redis://127.0.0.1:${redis.port}`,
      TESSERA_REDIS_PREFIX: 'tessera-failure:',
    },
    observability: createObservability('warn', { write: (line: string) => void logs.push(line) }),
  });
  fixtures = await createTrafficFixtures(server.url);
}, 30_000);

afterAll(async () => {
  await Promise.allSettled([server?.close()]);
  await Promise.allSettled([redis?.cleanup()]);
  if (dataDir !== undefined) rmSync(dataDir, { recursive: true, force: true });
});

/** Log lines of errors the server did not expect (a 500's "request failed"). */
const unexpectedErrors = (): string[] => logs.filter((line) => line.includes('"request failed"'));

describe('Redis session store failure under load', () => {
  it('fails closed while Redis is stopped and recovers by itself once it is restarted', async () => {
    const report = await runOutageUnderLoad({
      fixtures,
      downMs: 2_500,
      breakStore: () => redis!.stop(),
      repairStore: () => redis!.start(),
    });
    expectFailClosedAndRecovered(report, fixtures, 'redis stopped');
    expect(unexpectedErrors()).toEqual([]);
  }, 45_000);

  it('fails closed while Redis hangs (SIGSTOP) and recovers once it answers again', async () => {
    const report = await runOutageUnderLoad({
      fixtures,
      downMs: 2_500,
      breakStore: async () => redis!.pause(),
      repairStore: async () => redis!.resume(),
    });
    expectFailClosedAndRecovered(report, fixtures, 'redis frozen');
    expect(unexpectedErrors()).toEqual([]);
  }, 45_000);

  it('still refuses the revoked and unknown credentials and serves the valid ones afterwards', async () => {
    const session = `${fixtures.baseUrl}/auth/session`;
    const [cookie, bearer, revoked, unknown, revokedBearer, ready] = await Promise.all([
      sendRequest({ method: 'GET', url: session, headers: { cookie: fixtures.cookie.cookie } }),
      sendRequest({ method: 'GET', url: session, headers: { authorization: `Bearer ${fixtures.bearer.accessToken}` } }),
      sendRequest({ method: 'GET', url: session, headers: { cookie: fixtures.revokedCookie.cookie } }),
      sendRequest({ method: 'GET', url: session, headers: { cookie: fixtures.unknownCookie } }),
      sendRequest({ method: 'GET', url: session, headers: { authorization: `Bearer ${fixtures.revokedBearer.accessToken}` } }),
      sendRequest({ method: 'GET', url: `${fixtures.baseUrl}/readyz` }),
    ]);
    expect([cookie.status, bearer.status, ready.status]).toEqual([200, 200, 200]);
    expect(cookie.json.user.id).toBe(fixtures.cookie.userId);
    expect([revoked.status, revoked.json.code]).toEqual([401, 'invalid_session']);
    expect([unknown.status, unknown.json.code]).toEqual([401, 'invalid_session']);
    expect([revokedBearer.status, revokedBearer.json.code]).toEqual([401, 'token_revoked']);
    // The refresh chain survived both outages.
    const refreshed = await sendRequest({
      method: 'POST',
      url: `${fixtures.baseUrl}/auth/refresh`,
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ refresh_token: fixtures.refresher.refreshToken }),
    });
    expect(refreshed.status, refreshed.text).toBe(200);
  });
});
