import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { openPostgresStores } from '../../src/stores/postgres/index.js';
import type { PostgresStores } from '../../src/stores/postgres/index.js';
import type { Revocation } from '../../src/core/model.js';
import type { NewSession } from '../../src/stores/types.js';
import {
  POSTGRES_URL,
  closeAdminPool,
  countBackends,
  dropSchema,
  startFreezableProxy,
  terminateBackends,
  uniqueApplicationName,
  uniqueSchemaName,
  waitFor,
} from '../support/postgres.js';

const BASE = Date.UTC(2026, 0, 1);
const opened: PostgresStores[] = [];
const schemas: string[] = [];
const cleanups: (() => Promise<void>)[] = [];

afterEach(async () => {
  await Promise.all(opened.splice(0).map((s) => s.close()));
  await Promise.all(cleanups.splice(0).map((cleanup) => cleanup()));
  await Promise.all(schemas.splice(0).map(dropSchema));
});

afterAll(closeAdminPool);

function open(applicationName: string): PostgresStores {
  const schema = uniqueSchemaName();
  schemas.push(schema);
  const stores = openPostgresStores({ url: POSTGRES_URL, schema, applicationName, poolSize: 4 });
  opened.push(stores);
  return stores;
}

const session: NewSession = {
  id: 'sess_1', userId: 'user_1', carrier: 'cookie', secretHash: 'h', createdAt: BASE,
  expiresAt: BASE + 86_400_000, idleTimeoutMs: 1_800_000, ip: null, userAgent: null,
};

/**
 * Runs `operation`, which must either give the right answer or fail closed with
 * store_unavailable — never hang, never a wrong answer. Returns whether it succeeded.
 */
async function rightOrUnavailable<T>(operation: () => Promise<T>, check: (value: T) => void): Promise<boolean> {
  const started = Date.now();
  try {
    check(await operation());
    return true;
  } catch (error) {
    expect((error as { code?: unknown }).code).toBe('store_unavailable');
    return false;
  } finally {
    expect(Date.now() - started).toBeLessThan(8_000);
  }
}

describe('postgres failure and recovery', () => {
  it('fails closed while its connections are killed and recovers by itself', async () => {
    const applicationName = uniqueApplicationName();
    const stores = open(applicationName);
    await stores.sessions.createSession(session);
    // Several pooled connections, so some are idle and some busy when they are killed.
    await Promise.all(Array.from({ length: 8 }, () => stores.sessions.findSession(session.id)));
    expect(await countBackends(applicationName)).toBeGreaterThan(0);

    for (let round = 0; round < 3; round++) {
      const inFlight = Array.from({ length: 6 }, () =>
        rightOrUnavailable(
          () => stores.sessions.findSession(session.id),
          (found) => expect(found?.id).toBe(session.id),
        ),
      );
      await terminateBackends(applicationName);
      await Promise.all(inFlight);
      await rightOrUnavailable(
        () => stores.sessions.touchSession(session.id, BASE + round + 1),
        (touched) => expect(touched).toBe(true),
      );
      // And operations succeed again shortly after, on fresh connections.
      await waitFor(async () => (await stores.sessions.findSession(session.id))?.id === session.id, 5_000);
    }
    await stores.ping();
    expect(await stores.rateLimits.hit('k', 60_000, BASE)).toEqual({ count: 1, resetAt: BASE + 60_000 });
  });

  it('survives the death of idle pooled connections without an unhandled error', async () => {
    const applicationName = uniqueApplicationName();
    const stores = open(applicationName);
    await Promise.all(Array.from({ length: 4 }, () => stores.ping()));
    expect(await terminateBackends(applicationName)).toBeGreaterThan(0);
    // The pool notices the dead idle clients, drops them, and the next ping reconnects.
    await waitFor(async () => (await countBackends(applicationName)) === 0, 5_000);
    await waitFor(async () => {
      await stores.ping();
      return true;
    }, 5_000);
  });

  it('migrates on first use once the server becomes reachable (ready is retried after a failure)', async () => {
    const applicationName = uniqueApplicationName();
    const stores = open(applicationName);
    // Kill connections while the first migration may be running: the first use may fail
    // closed, and a later one must migrate and work.
    const first = stores.ready().then(
      () => true,
      (error: unknown) => {
        expect((error as { code?: unknown }).code).toBe('store_unavailable');
        return false;
      },
    );
    await terminateBackends(applicationName);
    await first;
    await waitFor(async () => {
      await stores.sessions.createSession({ ...session, id: `s_${Date.now()}_${Math.random()}` });
      return true;
    }, 5_000);
  });

  it('never hangs on a server that stops answering: fails closed within the timeouts, then recovers', async () => {
    const proxy = await startFreezableProxy();
    cleanups.push(() => proxy.close());
    const schema = uniqueSchemaName();
    schemas.push(schema);
    const stores = openPostgresStores({
      url: proxy.url, schema, statementTimeoutMs: 300, connectTimeoutMs: 500, busHeartbeatMs: 200,
    });
    opened.push(stores);
    await stores.sessions.createSession(session);
    const status: boolean[] = [];
    const heard: Revocation[] = [];
    stores.bus.onStatus((connected) => status.push(connected));
    stores.bus.subscribe((entry) => heard.push(entry));
    await waitFor(() => stores.bus.connected);

    proxy.freeze();
    // A pooled connection that no longer answers: the client-side read timeout ends the wait.
    let started = Date.now();
    await expect(stores.sessions.findSession(session.id)).rejects.toMatchObject({ code: 'store_unavailable' });
    expect(Date.now() - started).toBeLessThan(3_000);
    // A fresh connection that never completes its handshake: the connect timeout ends it.
    started = Date.now();
    await expect(stores.ping()).rejects.toMatchObject({ code: 'store_unavailable' });
    expect(Date.now() - started).toBeLessThan(3_000);
    // The bus's heartbeat notices its silent LISTEN connection.
    await waitFor(() => status.includes(false), 5_000);

    proxy.thaw();
    await waitFor(async () => (await stores.sessions.findSession(session.id))?.id === session.id, 5_000);
    await waitFor(() => stores.bus.connected, 10_000);
    const entry: Revocation = { kind: 'sid', value: session.id, expiresAt: BASE + 1 };
    await stores.bus.publish(entry);
    await waitFor(() => heard.length > 0, 5_000);
    expect(heard).toEqual([entry]);
  });
});
