import { afterAll, afterEach, describe, expect, it } from 'vitest';
import type { Revocation } from '../../src/core/model.js';
import { openPostgresStores } from '../../src/stores/postgres/index.js';
import type { PostgresStores, PostgresStoresOptions } from '../../src/stores/postgres/index.js';
import { checkRevocation, decodeRevocation, encodeRevocation } from '../../src/core/revocation-codec.js';
import { channelName } from '../../src/stores/postgres/pg-config.js';
import {
  POSTGRES_URL,
  adminPool,
  closeAdminPool,
  dropSchema,
  terminateBackends,
  uniqueApplicationName,
  uniqueSchemaName,
  waitFor,
} from '../support/postgres.js';

const BASE = Date.UTC(2026, 0, 1);
const opened: PostgresStores[] = [];
const schemas: string[] = [];

function open(options: Partial<PostgresStoresOptions> & { schema: string }): PostgresStores {
  if (!schemas.includes(options.schema)) schemas.push(options.schema);
  const stores = openPostgresStores({ url: POSTGRES_URL, ...options });
  opened.push(stores);
  return stores;
}

/** Subscribes and returns the array the bus fills, plus a status log. */
function record(stores: PostgresStores): { entries: Revocation[]; status: boolean[] } {
  const entries: Revocation[] = [];
  const status: boolean[] = [];
  stores.bus.onStatus((connected) => status.push(connected));
  stores.bus.subscribe((entry) => entries.push(entry));
  return { entries, status };
}

afterEach(async () => {
  await Promise.all(opened.splice(0).map((s) => s.close()));
  await Promise.all(schemas.splice(0).map(dropSchema));
});

afterAll(closeAdminPool);

describe('postgres revocation bus', () => {
  const sid: Revocation = { kind: 'sid', value: 'sess_1', expiresAt: BASE + 60_000 };
  const sub: Revocation = { kind: 'sub', value: 'user_1', notBefore: BASE, expiresAt: BASE + 60_000 };

  it('delivers an entry published by one node to the subscribers of every node, its own included', async () => {
    const schema = uniqueSchemaName();
    const nodeA = open({ schema });
    const nodeB = open({ schema });
    const a = record(nodeA);
    const b = record(nodeB);
    await waitFor(() => nodeA.bus.connected && nodeB.bus.connected);
    expect(a.status).toEqual([true]);
    await nodeA.bus.publish(sid);
    await nodeA.bus.publish(sub);
    await waitFor(() => b.entries.length === 2 && a.entries.length === 2);
    expect(b.entries).toEqual([sid, sub]);
    expect(a.entries).toEqual([sid, sub]);
  });

  it('keeps schemas apart: another schema’s bus hears nothing', async () => {
    const schema = uniqueSchemaName();
    const otherSchema = uniqueSchemaName();
    const mine = open({ schema });
    const theirs = open({ schema: otherSchema });
    const heardByMine = record(mine);
    const heardByTheirs = record(theirs);
    await waitFor(() => mine.bus.connected && theirs.bus.connected);
    const marker: Revocation = { kind: 'jti', value: 'marker', expiresAt: BASE };
    // One session sends both, so `theirs` would see the first before the marker if it heard it.
    await adminPool().query('SELECT pg_notify($1, $2), pg_notify($3, $4)', [
      channelName(schema),
      JSON.stringify(sid),
      channelName(otherSchema),
      JSON.stringify(marker),
    ]);
    await waitFor(() => heardByMine.entries.length === 1 && heardByTheirs.entries.length === 1);
    expect(heardByMine.entries).toEqual([sid]);
    expect(heardByTheirs.entries).toEqual([marker]);
  });

  it('drops malformed payloads sent by anyone who can NOTIFY, and keeps delivering', async () => {
    const schema = uniqueSchemaName();
    const node = open({ schema });
    const { entries } = record(node);
    await waitFor(() => node.bus.connected);
    const channel = channelName(schema);
    const junk = [
      'not json',
      '[]',
      'null',
      JSON.stringify({ kind: 'sid', value: 's', expiresAt: BASE, extra: true }),
      JSON.stringify({ kind: 'sub', value: 'u', expiresAt: BASE }),
      JSON.stringify({ kind: 'sid', value: '', expiresAt: BASE }),
      JSON.stringify({ kind: 'all', value: 'x', expiresAt: BASE }),
      JSON.stringify({ kind: 'jti', value: 'j', expiresAt: '1' }),
      JSON.stringify({ kind: 'jti', value: 'j', expiresAt: 1.5 }),
    ];
    for (const payload of junk) await adminPool().query('SELECT pg_notify($1, $2)', [channel, payload]);
    await adminPool().query('SELECT pg_notify($1, $2)', [channel, JSON.stringify(sid)]);
    await waitFor(() => entries.length > 0);
    expect(entries).toEqual([sid]);
  });

  it('isolates a throwing subscriber from the others', async () => {
    const node = open({ schema: uniqueSchemaName() });
    node.bus.subscribe(() => {
      throw new Error('broken subscriber');
    });
    const { entries } = record(node);
    await waitFor(() => node.bus.connected);
    await node.bus.publish(sid);
    await waitFor(() => entries.length === 1);
  });

  it('rejects a malformed entry at publish and stops delivering after unsubscribe', async () => {
    const node = open({ schema: uniqueSchemaName() });
    const kept: Revocation[] = [];
    const dropped: Revocation[] = [];
    node.bus.subscribe((entry) => kept.push(entry));
    const unsubscribe = node.bus.subscribe((entry) => dropped.push(entry));
    await waitFor(() => node.bus.connected);
    await expect(node.bus.publish({ kind: 'sid', value: '', expiresAt: BASE })).rejects.toBeInstanceOf(RangeError);
    unsubscribe();
    await node.bus.publish(sid);
    await waitFor(() => kept.length === 1);
    expect(dropped).toEqual([]);
  });

  it('reports the loss of its connection, re-LISTENs by itself and delivers again', async () => {
    const schema = uniqueSchemaName();
    const applicationName = uniqueApplicationName();
    const listener = open({ schema, applicationName });
    const publisher = open({ schema });
    const { entries, status } = record(listener);
    await waitFor(() => listener.bus.connected);

    expect(await terminateBackends(applicationName)).toBeGreaterThan(0);
    await waitFor(() => status.includes(false), 5_000);
    await waitFor(() => listener.bus.connected, 10_000);
    expect(status).toEqual([true, false, true]);

    await publisher.bus.publish(sid);
    await waitFor(() => entries.length === 1, 5_000);
    expect(entries).toEqual([sid]);
  });

  it('reports false on close and ignores subscriptions afterwards', async () => {
    const node = open({ schema: uniqueSchemaName() });
    const { status } = record(node);
    await waitFor(() => node.bus.connected);
    await node.close();
    expect(status).toEqual([true, false]);
    expect(node.bus.connected).toBe(false);
    node.bus.subscribe(() => {});
    expect(node.bus.connected).toBe(false);
    await expect(node.bus.publish(sid)).rejects.toMatchObject({ code: 'store_unavailable' });
  });
});

describe('postgres bus payloads', () => {
  it('round-trips every kind and drops unknown fields on the way out', () => {
    const entries: Revocation[] = [
      { kind: 'sid', value: 's', expiresAt: BASE },
      { kind: 'jti', value: 'j', expiresAt: BASE },
      { kind: 'sub', value: 'u', notBefore: BASE - 1, expiresAt: BASE },
    ];
    for (const entry of entries) expect(decodeRevocation(encodeRevocation(entry))).toEqual(entry);
    const withExtra = { kind: 'sid', value: 's', expiresAt: BASE, secret: 'x' } as Revocation;
    expect(encodeRevocation(withExtra)).not.toContain('secret');
  });

  it('accepts only exact shapes', () => {
    expect(checkRevocation({ kind: 'sid', value: 's', expiresAt: BASE, notBefore: BASE })).toBeNull();
    expect(checkRevocation({ kind: 'sid', value: 'x'.repeat(1025), expiresAt: BASE })).toBeNull();
    expect(checkRevocation({ kind: 'sid', value: 's', expiresAt: Number.NaN })).toBeNull();
    expect(decodeRevocation(undefined)).toBeNull();
    expect(() => encodeRevocation({ kind: 'jti', value: 'j', expiresAt: Infinity })).toThrow(RangeError);
  });

  it('names the channel after the schema, hashed when it would exceed 63 bytes', () => {
    expect(channelName('tessera')).toBe('tessera_revocations');
    const long = channelName('a'.repeat(63));
    expect(long.length).toBeLessThanOrEqual(63);
    expect(long).not.toBe(channelName(`${'a'.repeat(62)}b`));
  });
});
