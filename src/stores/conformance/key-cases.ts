import assert from 'node:assert/strict';
import type { StoredSigningKey } from '../types.js';
import { BASE, DAY, assertUnavailable } from './context.js';
import type { SuiteContext } from './context.js';

/** A key with predictable fields; `n` makes kid and JWKs unique. */
function newKey(n: number, overrides: Partial<StoredSigningKey> = {}): StoredSigningKey {
  return {
    kid: `kid_${n}`,
    alg: 'ES256',
    publicJwk: JSON.stringify({ kty: 'EC', crv: 'P-256', x: `x${n}`, y: `y${n}`, kid: `kid_${n}` }),
    privateJwk: JSON.stringify({ kty: 'EC', crv: 'P-256', x: `x${n}`, y: `y${n}`, d: `d${n}` }),
    createdAt: BASE + n,
    activatesAt: BASE + n * DAY,
    ...overrides,
  };
}

/** Keys sorted by kid: the interface leaves the list order open. */
function byKid(keys: readonly StoredSigningKey[]): StoredSigningKey[] {
  return [...keys].sort((a, b) => (a.kid < b.kid ? -1 : a.kid > b.kid ? 1 : 0));
}

/** Defines the `SigningKeyStore` cases. */
export function defineKeyCases({ api, stores }: SuiteContext): void {
  const { it } = api;

  it('lists nothing when empty', async () => {
    assert.deepEqual(await stores().keys.listSigningKeys(), []);
  });

  it('inserts keys and lists them with every field preserved', async () => {
    const { keys } = stores();
    const inserted = [
      newKey(1),
      newKey(2, {
        alg: 'RS256',
        publicJwk: JSON.stringify({ kty: 'RSA', n: 'AQAB'.repeat(100), e: 'AQAB', note: 'Ünïcødé 🔑' }),
        // An encrypted private key is opaque text to the store.
        privateJwk: `enc:v1:${'A-_z9'.repeat(200)}`,
      }),
      newKey(3, { alg: 'EdDSA', createdAt: BASE - 1, activatesAt: Date.UTC(2100, 0, 1) }),
    ];
    for (const key of inserted) assert.equal(await keys.insertSigningKey(key), true);
    assert.deepEqual(byKid(await keys.listSigningKeys()), byKid(inserted));
  });

  it('refuses a second key for the same activatesAt and keeps the first unchanged', async () => {
    const { keys } = stores();
    const first = newKey(1);
    assert.equal(await keys.insertSigningKey(first), true);
    assert.equal(await keys.insertSigningKey(newKey(2, { activatesAt: first.activatesAt, alg: 'EdDSA' })), false);
    assert.deepEqual(await keys.listSigningKeys(), [first]);
  });

  it('refuses a duplicate kid and keeps the first key unchanged', async () => {
    const { keys } = stores();
    const first = newKey(1);
    assert.equal(await keys.insertSigningKey(first), true);
    const sameKid = newKey(2, { kid: first.kid, privateJwk: 'attacker-chosen' });
    assert.equal(await keys.insertSigningKey(sameKid), false);
    assert.deepEqual(await keys.listSigningKeys(), [first]);
  });

  it('lets exactly one of concurrent inserts for one activatesAt win', async () => {
    const { keys } = stores();
    const contenders = Array.from({ length: 5 }, (_, i) => newKey(10 + i, { activatesAt: BASE + DAY }));
    const results = await Promise.all(contenders.map((key) => keys.insertSigningKey(key)));
    assert.equal(results.filter(Boolean).length, 1);
    const winner = contenders[results.indexOf(true)];
    assert.deepEqual(await keys.listSigningKeys(), [winner]);
  });

  it('deleteSigningKey returns true once, then false, and keeps other keys', async () => {
    const { keys } = stores();
    const kept = newKey(2);
    await keys.insertSigningKey(newKey(1));
    await keys.insertSigningKey(kept);
    assert.equal(await keys.deleteSigningKey('kid_1'), true);
    assert.equal(await keys.deleteSigningKey('kid_1'), false);
    assert.equal(await keys.deleteSigningKey('kid_missing'), false);
    assert.deepEqual(await keys.listSigningKeys(), [kept]);
  });

  it('frees the activation instant and the kid once a key is deleted', async () => {
    const { keys } = stores();
    const withdrawn = newKey(1);
    await keys.insertSigningKey(withdrawn);
    await keys.deleteSigningKey(withdrawn.kid);
    const replacement = newKey(2, { activatesAt: withdrawn.activatesAt });
    assert.equal(await keys.insertSigningKey(replacement), true);
    const reused = newKey(3, { kid: withdrawn.kid });
    assert.equal(await keys.insertSigningKey(reused), true);
    assert.deepEqual(byKid(await keys.listSigningKeys()), byKid([replacement, reused]));
  });

  it('rejects every operation with store_unavailable once closed', async () => {
    const s = stores();
    await s.keys.insertSigningKey(newKey(1));
    await s.close();
    await assertUnavailable(s.keys.listSigningKeys());
    await assertUnavailable(s.keys.insertSigningKey(newKey(2)));
    await assertUnavailable(s.keys.deleteSigningKey('kid_1'));
  });
}
