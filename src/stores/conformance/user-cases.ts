import assert from 'node:assert/strict';
import type { User } from '../../core/model.js';
import { BASE, newUser } from './context.js';
import type { SuiteContext } from './context.js';

/** Defines the `UserStore` cases. E-mails arrive already normalised; stores compare exactly. */
export function defineUserCases({ api, stores }: SuiteContext): void {
  const { it } = api;

  it('creates a user and finds it by id and by e-mail with every field', async () => {
    const { users } = stores();
    const input = newUser(1);
    assert.equal(await users.createUser(input), true);
    const expected: User = {
      id: input.id,
      email: input.email,
      passwordHash: input.passwordHash,
      disabled: false,
      createdAt: input.createdAt,
      updatedAt: input.createdAt,
      sessionsValidAfter: 0,
    };
    assert.deepEqual(await users.findUserById(input.id), expected);
    assert.deepEqual(await users.findUserByEmail(input.email), expected);
  });

  it('returns null for an unknown id or e-mail', async () => {
    const { users } = stores();
    await users.createUser(newUser(1));
    assert.equal(await users.findUserById('user_missing'), null);
    assert.equal(await users.findUserByEmail('missing@example.com'), null);
  });

  it('refuses a taken e-mail with false and changes nothing', async () => {
    const { users } = stores();
    const first = newUser(1);
    assert.equal(await users.createUser(first), true);
    const second = newUser(2, { email: first.email });
    assert.equal(await users.createUser(second), false);
    assert.equal(await users.findUserById(second.id), null);
    assert.equal((await users.findUserByEmail(first.email))?.id, first.id);
    assert.equal((await users.listUsers(10, 0)).length, 1);
  });

  it('lets exactly one of two concurrent registrations of one e-mail win', async () => {
    const { users } = stores();
    const results = await Promise.all([
      users.createUser(newUser(1, { email: 'race@example.com' })),
      users.createUser(newUser(2, { email: 'race@example.com' })),
    ]);
    assert.deepEqual(sorted(results), [false, true]);
    assert.equal((await users.listUsers(10, 0)).length, 1);
  });

  it('rejects a duplicate id rather than overwriting the user', async () => {
    const { users } = stores();
    const first = newUser(1);
    await users.createUser(first);
    await assert.rejects(users.createUser(newUser(2, { id: first.id })));
    assert.equal((await users.findUserById(first.id))?.email, first.email);
  });

  it('updates the password hash only when the expected hash matches (compare-and-set)', async () => {
    const { users } = stores();
    const input = newUser(1);
    await users.createUser(input);
    assert.equal(await users.updatePasswordHash(input.id, 'stale', 'new-1', BASE + 10), false);
    assert.equal((await users.findUserById(input.id))?.passwordHash, input.passwordHash);

    assert.equal(await users.updatePasswordHash(input.id, input.passwordHash, 'new-1', BASE + 20), true);
    const updated = await users.findUserById(input.id);
    assert.equal(updated?.passwordHash, 'new-1');
    assert.equal(updated?.updatedAt, BASE + 20);
    // The old hash is now stale: a second writer that read it before must lose.
    assert.equal(await users.updatePasswordHash(input.id, input.passwordHash, 'new-2', BASE + 30), false);
    assert.equal((await users.findUserById(input.id))?.passwordHash, 'new-1');
    assert.equal(await users.updatePasswordHash('user_missing', 'x', 'y', BASE), false);
  });

  it('lets exactly one of two concurrent password updates from one hash win', async () => {
    const { users } = stores();
    const input = newUser(1);
    await users.createUser(input);
    const results = await Promise.all([
      users.updatePasswordHash(input.id, input.passwordHash, 'a', BASE + 1),
      users.updatePasswordHash(input.id, input.passwordHash, 'b', BASE + 1),
    ]);
    assert.deepEqual(sorted(results), [false, true]);
    const winner = results[0] ? 'a' : 'b';
    assert.equal((await users.findUserById(input.id))?.passwordHash, winner);
  });

  it('disables and re-enables a user; false for an unknown user', async () => {
    const { users } = stores();
    const input = newUser(1);
    await users.createUser(input);
    assert.equal(await users.setDisabled(input.id, true, BASE + 5), true);
    let user = await users.findUserById(input.id);
    assert.equal(user?.disabled, true);
    assert.equal(user?.updatedAt, BASE + 5);
    assert.equal(await users.setDisabled(input.id, false, BASE + 6), true);
    user = await users.findUserById(input.id);
    assert.equal(user?.disabled, false);
    assert.equal(user?.updatedAt, BASE + 6);
    assert.equal(await users.setDisabled('user_missing', true, BASE), false);
  });

  it('sets sessionsValidAfter, never moving it backwards, and ignores unknown users', async () => {
    const { users } = stores();
    const input = newUser(1);
    await users.createUser(input);
    await users.setSessionsValidAfter(input.id, BASE + 1000);
    assert.equal((await users.findUserById(input.id))?.sessionsValidAfter, BASE + 1000);
    await users.setSessionsValidAfter(input.id, BASE + 2000);
    assert.equal((await users.findUserById(input.id))?.sessionsValidAfter, BASE + 2000);
    // A late write of an older instant must not re-validate sessions signed out in between.
    await users.setSessionsValidAfter(input.id, BASE + 1500);
    assert.equal((await users.findUserById(input.id))?.sessionsValidAfter, BASE + 2000);
    await users.setSessionsValidAfter('user_missing', BASE);
    assert.equal(await users.findUserById('user_missing'), null);
  });

  it('lists users in creation order with limit and offset', async () => {
    const { users } = stores();
    // Inserted out of order: the list follows createdAt, not insertion.
    for (const n of [3, 1, 5, 2, 4]) await users.createUser(newUser(n));
    const ids = async (limit: number, offset: number): Promise<string[]> =>
      (await users.listUsers(limit, offset)).map((u) => u.id);
    assert.deepEqual(await ids(10, 0), ['user_1', 'user_2', 'user_3', 'user_4', 'user_5']);
    assert.deepEqual(await ids(2, 0), ['user_1', 'user_2']);
    assert.deepEqual(await ids(2, 2), ['user_3', 'user_4']);
    assert.deepEqual(await ids(2, 4), ['user_5']);
    assert.deepEqual(await ids(2, 10), []);
    assert.deepEqual(await ids(0, 0), []);
    const [first] = await users.listUsers(1, 0);
    assert.equal(first?.email, 'user1@example.com');
  });

  it('lists nothing when there are no users', async () => {
    assert.deepEqual(await stores().users.listUsers(10, 0), []);
  });
}

function sorted(values: readonly boolean[]): boolean[] {
  return [...values].sort((a, b) => Number(a) - Number(b));
}
