import { mkdir, mkdtemp, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createManualClock } from '../../src/core/clock.js';
import { ConfigurationError, StoreUnavailableError } from '../../src/core/errors.js';
import type { Stores } from '../../src/stores/types.js';
import { MIGRATIONS, applyMigrations } from '../../src/stores/sqlite/migrations.js';
import { openSqliteStores } from '../../src/stores/sqlite/sqlite-stores.js';

const BASE = Date.UTC(2026, 0, 1);

let dir: string;
let dbPath: string;
const opened: Stores[] = [];
const raw: Database.Database[] = [];

/** Opens stores on the test's file and remembers them for cleanup. */
function open(options: { clock?: ReturnType<typeof createManualClock>; busyTimeoutMs?: number } = {}): Stores {
  const stores = openSqliteStores({ path: dbPath, ...options });
  opened.push(stores);
  return stores;
}

/** A second, plain better-sqlite3 connection to the same file. */
function openRaw(): Database.Database {
  const db = new Database(dbPath);
  raw.push(db);
  return db;
}

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'tessera-sqlite-specific-'));
  dbPath = join(dir, 'tessera.db');
});

afterEach(async () => {
  for (const db of raw.splice(0)) if (db.open) db.close();
  await Promise.all(opened.splice(0).map((s) => s.close()));
  await rm(dir, { recursive: true, force: true });
});

describe('sqlite migrations', () => {
  it('records each migration once and re-opening applies nothing again', async () => {
    await open({ clock: createManualClock(BASE) }).close();
    await open({ clock: createManualClock(BASE + 1000) }).close();
    const rows = openRaw().prepare('SELECT version, name, applied_at FROM schema_migrations ORDER BY version').all();
    expect(rows).toEqual(MIGRATIONS.map((m) => ({ version: m.version, name: m.name, applied_at: BASE })));
  });

  it('applies only unrecorded migrations, each in its own transaction', () => {
    const db = openRaw();
    expect(applyMigrations(db, BASE)).toEqual(MIGRATIONS.map((m) => m.version));
    const next = MIGRATIONS.length + 1;
    const extended = [...MIGRATIONS, { version: next, name: 'extra', sql: 'CREATE TABLE extra (x INTEGER) STRICT' }];
    expect(applyMigrations(db, BASE + 1, extended)).toEqual([next]);
    expect(applyMigrations(db, BASE + 2, extended)).toEqual([]);

    const broken = [
      ...extended,
      { version: next + 1, name: 'broken', sql: 'CREATE TABLE half (x INTEGER); SELECT * FROM no_such_table' },
    ];
    expect(() => applyMigrations(db, BASE + 3, broken)).toThrow();
    // Rolled back as a whole: no half-created table, no record.
    expect(db.prepare("SELECT count(*) FROM sqlite_master WHERE name = 'half'").pluck().get()).toBe(0);
    expect(db.prepare('SELECT max(version) FROM schema_migrations').pluck().get()).toBe(next);
  });

  it('migration 2 gives sessions from before it the cookie idle timeout of 30 minutes', async () => {
    const db = openRaw();
    const [initial] = MIGRATIONS;
    expect(initial?.version).toBe(1);
    applyMigrations(db, BASE, MIGRATIONS.slice(0, 1));
    db.prepare(
      `INSERT INTO sessions (id, user_id, carrier, secret_hash, created_at, last_seen_at, authenticated_at,
         expires_at, ip, user_agent, refresh_generation, refresh_rotated_at)
       VALUES ('old', 'u1', 'cookie', 'h', ?, ?, ?, ?, NULL, NULL, 0, ?)`,
    ).run(BASE, BASE, BASE, BASE + 86_400_000, BASE);
    db.close();

    const stores = open();
    expect(await stores.sessions.findSession('old')).toMatchObject({ idleTimeoutMs: 30 * 60_000 });
    expect(await stores.sessions.deleteExpiredSessions(BASE + 30 * 60_000 - 1)).toBe(0);
    expect(await stores.sessions.deleteExpiredSessions(BASE + 30 * 60_000)).toBe(1);
  });

  it('sweeps expired sessions through the indexes, not a table scan', () => {
    open();
    const plan = openRaw()
      .prepare('EXPLAIN QUERY PLAN DELETE FROM sessions WHERE expires_at <= @now OR last_seen_at + idle_timeout_ms <= @now')
      .all({ now: BASE }) as { detail: string }[];
    const details = plan.map((row) => row.detail);
    expect(details.some((d) => d.includes('sessions_expires_at'))).toBe(true);
    expect(details.some((d) => d.includes('sessions_idle_expires_at'))).toBe(true);
    expect(details.some((d) => /^SCAN sessions\b/.test(d))).toBe(false);
  });

  it('refuses a database migrated by a newer Tessera', async () => {
    await open().close();
    openRaw().prepare("INSERT INTO schema_migrations (version, name, applied_at) VALUES (999, 'future', 0)").run();
    expect(() => openSqliteStores({ path: dbPath })).toThrow(ConfigurationError);
  });
});

describe('sqlite persistence and configuration', () => {
  it('keeps data across re-open', async () => {
    const first = open();
    await first.users.createUser({ id: 'u1', email: 'a@example.com', passwordHash: 'h', createdAt: BASE });
    await first.sessions.createSession({
      id: 's1', userId: 'u1', carrier: 'bearer', secretHash: 'abc_-', createdAt: BASE,
      expiresAt: BASE + 1000, idleTimeoutMs: 7 * 86_400_000, ip: null, userAgent: 'ua',
    });
    await first.sessions.rotateRefresh('s1', 0, BASE + 5);
    await first.revocations.addRevocation({ kind: 'sub', value: 'u1', notBefore: BASE, expiresAt: BASE + 10 });
    await first.rateLimits.hit('k', 1000, BASE);
    const key = { kid: 'k1', alg: 'EdDSA' as const, publicJwk: '{}', privateJwk: 'enc:v1:x', createdAt: BASE, activatesAt: BASE };
    expect(await first.keys.insertSigningKey(key)).toBe(true);
    await first.close();

    const second = open();
    expect((await second.users.findUserByEmail('a@example.com'))?.id).toBe('u1');
    expect(await second.sessions.findSession('s1')).toMatchObject({
      refreshGeneration: 1, refreshRotatedAt: BASE + 5, idleTimeoutMs: 7 * 86_400_000,
    });
    expect(await second.revocations.listRevocations(BASE)).toHaveLength(1);
    expect(await second.rateLimits.hit('k', 1000, BASE + 1)).toEqual({ count: 2, resetAt: BASE + 1000 });
    expect(await second.keys.listSigningKeys()).toEqual([key]);
  });

  it('turns WAL mode on (persisted in the file, so a fresh connection sees it)', () => {
    open();
    expect(openRaw().pragma('journal_mode', { simple: true })).toBe('wal');
  });

  it('keeps the WAL bounded under a stream of rate-limit hits (auto-checkpoint still runs)', async () => {
    const stores = open();
    // Each hit commits ~2 pages; 3000 hits without checkpoints would leave a ~24 MB WAL, while
    // the default auto-checkpoint (1000 pages) keeps it near 4 MB.
    for (let i = 0; i < 3000; i++) await stores.rateLimits.hit(`k${i % 50}`, 60_000, BASE + i);
    expect((await stat(`${dbPath}-wal`)).size).toBeLessThan(8 * 1024 * 1024);
  });

  it('creates missing parent directories', async () => {
    dbPath = join(dir, 'a', 'b', 'c', 'tessera.db');
    await open().ping();
  });

  it('works in memory', async () => {
    const stores = openSqliteStores({ path: ':memory:' });
    opened.push(stores);
    await stores.ping();
    expect(await stores.users.createUser({ id: 'u', email: 'e', passwordHash: 'h', createdAt: BASE })).toBe(true);
  });
});

describe('sqlite externalChangeCounter', () => {
  it('changes after a commit by another connection, not after our own writes', async () => {
    const mine = open();
    const theirs = open();
    const before = mine.sessions.externalChangeCounter();
    expect(typeof before).toBe('number');

    await mine.users.createUser({ id: 'u1', email: 'a@example.com', passwordHash: 'h', createdAt: BASE });
    await mine.sessions.deleteSession('nothing');
    expect(mine.sessions.externalChangeCounter()).toBe(before);

    await theirs.users.setDisabled('u1', true, BASE + 1);
    const after = mine.sessions.externalChangeCounter();
    expect(after).not.toBe(before);
    // And our own view of the data reflects their write.
    expect((await mine.users.findUserById('u1'))?.disabled).toBe(true);
    expect(mine.sessions.externalChangeCounter()).toBe(after);
  });

  it('changes when another node inserts a signing key', async () => {
    const mine = open();
    const theirs = open();
    const before = mine.sessions.externalChangeCounter();
    await theirs.keys.insertSigningKey({
      kid: 'k1', alg: 'ES256', publicJwk: '{}', privateJwk: '{}', createdAt: BASE, activatesAt: BASE,
    });
    expect(mine.sessions.externalChangeCounter()).not.toBe(before);
    expect(await mine.keys.listSigningKeys()).toHaveLength(1);
  });
});

describe('sqlite error mapping', () => {
  const secretDir = 'tenant-s3cr3t-token';

  it('maps an unopenable path to StoreUnavailableError without naming the path', async () => {
    const asDirectory = join(dir, secretDir);
    await mkdir(asDirectory);
    dbPath = asDirectory;
    let caught: unknown;
    try {
      openSqliteStores({ path: dbPath });
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(StoreUnavailableError);
    expect((caught as Error).message).not.toContain(secretDir);
    expect((caught as Error).cause).toBeDefined();
  });

  it('maps a file that is not a database to StoreUnavailableError', async () => {
    await mkdir(join(dir, secretDir));
    dbPath = join(dir, secretDir, 'tessera.db');
    await writeFile(dbPath, Buffer.alloc(8192, 0x41));
    expect(() => openSqliteStores({ path: dbPath })).toThrow(StoreUnavailableError);
    try {
      openSqliteStores({ path: dbPath });
    } catch (error) {
      expect((error as Error).message).not.toContain(secretDir);
      expect(((error as Error).cause as { code?: string }).code).toBe('SQLITE_NOTADB');
    }
  });

  it('maps a write lock held past the busy timeout to StoreUnavailableError; reads still work', async () => {
    const stores = open({ busyTimeoutMs: 50 });
    await stores.users.createUser({ id: 'u1', email: 'a@example.com', passwordHash: 'h', createdAt: BASE });
    const locker = openRaw();
    locker.exec('BEGIN IMMEDIATE');
    try {
      const error: unknown = await stores.users.setDisabled('u1', true, BASE).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(StoreUnavailableError);
      expect(((error as Error).cause as { code?: string }).code).toMatch(/^SQLITE_BUSY/);
      // WAL: a writer elsewhere never blocks the hot-path reads.
      expect((await stores.users.findUserById('u1'))?.disabled).toBe(false);
    } finally {
      locker.exec('ROLLBACK');
    }
    expect(await stores.users.setDisabled('u1', true, BASE)).toBe(true);
  });

  it('does not disguise a programming error (constraint violation) as unavailability', async () => {
    const stores = open();
    const session = {
      id: 's1', userId: 'u1', carrier: 'cookie' as const, secretHash: 'x', createdAt: BASE,
      expiresAt: BASE + 1, idleTimeoutMs: 1000, ip: null, userAgent: null,
    };
    await stores.sessions.createSession(session);
    const error: unknown = await stores.sessions.createSession(session).catch((e: unknown) => e);
    expect(error).not.toBeInstanceOf(StoreUnavailableError);
    expect((error as { code?: string }).code).toMatch(/^SQLITE_CONSTRAINT/);
  });

  it('maps operations on a closed database to StoreUnavailableError, counter included', async () => {
    const stores = open();
    await stores.close();
    expect(() => stores.sessions.externalChangeCounter()).toThrow(StoreUnavailableError);
    await expect(stores.sessions.findSession('s')).rejects.toBeInstanceOf(StoreUnavailableError);
  });
});
