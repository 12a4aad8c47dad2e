import assert from 'node:assert/strict';
import { BASE } from './context.js';
import type { SuiteContext } from './context.js';

/** Defines the `RateLimitStore` cases (fixed windows). */
export function defineRateLimitCases({ api, stores }: SuiteContext): void {
  const { it } = api;
  const window = 60_000;

  it('counts hits within one window and keeps its resetAt', async () => {
    const { rateLimits } = stores();
    assert.deepEqual(await rateLimits.hit('ip:1', window, BASE), { count: 1, resetAt: BASE + window });
    assert.deepEqual(await rateLimits.hit('ip:1', window, BASE + 10), { count: 2, resetAt: BASE + window });
    assert.deepEqual(await rateLimits.hit('ip:1', window, BASE + window - 1), { count: 3, resetAt: BASE + window });
  });

  it('starts a new window once resetAt is reached', async () => {
    const { rateLimits } = stores();
    await rateLimits.hit('k', window, BASE);
    await rateLimits.hit('k', window, BASE + 1);
    assert.deepEqual(await rateLimits.hit('k', window, BASE + window), { count: 1, resetAt: BASE + 2 * window });
    assert.deepEqual(await rateLimits.hit('k', window, BASE + window + 5), { count: 2, resetAt: BASE + 2 * window });
    assert.deepEqual(await rateLimits.hit('k', window, BASE + 10 * window), { count: 1, resetAt: BASE + 11 * window });
  });

  it('keeps separate keys independent', async () => {
    const { rateLimits } = stores();
    await rateLimits.hit('a', window, BASE);
    await rateLimits.hit('a', window, BASE);
    assert.deepEqual(await rateLimits.hit('b', window, BASE + 5), { count: 1, resetAt: BASE + 5 + window });
    assert.equal((await rateLimits.hit('a', window, BASE + 6)).count, 3);
  });

  it('resetKey forgets one key only', async () => {
    const { rateLimits } = stores();
    await rateLimits.hit('a', window, BASE);
    await rateLimits.hit('a', window, BASE);
    await rateLimits.hit('b', window, BASE);
    await rateLimits.resetKey('a');
    assert.deepEqual(await rateLimits.hit('a', window, BASE + 1), { count: 1, resetAt: BASE + 1 + window });
    assert.equal((await rateLimits.hit('b', window, BASE + 1)).count, 2);
    await rateLimits.resetKey('never-seen');
  });

  it('counts 50 concurrent hits as exactly 1..50', async () => {
    const { rateLimits } = stores();
    const hits = await Promise.all(
      Array.from({ length: 50 }, () => rateLimits.hit('burst', window, BASE)),
    );
    const counts = hits.map((h) => h.count).sort((a, b) => a - b);
    assert.deepEqual(counts, Array.from({ length: 50 }, (_, i) => i + 1));
    assert.ok(hits.every((h) => h.resetAt === BASE + window));
  });

  it('deleteExpiredCounters removes finished windows only and returns how many', async () => {
    const { rateLimits } = stores();
    await rateLimits.hit('old', window, BASE);
    await rateLimits.hit('boundary', window, BASE + 1);
    await rateLimits.hit('live', window, BASE + 2);
    await rateLimits.hit('live', window, BASE + 3);
    assert.equal(await rateLimits.deleteExpiredCounters(BASE + window + 1), 2);
    // The live counter survived and keeps counting in its window.
    assert.deepEqual(await rateLimits.hit('live', window, BASE + window + 1), { count: 3, resetAt: BASE + 2 + window });
    assert.equal(await rateLimits.deleteExpiredCounters(BASE + window + 1), 0);
  });

  it('rejects a window that is not a positive integer (it would never limit anything)', async () => {
    const { rateLimits } = stores();
    await assert.rejects(rateLimits.hit('k', 0, BASE), RangeError);
    await assert.rejects(rateLimits.hit('k', -5, BASE), RangeError);
  });
}
