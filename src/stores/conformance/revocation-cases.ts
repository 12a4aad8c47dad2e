import assert from 'node:assert/strict';
import type { Revocation } from '../../core/model.js';
import { BASE, HOUR, MINUTE } from './context.js';
import type { SuiteContext } from './context.js';

/** Sorts entries by kind then value: the interface leaves the list order open. */
function ordered(entries: readonly Revocation[]): Revocation[] {
  const key = (e: Revocation): string => `${e.kind}:${e.value}`;
  return [...entries].sort((a, b) => (key(a) < key(b) ? -1 : key(a) > key(b) ? 1 : 0));
}

/** Defines the `RevocationStore` cases. */
export function defineRevocationCases({ api, stores }: SuiteContext): void {
  const { it } = api;

  it('adds entries of every kind and lists them with exact shapes', async () => {
    const { revocations } = stores();
    const entries: Revocation[] = [
      { kind: 'sid', value: 'sess_1', expiresAt: BASE + HOUR },
      { kind: 'jti', value: 'jti_1', expiresAt: BASE + MINUTE },
      { kind: 'sub', value: 'user_1', notBefore: BASE - MINUTE, expiresAt: BASE + HOUR },
    ];
    for (const entry of entries) await revocations.addRevocation(entry);
    assert.deepEqual(ordered(await revocations.listRevocations(BASE)), ordered(entries));
  });

  it('keys entries by kind and value: one value under two kinds is two entries', async () => {
    const { revocations } = stores();
    await revocations.addRevocation({ kind: 'sid', value: 'same', expiresAt: BASE + HOUR });
    await revocations.addRevocation({ kind: 'jti', value: 'same', expiresAt: BASE + 2 * HOUR });
    assert.deepEqual(ordered(await revocations.listRevocations(BASE)), [
      { kind: 'jti', value: 'same', expiresAt: BASE + 2 * HOUR },
      { kind: 'sid', value: 'same', expiresAt: BASE + HOUR },
    ]);
  });

  it('re-adding an entry extends expiresAt and never shortens it', async () => {
    const { revocations } = stores();
    await revocations.addRevocation({ kind: 'sid', value: 's', expiresAt: BASE + HOUR });
    await revocations.addRevocation({ kind: 'sid', value: 's', expiresAt: BASE + MINUTE });
    assert.deepEqual(await revocations.listRevocations(BASE), [
      { kind: 'sid', value: 's', expiresAt: BASE + HOUR },
    ]);
    await revocations.addRevocation({ kind: 'sid', value: 's', expiresAt: BASE + 2 * HOUR });
    assert.deepEqual(await revocations.listRevocations(BASE), [
      { kind: 'sid', value: 's', expiresAt: BASE + 2 * HOUR },
    ]);
  });

  it('re-adding a sub entry moves notBefore and expiresAt to the later of old and new', async () => {
    const { revocations } = stores();
    await revocations.addRevocation({ kind: 'sub', value: 'u', notBefore: BASE + 100, expiresAt: BASE + HOUR });
    // Older notBefore, later expiry: keeps the notBefore, takes the expiry.
    await revocations.addRevocation({ kind: 'sub', value: 'u', notBefore: BASE + 50, expiresAt: BASE + 2 * HOUR });
    assert.deepEqual(await revocations.listRevocations(BASE), [
      { kind: 'sub', value: 'u', notBefore: BASE + 100, expiresAt: BASE + 2 * HOUR },
    ]);
    // Later notBefore, earlier expiry: takes the notBefore, keeps the expiry.
    await revocations.addRevocation({ kind: 'sub', value: 'u', notBefore: BASE + 500, expiresAt: BASE + MINUTE });
    assert.deepEqual(await revocations.listRevocations(BASE), [
      { kind: 'sub', value: 'u', notBefore: BASE + 500, expiresAt: BASE + 2 * HOUR },
    ]);
  });

  it('lists only entries still in force: expiresAt at or before now is out', async () => {
    const { revocations } = stores();
    await revocations.addRevocation({ kind: 'jti', value: 'gone', expiresAt: BASE - 1 });
    await revocations.addRevocation({ kind: 'jti', value: 'boundary', expiresAt: BASE });
    await revocations.addRevocation({ kind: 'jti', value: 'live', expiresAt: BASE + 1 });
    assert.deepEqual(await revocations.listRevocations(BASE), [
      { kind: 'jti', value: 'live', expiresAt: BASE + 1 },
    ]);
    assert.equal((await revocations.listRevocations(BASE - 10)).length, 3);
    assert.deepEqual(await revocations.listRevocations(BASE + 1), []);
  });

  it('deleteExpiredRevocations removes expired entries, returns how many, keeps live ones', async () => {
    const { revocations } = stores();
    await revocations.addRevocation({ kind: 'jti', value: 'gone', expiresAt: BASE - 1 });
    await revocations.addRevocation({ kind: 'sid', value: 'boundary', expiresAt: BASE });
    await revocations.addRevocation({ kind: 'sub', value: 'live', notBefore: BASE, expiresAt: BASE + 1 });
    assert.equal(await revocations.deleteExpiredRevocations(BASE), 2);
    // Deleted for real: looking back in time no longer finds them.
    assert.deepEqual(await revocations.listRevocations(BASE - 100), [
      { kind: 'sub', value: 'live', notBefore: BASE, expiresAt: BASE + 1 },
    ]);
    assert.equal(await revocations.deleteExpiredRevocations(BASE), 0);
  });

  it('lists nothing when empty', async () => {
    assert.deepEqual(await stores().revocations.listRevocations(BASE), []);
    assert.equal(await stores().revocations.deleteExpiredRevocations(BASE), 0);
  });
}
