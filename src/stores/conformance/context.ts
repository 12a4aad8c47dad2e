import assert from 'node:assert/strict';
import type { Session } from '../../core/model.js';
import type { NewSession, NewUser, Stores } from '../types.js';

/**
 * The four functions the suite needs from a test framework, typed loosely enough that vitest's
 * and node:test's own functions both fit without adapters.
 */
export interface TestApi {
  describe(name: string, fn: () => void): unknown;
  it(name: string, fn: () => Promise<void>): unknown;
  beforeEach(fn: () => Promise<void>): unknown;
  afterEach(fn: () => Promise<void>): unknown;
}

/** What each group of cases gets: the framework and the stores opened for the running test. */
export interface SuiteContext {
  readonly api: TestApi;
  stores(): Stores;
}

/** A fixed instant every case counts from, so nothing depends on the wall clock. */
export const BASE = Date.UTC(2026, 0, 1);
/** One minute, one hour and one day in milliseconds. */
export const MINUTE = 60_000;
/** See `MINUTE`. */
export const HOUR = 60 * MINUTE;
/** See `MINUTE`. */
export const DAY = 24 * HOUR;

/** A user with predictable fields; `n` makes id and e-mail unique. */
export function newUser(n: number, overrides: Partial<NewUser> = {}): NewUser {
  return {
    id: `user_${n}`,
    email: `user${n}@example.com`,
    passwordHash: `$argon2id$v=19$m=19456,t=2,p=1$c2FsdA$hash${n}`,
    createdAt: BASE + n,
    ...overrides,
  };
}

/**
 * A session with predictable fields; the secret hash is base64url like the real one. The idle
 * timeout defaults to the cookie carrier's 30 minutes.
 */
export function newSession(id: string, userId: string, overrides: Partial<NewSession> = {}): NewSession {
  return {
    id,
    userId,
    carrier: 'cookie',
    secretHash: 'n4bQgYhMfWWaL-qgxVrQFaO_TxsrC4Is0V1sFbDwCgg',
    createdAt: BASE,
    expiresAt: BASE + 30 * DAY,
    idleTimeoutMs: 30 * MINUTE,
    ip: '203.0.113.7',
    userAgent: 'Mozilla/5.0 (conformance)',
    ...overrides,
  };
}

/** The full session a store must return right after `createSession(input)`. */
export function expectedSession(input: NewSession): Session {
  return {
    id: input.id,
    userId: input.userId,
    carrier: input.carrier,
    secretHash: input.secretHash,
    createdAt: input.createdAt,
    lastSeenAt: input.createdAt,
    authenticatedAt: input.createdAt,
    expiresAt: input.expiresAt,
    idleTimeoutMs: input.idleTimeoutMs,
    ip: input.ip,
    userAgent: input.userAgent,
    refreshGeneration: 0,
    refreshRotatedAt: input.createdAt,
  };
}

/** Sorts copies of strings, for comparing results whose order the interface leaves open. */
export function sorted(values: readonly string[]): string[] {
  return [...values].sort();
}

/** Ids of `sessions`, sorted. */
export function idsOf(sessions: readonly { readonly id: string }[]): string[] {
  return sorted(sessions.map((s) => s.id));
}

/**
 * Asserts that `promise` rejects with a store-unavailable error. Checked by `code`, not
 * `instanceof`, so the suite works when it and the store load different copies of the core.
 */
export async function assertUnavailable(promise: Promise<unknown>): Promise<void> {
  await assert.rejects(promise, (error: unknown) => {
    assert.ok(error instanceof Error, 'expected an Error');
    assert.equal((error as Error & { code?: unknown }).code, 'store_unavailable');
    return true;
  });
}
