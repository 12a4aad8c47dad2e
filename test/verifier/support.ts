/**
 * Test support for the standalone verifier: a Tessera server with a short SSE heartbeat (the
 * shared helper has no `heartbeatMs`), bearer sign-in over real HTTP, and tiny node:http servers
 * that play a JWKS endpoint or a revocation feed under the test's control.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:http';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createManualClock } from '../../src/core/clock.js';
import type { ManualClock } from '../../src/core/clock.js';
import { startServer } from '../../src/server/start.js';
import type { RunningServer } from '../../src/server/start.js';
import { createObservability } from '../../src/server/observability.js';
import { openSqliteStores } from '../../src/stores/sqlite/sqlite-stores.js';

/** The feed client configured on every test server. */
export const GATEWAY = { id: 'gateway', secret: 'g'.repeat(32) } as const;

/** A running Tessera test server (SQLite, manual clock, short heartbeat). */
export interface FeedTestServer extends RunningServer {
  readonly clock: ManualClock;
  readonly logs: string[];
  readonly issuer: string;
  readonly audience: string;
  readonly jwksUrl: string;
  readonly revocationsUrl: string;
}

/** Starts Tessera like test/helpers/server.ts does, plus `heartbeatMs`. */
export async function startFeedTestServer(options: { heartbeatMs?: number } = {}): Promise<FeedTestServer> {
  const dataDir = mkdtempSync(join(tmpdir(), 'tessera-verifier-'));
  const clock = createManualClock(Date.now());
  const logs: string[] = [];
  const server = await startServer({
    env: { TESSERA_DATA_DIR: dataDir, PORT: '0', HOST: '127.0.0.1' },
    overrides: {
      clients: [{ id: GATEWAY.id, secret: GATEWAY.secret }],
      // Every test signs a fresh user in from 127.0.0.1; the default 10 registrations per IP and
      // hour would stop the suite, and rate limiting is not what these tests are about.
      rateLimit: {
        registerPerIp: { limit: 1_000, windowMs: 3_600_000 },
        loginPerIp: { limit: 1_000, windowMs: 900_000 },
      },
    },
    stores: openSqliteStores({ path: join(dataDir, 'tessera.db') }),
    observability: createObservability('info', { write: (line: string) => void logs.push(line) }),
    clock,
    ...(options.heartbeatMs !== undefined ? { heartbeatMs: options.heartbeatMs } : {}),
  });
  const { issuer, audience } = server.tessera.config.tokens;
  return {
    ...server,
    clock,
    logs,
    issuer,
    audience,
    jwksUrl: `${server.url}/.well-known/jwks.json`,
    revocationsUrl: `${server.url}/auth/revocations`,
    async close() {
      await server.close();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

/** What a bearer sign-in answers. */
export interface BearerTokens {
  readonly access_token: string;
  readonly refresh_token: string;
  readonly expires_in: number;
  readonly token_type: string;
}

async function postJson(url: string, body: unknown): Promise<{ status: number; text: string }> {
  const response = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  return { status: response.status, text: await response.text() };
}

/** Registers a fresh user (unless `email` is given and registered) and signs in with carrier bearer. */
export async function signInBearer(
  server: RunningServer,
  account: { email: string; password: string; register: boolean } = {
    email: `v-${Math.random().toString(36).slice(2)}@example.com`,
    password: 'correct horse battery staple',
    register: true,
  },
): Promise<BearerTokens & { email: string; password: string }> {
  if (account.register) {
    const registered = await postJson(`${server.url}/auth/register`, { email: account.email, password: account.password });
    if (registered.status !== 201) {
      throw new Error(`POST /auth/register {email,password} answered ${registered.status}: ${registered.text}`);
    }
  }
  const login = await postJson(`${server.url}/auth/login`, { email: account.email, password: account.password, carrier: 'bearer' });
  if (login.status !== 200) {
    throw new Error(`POST /auth/login {email,password,carrier:"bearer"} answered ${login.status}: ${login.text}`);
  }
  const body = JSON.parse(login.text) as BearerTokens;
  if (typeof body.access_token !== 'string') {
    throw new Error(`POST /auth/login (bearer) answered 200 without access_token: ${login.text}`);
  }
  return { ...body, email: account.email, password: account.password };
}

/** A tiny HTTP server whose handler the test can swap. */
export interface TinyServer {
  readonly url: string;
  handler: (request: IncomingMessage, response: ServerResponse) => void;
  /** Open responses (SSE streams), so a test can cut them. */
  readonly open: Set<ServerResponse>;
  close(): Promise<void>;
}

/** Starts a node:http server on a random loopback port. */
export async function startTinyServer(
  handler: (request: IncomingMessage, response: ServerResponse) => void,
): Promise<TinyServer> {
  const open = new Set<ServerResponse>();
  const tiny: TinyServer = {
    url: '',
    handler,
    open,
    close: async () => undefined,
  };
  const server: Server = createServer((request, response) => {
    open.add(response);
    response.on('close', () => open.delete(response));
    tiny.handler(request, response);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return Object.assign(tiny, {
    url: `http://127.0.0.1:${port}`,
    close: async () => {
      for (const response of open) response.destroy();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  });
}

/** Calls `check` every 10 ms until it returns true or `timeoutMs` passes; returns the wait in ms or null. */
export async function waitFor(check: () => Promise<boolean> | boolean, timeoutMs = 2_000): Promise<number | null> {
  const started = performance.now();
  for (;;) {
    if (await check()) return performance.now() - started;
    if (performance.now() - started > timeoutMs) return null;
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

/** The error code a promise rejects with, or 'resolved'. */
export async function errorCodeOf(promise: Promise<unknown>): Promise<string> {
  try {
    await promise;
    return 'resolved';
  } catch (error) {
    return (error as { code?: string }).code ?? String(error);
  }
}
