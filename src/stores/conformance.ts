import type { Stores } from './types.js';
import type { SuiteContext, TestApi } from './conformance/context.js';
import { defineKeyCases } from './conformance/key-cases.js';
import { defineLifecycleCases } from './conformance/lifecycle-cases.js';
import { defineRateLimitCases } from './conformance/rate-limit-cases.js';
import { defineRevocationCases } from './conformance/revocation-cases.js';
import { defineSessionCases } from './conformance/session-cases.js';
import { defineSessionExpiryCases } from './conformance/session-expiry-cases.js';
import { defineUserCases } from './conformance/user-cases.js';

export type { TestApi } from './conformance/context.js';

/**
 * Defines the store conformance suite that every `Stores` implementation runs (memory, SQLite,
 * Redis, PostgreSQL). `openStores` must return a fresh, empty set of stores each time; the suite
 * closes them after every test. Pass vitest's or node:test's `describe/it/beforeEach/afterEach`;
 * assertions use `node:assert/strict`, so the suite depends on no test framework. Timestamps are
 * fixed, nothing sleeps.
 */
export function defineStoreConformanceSuite(
  name: string,
  openStores: () => Promise<Stores> | Stores,
  api: TestApi,
): void {
  api.describe(`${name} store conformance`, () => {
    let current: Stores | undefined;
    const ctx: SuiteContext = {
      api,
      stores: () => {
        if (current === undefined) throw new Error('The stores are opened in beforeEach.');
        return current;
      },
    };
    api.beforeEach(async () => {
      current = await openStores();
    });
    api.afterEach(async () => {
      await current?.close();
      current = undefined;
    });

    api.describe('UserStore', () => defineUserCases(ctx));
    api.describe('SessionStore', () => defineSessionCases(ctx));
    api.describe('SessionStore expiry and refresh rotation', () => defineSessionExpiryCases(ctx));
    api.describe('RevocationStore', () => defineRevocationCases(ctx));
    api.describe('RateLimitStore', () => defineRateLimitCases(ctx));
    api.describe('SigningKeyStore', () => defineKeyCases(ctx));
    api.describe('lifecycle', () => defineLifecycleCases(ctx));
  });
}
