import { type KeyObject, createPrivateKey, createPublicKey, generateKeyPairSync } from 'node:crypto';
import type { Clock, RandomSource } from '../clock.js';
import { encodeBase64Url } from '../encoding.js';
import type { SigningKeyStore, StoredSigningKey } from '../../stores/types.js';
import { openPrivateJwk, sealPrivateJwk } from './key-encryption.js';

/**
 * The signing key ring (DESIGN §2 "Keys"). Each key has one instant, `activatesAt`, from which
 * it signs; everything else follows from the sorted list:
 *   next     — activatesAt > now: published in the JWKS before it signs, so verifiers that
 *              cache the JWKS already know it when its first token arrives;
 *   current  — the newest key with activatesAt ≤ now: the one that signs;
 *   retired  — superseded at instant S: still published until S + token lifetime + skew,
 *              when the last token it signed has expired;
 *   expired  — past that: unpublished and deleted.
 * The store refuses a second key for the same activation instant, so two nodes that try to
 * rotate at once end up with one key (the loser re-reads).
 */

/** Signing algorithms the ring can create. */
export type SigningAlgorithm = StoredSigningKey['alg'];

/** Rotation policy. */
export interface KeyRingPolicy {
  readonly alg: SigningAlgorithm;
  /** How long each key signs. */
  readonly rotationIntervalMs: number;
  /** How long before activation the next key is created and published. */
  readonly prepublishMs: number;
  /** Lifetime of the longest-lived token the keys sign (access and internal tokens). */
  readonly tokenLifetimeMs: number;
  readonly clockSkewMs: number;
}

/** A key's state at a given instant. */
export type KeyState = 'next' | 'current' | 'retired' | 'expired';

/** What `keys list` shows. */
export interface KeyInfo {
  readonly kid: string;
  readonly alg: SigningAlgorithm;
  readonly state: KeyState;
  readonly createdAt: number;
  readonly activatesAt: number;
  /** When it stopped signing (retired/expired keys). */
  readonly retiredAt: number | null;
  /** When it leaves the JWKS (retired keys). */
  readonly unpublishAt: number | null;
}

/** The key that signs now. */
export interface ActiveSigningKey {
  readonly kid: string;
  readonly alg: SigningAlgorithm;
  readonly privateKey: KeyObject;
}

/** A public JWK as published. */
export type PublishedJwk = Record<string, unknown> & { kid: string; alg: string; use: 'sig' };

/** The key ring. */
export interface KeyRing {
  /** Reloads from the store, creates the current/next key when due, drops expired keys. */
  refresh(): Promise<void>;
  /** The current signing key (after a refresh). */
  signingKey(): ActiveSigningKey;
  /** A published key by kid, for verification (pinned alg), or undefined. */
  publicKey(kid: string): { kid: string; alg: SigningAlgorithm; key: KeyObject } | undefined;
  /** The JWKS document: public `sig` keys only (K-01). */
  jwks(): { keys: PublishedJwk[] };
  /** Creates a key now: activating after the pre-publication delay, or at once (`immediate`). */
  rotate(options?: { immediate?: boolean }): Promise<KeyInfo>;
  list(): KeyInfo[];
}

interface LoadedKey {
  stored: StoredSigningKey;
  publicJwk: PublishedJwk;
  publicKey: KeyObject;
  privateKey: KeyObject | null;
}

/** Creates a key ring over a key store. `encryptionKey` seals private keys at rest when set. */
export function createKeyRing(store: SigningKeyStore, policy: KeyRingPolicy, clock: Clock, random: RandomSource, encryptionKey: Buffer | null): KeyRing {
  let keys: LoadedKey[] = [];

  const retiredAt = (index: number, now: number): number | null => {
    const successor = keys.slice(index + 1).find((k) => k.stored.activatesAt <= now);
    return successor ? successor.stored.activatesAt : null;
  };
  const stateOf = (index: number, now: number): KeyState => {
    const key = keys[index] as LoadedKey;
    if (key.stored.activatesAt > now) return 'next';
    const retired = retiredAt(index, now);
    if (retired === null) return 'current';
    return now < retired + policy.tokenLifetimeMs + policy.clockSkewMs ? 'retired' : 'expired';
  };
  const info = (index: number, now: number): KeyInfo => {
    const key = keys[index] as LoadedKey;
    const retired = key.stored.activatesAt > now ? null : retiredAt(index, now);
    return {
      kid: key.stored.kid,
      alg: key.stored.alg,
      state: stateOf(index, now),
      createdAt: key.stored.createdAt,
      activatesAt: key.stored.activatesAt,
      retiredAt: retired,
      unpublishAt: retired === null ? null : retired + policy.tokenLifetimeMs + policy.clockSkewMs,
    };
  };

  // Verification looks a key up on every request (cache hits included), so each key's answer
  // and the instant it expires are worked out once per load. Keys are sorted by activation, so
  // a key retires when the next one activates and expires a token lifetime (+ skew) later.
  let verificationKeys = new Map<string, { readonly key: { kid: string; alg: SigningAlgorithm; key: KeyObject }; readonly expiresAt: number }>();

  const load = async (): Promise<void> => {
    const stored = await store.listSigningKeys();
    const previous = new Map(keys.map((k) => [k.stored.kid, k]));
    keys = stored
      .slice()
      .sort((a, b) => a.activatesAt - b.activatesAt || (a.kid < b.kid ? -1 : 1))
      .map((s) => previous.get(s.kid) ?? importStored(s, encryptionKey));
    verificationKeys = new Map(
      keys.map((k, i) => {
        const next = keys[i + 1];
        const expiresAt = next === undefined ? Infinity : next.stored.activatesAt + policy.tokenLifetimeMs + policy.clockSkewMs;
        return [k.stored.kid, { key: Object.freeze({ kid: k.stored.kid, alg: k.stored.alg, key: k.publicKey }), expiresAt }];
      }),
    );
  };

  const insert = async (activatesAt: number): Promise<StoredSigningKey> => {
    const key = generateStoredKey(policy.alg, encodeBase64Url(random(12)), clock.now(), activatesAt, encryptionKey);
    // false: another node created the key for this instant first; theirs is as good.
    await store.insertSigningKey(key);
    return key;
  };

  const currentIndex = (now: number): number => {
    for (let i = keys.length - 1; i >= 0; i--) if ((keys[i] as LoadedKey).stored.activatesAt <= now) return i;
    return -1;
  };

  return {
    async refresh() {
      await load();
      const now = clock.now();
      let current = currentIndex(now);
      if (current === -1) {
        // Every node that finds the ring empty computes the same instant (the start of the
        // current rotation period), so the store's unique activatesAt keeps exactly one key.
        await insert(Math.floor(now / policy.rotationIntervalMs) * policy.rotationIntervalMs);
        await load();
        current = currentIndex(now);
      }
      const active = keys[current] as LoadedKey;
      const hasNext = keys.some((k) => k.stored.activatesAt > now);
      const due = active.stored.activatesAt + policy.rotationIntervalMs;
      if (!hasNext && now >= due - policy.prepublishMs) {
        // Again an instant every node agrees on: the due date, or — if every node was down past
        // it — the next multiple of the pre-publication delay that still pre-publishes the key.
        const late = Math.ceil((now + policy.prepublishMs) / policy.prepublishMs) * policy.prepublishMs;
        await insert(now < due ? due : late);
        await load();
      }
      for (let i = 0; i < keys.length; i++) {
        if (stateOf(i, now) === 'expired') await store.deleteSigningKey((keys[i] as LoadedKey).stored.kid);
      }
      await load();
    },

    signingKey() {
      const index = currentIndex(clock.now());
      const key = keys[index];
      if (!key || !key.privateKey) throw new Error('The key ring has no current signing key; call refresh() first.');
      return { kid: key.stored.kid, alg: key.stored.alg, privateKey: key.privateKey };
    },

    publicKey(kid) {
      // Same answer as stateOf(...) !== 'expired', without scanning the ring.
      const found = verificationKeys.get(kid);
      return found === undefined || clock.now() >= found.expiresAt ? undefined : found.key;
    },

    jwks() {
      const now = clock.now();
      return { keys: keys.filter((_, i) => stateOf(i, now) !== 'expired').map((k) => k.publicJwk) };
    },

    async rotate(options) {
      await load();
      const now = clock.now();
      // A new key must activate strictly after every existing one, or it would never become
      // current (and the store refuses a second key for the same instant).
      const latest = keys.reduce((max, k) => Math.max(max, k.stored.activatesAt), -Infinity);
      const wanted = options?.immediate ? now : now + policy.prepublishMs;
      const key = await insert(Math.max(wanted, latest + 1));
      await load();
      const index = keys.findIndex((k) => k.stored.kid === key.kid);
      // Lost to another node creating a key for the same instant at the same moment: say so.
      if (index === -1) throw new Error('Another node created a signing key at the same moment; run `tessera keys list` and retry if needed.');
      return info(index, now);
    },

    list() {
      const now = clock.now();
      return keys.map((_, i) => info(i, now));
    },
  };
}

/** Generates a key pair and its stored form. */
function generateStoredKey(alg: SigningAlgorithm, kid: string, createdAt: number, activatesAt: number, encryptionKey: Buffer | null): StoredSigningKey {
  const pair =
    alg === 'ES256'
      ? generateKeyPairSync('ec', { namedCurve: 'P-256' })
      : alg === 'EdDSA'
        ? generateKeyPairSync('ed25519')
        : generateKeyPairSync('rsa', { modulusLength: 2048, publicExponent: 0x10001 });
  const publicJwk = { ...pair.publicKey.export({ format: 'jwk' }), kid, alg, use: 'sig' };
  const privateJwk = JSON.stringify(pair.privateKey.export({ format: 'jwk' }));
  return { kid, alg, publicJwk: JSON.stringify(publicJwk), privateJwk: sealPrivateJwk(privateJwk, kid, encryptionKey), createdAt, activatesAt };
}

function importStored(stored: StoredSigningKey, encryptionKey: Buffer | null): LoadedKey {
  const jwk = JSON.parse(stored.publicJwk) as Record<string, unknown>;
  // Publish exactly the public members: never d/p/q/dp/dq/qi (K-01), whatever was stored.
  const publicJwk = pickPublicMembers(jwk, stored);
  const publicKey = createPublicKey({ key: publicJwk as never, format: 'jwk' });
  const privateKey = createPrivateKey({ key: JSON.parse(openPrivateJwk(stored.privateJwk, stored.kid, encryptionKey)) as never, format: 'jwk' });
  return { stored, publicJwk, publicKey, privateKey };
}

function pickPublicMembers(jwk: Record<string, unknown>, stored: StoredSigningKey): PublishedJwk {
  const members = jwk.kty === 'RSA' ? ['kty', 'n', 'e'] : ['kty', 'crv', 'x', 'y'];
  const out: Record<string, unknown> = {};
  for (const name of members) if (jwk[name] !== undefined) out[name] = jwk[name];
  return { ...out, kid: stored.kid, alg: stored.alg, use: 'sig' };
}
