import { type Accounts, createAccounts } from './accounts.js';
import { type RequestAuthenticator, createRequestAuthenticator } from './authenticate.js';
import { type Clock, type RandomSource, secureRandom, systemClock } from './clock.js';
import type { TesseraConfig } from './config.js';
import { type CookieNames, cookieNames } from './cookie-names.js';
import { createCsrfToken } from './csrf.js';
import { type AuthEventSink, ignoreEvents } from './events.js';
import { deriveKeyEncryptionKey } from './keys/key-encryption.js';
import { type KeyRing, createKeyRing } from './keys/key-ring.js';
import type { Revocation } from './model.js';
import { createDummyPasswordHash } from './password.js';
import { createRateLimiter } from './rate-limiter.js';
import type { OriginPolicy } from './request-origin.js';
import { type RevocationFeed, createRevocationFeed } from './revocation-feed.js';
import { deriveKeys } from './secrets.js';
import { type SessionManager, createSessionManager } from './sessions.js';
import { type RevocationSet, createRevocationSet } from './tokens/revocation-set.js';
import { type TokenService, createTokenService } from './tokens/token-service.js';
import type { Stores } from '../stores/types.js';


/**
 * The most a cached session may lag behind a change another process (the CLI, a second server
 * on the same SQLite file) committed; see change-check-gate.ts. One millisecond is below any
 * gap a person or a network can produce between the CLI's commit and a next request.
 */
const EXTERNAL_CHANGE_CHECK_MS = 1;
/**
 * One Tessera instance: the core services wired over a set of stores. The HTTP server, the
 * middleware and the CLI all use this; none of them re-implements a rule.
 */
export interface Tessera {
  readonly config: TesseraConfig;
  readonly stores: Stores;
  readonly sessions: SessionManager;
  readonly accounts: Accounts;
  readonly authenticator: RequestAuthenticator;
  readonly tokens: TokenService;
  readonly keyRing: KeyRing;
  /** The in-memory revocation set (fed by the feed; checked by every verification). */
  readonly revocationSet: RevocationSet;
  /** Every revocation made through this instance, and those synced from the store. */
  readonly revocationFeed: RevocationFeed;
  readonly cookieNames: CookieNames;
  readonly originPolicy: OriginPolicy;
  readonly clock: Clock;
  /** Where auth events go (logs, metrics). */
  readonly events: AuthEventSink;
  /** The CSRF token for a session (HMAC of its id). */
  csrfTokenFor(sessionId: string): string;
  /** Persists and publishes revocation entries. */
  revoke(entries: readonly Revocation[]): Promise<void>;
  /** Loads revocations other processes wrote (the CLI, other nodes) and publishes the new ones. */
  syncRevocations(): Promise<number>;
  /** Removes expired sessions, revocations and counters; returns how many rows went. */
  sweep(): Promise<number>;
}

/** What `createTessera` needs. */
export interface TesseraOptions {
  readonly config: TesseraConfig;
  readonly stores: Stores;
  /** The master secret (≥ 32 bytes) every purpose key is derived from. */
  readonly masterSecret: Uint8Array;
  /** TESSERA_KEY_ENCRYPTION_SECRET: seals private signing keys at rest when set. */
  readonly keyEncryptionSecret?: string | undefined;
  readonly clock?: Clock;
  readonly random?: RandomSource;
  readonly events?: AuthEventSink;
}

/** Wires the core services and loads the key ring and the revocation set. */
export async function createTessera(options: TesseraOptions): Promise<Tessera> {
  const { config, stores } = options;
  const clock = options.clock ?? systemClock;
  const random = options.random ?? secureRandom;
  const events = options.events ?? ignoreEvents;
  const keys = deriveKeys(options.masterSecret);
  const names = cookieNames(config.cookie.secure);
  const originPolicy: OriginPolicy = {
    trustedOrigins: new Set([config.publicUrl, ...config.trustedOrigins]),
    trustSameSite: config.trustSameSite,
  };
  const t = config.tokens;

  const revocationSet = createRevocationSet(clock);
  const revocationFeed = createRevocationFeed();
  revocationFeed.subscribe((entry) => revocationSet.apply(entry));
  // Entries already published here (key → expiry), so an entry that arrives twice — once from
  // this node, once echoed by the bus or found by a store sync — is published once.
  const known = new Map<string, number>();
  const keyOf = (entry: Revocation): string => `${entry.kind}:${entry.value}:${entry.kind === 'sub' ? entry.notBefore : ''}`;
  const publishOnce = (entry: Revocation): boolean => {
    const key = keyOf(entry);
    if (known.has(key)) return false;
    known.set(key, entry.expiresAt);
    revocationFeed.publish(entry);
    return true;
  };
  const bus = stores.bus;
  const revoke = async (entries: readonly Revocation[]): Promise<void> => {
    // Store first, then publish: a revocation a verifier heard of is always also durable.
    for (const entry of entries) await stores.revocations.addRevocation(entry);
    for (const entry of entries) {
      publishOnce(entry);
      // Other nodes hear it on the bus; if the bus is down they find it in the store on their
      // next sync (every second, and at once when their bus reconnects).
      if (bus) await bus.publish(entry).catch(() => undefined);
    }
  };
  const syncRevocations = async (): Promise<number> => {
    let added = 0;
    for (const entry of await stores.revocations.listRevocations(clock.now())) if (publishOnce(entry)) added++;
    return added;
  };
  bus?.subscribe((entry) => void publishOnce(entry));
  bus?.onStatus?.((connected) => {
    if (connected) void syncRevocations().catch(() => undefined);
  });

  // The longest-lived token any key signs; revocation entries and retired keys outlive it.
  const tokenLifetimeMs = Math.max(t.accessTokenTtlMs, t.internalTokenTtlMs);
  const sessions = createSessionManager(
    stores,
    {
      lifetimes: {
        cookie: { idleTimeoutMs: config.session.idleTimeoutMs, absoluteLifetimeMs: config.session.absoluteLifetimeMs },
        bearer: { idleTimeoutMs: t.refreshIdleTimeoutMs, absoluteLifetimeMs: t.refreshAbsoluteLifetimeMs },
        hybrid: { idleTimeoutMs: t.refreshIdleTimeoutMs, absoluteLifetimeMs: t.refreshAbsoluteLifetimeMs },
      },
      touchIntervalMs: config.session.touchIntervalMs,
      cacheSize: config.session.cacheSize,
      externalChangeCheckMs: EXTERNAL_CHANGE_CHECK_MS,
      revocationTtlMs: tokenLifetimeMs + t.clockSkewMs,
    },
    clock,
    random,
    revoke,
  );
  const keyRing = createKeyRing(
    stores.keys,
    { alg: t.algorithm, rotationIntervalMs: t.keyRotationIntervalMs, prepublishMs: t.keyPrepublishMs, tokenLifetimeMs, clockSkewMs: t.clockSkewMs },
    clock,
    random,
    options.keyEncryptionSecret ? deriveKeyEncryptionKey(options.keyEncryptionSecret) : null,
  );
  await keyRing.refresh();
  await syncRevocations();

  const tokens = createTokenService({
    sessions,
    sessionStore: stores.sessions,
    users: stores.users,
    keyRing,
    refreshKey: keys.refreshKey,
    revocationSet,
    policy: {
      issuer: t.issuer,
      audience: t.audience,
      accessTokenTtlMs: t.accessTokenTtlMs,
      refreshGraceMs: t.refreshGraceMs,
      clockSkewMs: t.clockSkewMs,
      internalAudience: t.internalAudience,
      internalTokenTtlMs: t.internalTokenTtlMs,
      verifiedCacheSize: t.verifiedCacheSize,
    },
    clock,
    random,
    events,
  });
  const accounts = createAccounts({
    users: stores.users,
    sessions,
    rateLimiter: createRateLimiter(stores.rateLimits, clock),
    config,
    clock,
    random,
    events,
    dummyPasswordHash: await createDummyPasswordHash(config.password.argon2),
  });
  const authenticator = createRequestAuthenticator({
    sessions,
    cookieNames: names,
    csrfKey: keys.csrfKey,
    originPolicy,
    verifyAccessToken: (token) => tokens.verifier.verify(token),
  });
  return {
    config,
    stores,
    sessions,
    accounts,
    authenticator,
    tokens,
    keyRing,
    revocationSet,
    revocationFeed,
    cookieNames: names,
    originPolicy,
    clock,
    events,
    csrfTokenFor: (sessionId) => createCsrfToken(keys.csrfKey, sessionId),
    revoke,
    syncRevocations,
    async sweep() {
      const now = clock.now();
      const swept = await sessions.sweepExpiredSessions();
      const revocations = await stores.revocations.deleteExpiredRevocations(now);
      const counters = await stores.rateLimits.deleteExpiredCounters(now);
      revocationSet.sweep();
      for (const [key, expiresAt] of known) if (expiresAt <= now) known.delete(key);
      if (swept > 0) events({ type: 'sessions_swept', count: swept });
      return swept + revocations + counters;
    },
  };
}
