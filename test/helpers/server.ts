import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ConfigOverrides } from '../../src/core/config.js';
import { type ManualClock, createManualClock } from '../../src/core/clock.js';
import { type RunningServer, startServer } from '../../src/server/start.js';
import { createObservability } from '../../src/server/observability.js';
import { createMemoryStores } from '../../src/stores/memory/memory-stores.js';
import { openSqliteStores } from '../../src/stores/sqlite/sqlite-stores.js';
import type { Stores } from '../../src/stores/types.js';

/** Which store a test server runs on. */
export type StoreKind = 'memory' | 'sqlite';

/** A server on a random port with its own data directory and a hand-moved clock. */
export interface TestServer extends RunningServer {
  readonly clock: ManualClock;
  readonly origin: string;
  readonly logs: string[];
}

/** Starts a test server; close() also deletes its data directory. */
export async function startTestServer(options: { store?: StoreKind; overrides?: ConfigOverrides; clock?: ManualClock; heartbeatMs?: number; env?: Record<string, string> } = {}): Promise<TestServer> {
  const dataDir = mkdtempSync(join(tmpdir(), 'tessera-test-'));
  const clock = options.clock ?? createManualClock(Date.now());
  const stores: Stores =
    options.store === 'sqlite' ? openSqliteStores({ path: join(dataDir, 'tessera.db') }) : createMemoryStores();
  const logs: string[] = [];
  const observability = createObservability('info', { write: (line: string) => void logs.push(line) });
  const server = await startServer({
    env: { TESSERA_DATA_DIR: dataDir, PORT: '0', HOST: '127.0.0.1', ...options.env },
    overrides: { ...options.overrides },
    stores,
    observability,
    clock,
    ...(options.heartbeatMs ? { heartbeatMs: options.heartbeatMs } : {}),
  });
  const origin = server.tessera.config.publicUrl;
  return {
    ...server,
    clock,
    origin,
    logs,
    async close() {
      await server.close();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}
