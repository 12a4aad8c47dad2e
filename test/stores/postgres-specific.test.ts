import { createServer } from 'node:net';
import type { Server } from 'node:net';
import { Pool } from 'pg';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { createManualClock } from '../../src/core/clock.js';
import { ConfigurationError, StoreUnavailableError } from '../../src/core/errors.js';
import {
  POSTGRES_MIGRATIONS,
  applyPostgresMigrations,
  openPostgresStores,
  redactPostgresUrl,
} from '../../src/stores/postgres/index.js';
import type { PostgresStores, PostgresStoresOptions } from '../../src/stores/postgres/index.js';
import { POSTGRES_URL, adminPool, closeAdminPool, dropSchema, uniqueSchemaName } from '../support/postgres.js';

const BASE = Date.UTC(2026, 0, 1);
const opened: PostgresStores[] = [];
const schemas: string[] = [];

/** Opens stores on a fresh schema (or the given one) and remembers both for cleanup. */
function open(options: Partial<PostgresStoresOptions> = {}): PostgresStores {
  const schema = options.schema ?? uniqueSchemaName();
  if (!schemas.includes(schema)) schemas.push(schema);
  const stores = openPostgresStores({ url: POSTGRES_URL, ...options, schema });
  opened.push(stores);
  return stores;
}

afterEach(async () => {
  await Promise.all(opened.splice(0).map((s) => s.close()));
  await Promise.all(schemas.splice(0).map(dropSchema));
});

afterAll(closeAdminPool);

async function migrationRows(schema: string): Promise<unknown[]> {
  const { rows } = await adminPool().query(`SELECT version, name, applied_at FROM "${schema}".schema_migrations ORDER BY version`);
  return rows;
}

describe('postgres migrations', () => {
  it('creates the schema, records each migration once, and re-opening applies nothing again', async () => {
    const schema = uniqueSchemaName();
    await open({ schema, clock: createManualClock(BASE) }).ready();
    await open({ schema, clock: createManualClock(BASE + 1000) }).ready();
    // applied_at is BIGINT: the admin pool has no int8 parser, so it arrives as text.
    expect(await migrationRows(schema)).toEqual(
      POSTGRES_MIGRATIONS.map((m) => ({ version: m.version, name: m.name, applied_at: String(BASE) })),
    );
  });

  it('lets stores opening one new schema together all succeed, migrating it exactly once', async () => {
    const schema = uniqueSchemaName();
    const nodes = Array.from({ length: 4 }, (_, i) => open({ schema, clock: createManualClock(BASE + i) }));
    await Promise.all(nodes.map((node) => node.ready()));
    const rows = (await migrationRows(schema)) as { version: number }[];
    expect(rows.map((r) => r.version)).toEqual(POSTGRES_MIGRATIONS.map((m) => m.version));
    // Every node works on the migrated schema at once.
    const results = await Promise.all(
      nodes.map((node, i) => node.users.createUser({ id: `u${i}`, email: 'same@example.com', passwordHash: 'h', createdAt: BASE })),
    );
    expect(results.filter(Boolean)).toHaveLength(1);
  });

  it('applies only unrecorded migrations, each in its own transaction', async () => {
    const schema = uniqueSchemaName();
    schemas.push(schema);
    const pool = new Pool({ connectionString: POSTGRES_URL, max: 1 });
    try {
      expect(await applyPostgresMigrations(pool, schema, BASE)).toEqual(POSTGRES_MIGRATIONS.map((m) => m.version));
      const next = POSTGRES_MIGRATIONS.length + 1;
      const extra = { version: next, name: 'extra', sql: (s: string) => `CREATE TABLE ${s}.extra (x INTEGER)` };
      const extended = [...POSTGRES_MIGRATIONS, extra];
      expect(await applyPostgresMigrations(pool, schema, BASE + 1, extended)).toEqual([next]);
      expect(await applyPostgresMigrations(pool, schema, BASE + 2, extended)).toEqual([]);

      const broken = {
        version: next + 1,
        name: 'broken',
        sql: (s: string) => `CREATE TABLE ${s}.half (x INTEGER); SELECT * FROM ${s}.no_such_table`,
      };
      await expect(applyPostgresMigrations(pool, schema, BASE + 3, [...extended, broken])).rejects.toThrow();
      // Rolled back as a whole: no half-created table, no record.
      const { rows } = await adminPool().query<{ t: string | null; v: number }>(
        `SELECT to_regclass($1)::text AS t, (SELECT max(version) FROM "${schema}".schema_migrations) AS v`,
        [`"${schema}".half`],
      );
      expect(rows[0]).toEqual({ t: null, v: next });
    } finally {
      await pool.end();
    }
  });

  it('refuses a schema migrated by a newer Tessera with ConfigurationError', async () => {
    const schema = uniqueSchemaName();
    await open({ schema }).ready();
    await adminPool().query(`INSERT INTO "${schema}".schema_migrations (version, name, applied_at) VALUES (999, 'future', 0)`);
    const newer = open({ schema });
    await expect(newer.ready()).rejects.toBeInstanceOf(ConfigurationError);
    await expect(newer.sessions.findSession('s')).rejects.toBeInstanceOf(ConfigurationError);
  });

  it('keeps users and the session side independent: no foreign keys anywhere', async () => {
    const schema = uniqueSchemaName();
    await open({ schema }).ready();
    const { rows } = await adminPool().query(
      `SELECT constraint_name FROM information_schema.table_constraints
       WHERE table_schema = $1 AND constraint_type = 'FOREIGN KEY'`,
      [schema],
    );
    expect(rows).toEqual([]);
  });

  it('sweeps expired sessions through the two indexes, not a table scan', async () => {
    const schema = uniqueSchemaName();
    await open({ schema }).ready();
    const client = await adminPool().connect();
    try {
      await client.query('BEGIN');
      // The table is empty, so tell the planner a sequential scan is off the table.
      await client.query('SET LOCAL enable_seqscan = off');
      const { rows } = await client.query<{ 'QUERY PLAN': string }>(
        `EXPLAIN DELETE FROM "${schema}".sessions WHERE expires_at <= $1 OR last_seen_at + idle_timeout_ms <= $1`,
        [BASE],
      );
      const plan = rows.map((row) => row['QUERY PLAN']).join('\n');
      expect(plan).toContain('sessions_expires_at');
      expect(plan).toContain('sessions_idle_expires_at');
      expect(plan).not.toMatch(/Seq Scan/);
    } finally {
      await client.query('ROLLBACK');
      client.release();
    }
  });
});

describe('postgres configuration', () => {
  it('refuses schema names that are not plain lower-case identifiers', () => {
    for (const schema of ['Tessera', 'a-b', 'x;drop schema public', '"q"', '', '1abc', 'a'.repeat(64)]) {
      expect(() => openPostgresStores({ url: POSTGRES_URL, schema })).toThrow(ConfigurationError);
    }
  });

  it('refuses a malformed URL without echoing it, and redacts a wrong scheme', () => {
    const secret = 'pa55-s3cret';
    let caught: unknown;
    try {
      openPostgresStores({ url: `postgres://user:${secret}@[bad host/db` });
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(ConfigurationError);
    expect(JSON.stringify({ m: (caught as Error).message, c: String((caught as Error).cause) })).not.toContain(secret);
    expect(() => openPostgresStores({ url: `mysql://user:${secret}@h/db` })).toThrow(/mysql:\/\/user:\*\*\*@h\/db/);
  });

  it('redacts passwords in URLs', () => {
    expect(redactPostgresUrl('postgres://alice:hunter2@db.internal:5432/app')).toBe('postgres://alice:***@db.internal:5432/app');
    expect(redactPostgresUrl('postgres://db/app?password=hunter2&sslmode=require')).not.toContain('hunter2');
    expect(redactPostgresUrl('postgres://alice@db/app')).toBe('postgres://alice@db/app');
    expect(redactPostgresUrl('not a url hunter2')).not.toContain('hunter2');
  });
});

/** Collects the message of an error and of every cause, to check none of them leaks a secret. */
function everyMessage(error: unknown): string {
  const parts: string[] = [];
  for (let e: unknown = error; e instanceof Error; e = e.cause) parts.push(e.message, e.stack ?? '');
  return parts.join('\n');
}

describe('postgres store unavailable', () => {
  const password = 'bogus-pa55word-xyz';
  let silent: Server | undefined;

  afterEach(async () => {
    await new Promise<void>((resolve) => (silent ? silent.close(() => resolve()) : resolve()));
    silent = undefined;
  });

  async function expectUnavailableFast(stores: PostgresStores): Promise<void> {
    const started = Date.now();
    const error: unknown = await stores.sessions.findSession('s').catch((e: unknown) => e);
    expect(Date.now() - started).toBeLessThan(3_000);
    expect(error).toBeInstanceOf(StoreUnavailableError);
    expect((error as Error).cause).toBeDefined();
    expect(everyMessage(error)).not.toContain(password);
    await expect(stores.ping()).rejects.toBeInstanceOf(StoreUnavailableError);
  }

  it('fails closed, fast and without the password when the port is unreachable', async () => {
    await expectUnavailableFast(open({ url: `postgres://postgres:${password}@127.0.0.1:1/test` }));
  });

  it('fails closed without the password when the database does not exist', async () => {
    const url = new URL(POSTGRES_URL);
    url.password = password;
    url.pathname = '/tessera_no_such_database';
    await expectUnavailableFast(open({ url: url.toString() }));
  });

  it('fails within the connect timeout when the server accepts but never answers', async () => {
    // Reads (and ignores) the startup message, never answers: a hung server, not a refused port.
    silent = createServer((socket) => socket.resume());
    await new Promise<void>((resolve) => silent?.listen(0, '127.0.0.1', resolve));
    const address = silent.address();
    const port = typeof address === 'object' && address !== null ? address.port : 0;
    await expectUnavailableFast(open({ url: `postgres://postgres:${password}@127.0.0.1:${port}/test`, connectTimeoutMs: 500 }));
  });

  it('maps a server-side statement timeout to StoreUnavailableError', async () => {
    const schema = uniqueSchemaName();
    const stores = open({ schema, statementTimeoutMs: 200 });
    // No store statement runs long by itself, so hold a row lock its UPDATE must wait for.
    await stores.users.createUser({ id: 'u1', email: 'a@example.com', passwordHash: 'h', createdAt: BASE });
    const locker = await adminPool().connect();
    try {
      await locker.query('BEGIN');
      await locker.query(`SELECT 1 FROM "${schema}".users WHERE id = 'u1' FOR UPDATE`);
      const error: unknown = await stores.users.setDisabled('u1', true, BASE).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(StoreUnavailableError);
      expect(((error as Error).cause as { code?: string }).code).toBe('57014');
    } finally {
      await locker.query('ROLLBACK');
      locker.release();
    }
    expect(await stores.users.setDisabled('u1', true, BASE)).toBe(true);
  });

  it('does not disguise a programming error (duplicate session id) as unavailability', async () => {
    const stores = open();
    const session = {
      id: 's1', userId: 'u1', carrier: 'cookie' as const, secretHash: 'x', createdAt: BASE,
      expiresAt: BASE + 1, idleTimeoutMs: 1000, ip: null, userAgent: null,
    };
    await stores.sessions.createSession(session);
    const error: unknown = await stores.sessions.createSession(session).catch((e: unknown) => e);
    expect(error).not.toBeInstanceOf(StoreUnavailableError);
    expect((error as { code?: string }).code).toBe('23505');
  });
});
