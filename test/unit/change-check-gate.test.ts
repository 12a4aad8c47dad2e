import { describe, expect, it } from 'vitest';
import { createChangeCheckGate } from '../../src/core/change-check-gate.js';

const nextTurn = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

describe('change-check gate (when the session cache asks SQLite about other processes)', () => {
  it('checks at the first use of every event-loop turn and not again within it', async () => {
    const due = createChangeCheckGate(60_000); // a bound far away: only turns matter here
    expect(due()).toBe(true);
    expect(due()).toBe(false);
    expect(due()).toBe(false);
    await nextTurn();
    expect(due()).toBe(true);
    expect(due()).toBe(false);
  });

  it('checks again within one long turn once the last check is maxAgeMs old', () => {
    const due = createChangeCheckGate(2);
    expect(due()).toBe(true);
    expect(due()).toBe(false);
    const start = performance.now();
    while (performance.now() - start < 2.5);
    expect(due()).toBe(true);
    expect(due()).toBe(false);
  });

  it('maxAgeMs 0 checks on every use', () => {
    const due = createChangeCheckGate(0);
    expect([due(), due(), due()]).toEqual([true, true, true]);
  });
});
