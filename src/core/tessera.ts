import { type Accounts, createAccounts } from './accounts.js';
import { type BearerAuthenticator, type RequestAuthenticator, createRequestAuthenticator } from './authenticate.js';
import { type Clock, type RandomSource, secureRandom, systemClock } from './clock.js';
import type { TesseraConfig } from './config.js';
import { type CookieNames, cookieNames } from './cookie-names.js';
import { createCsrfToken } from './csrf.js';
import { type AuthEventSink, ignoreEvents } from './events.js';
import { createDummyPasswordHash } from './password.js';
import { createRateLimiter } from './rate-limiter.js';
import type { OriginPolicy } from './request-origin.js';
import { deriveKeys } from './secrets.js';
import { type SessionManager, createSessionManager } from './sessions.js';
import type { Stores } from '../stores/types.js';

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
  readonly cookieNames: CookieNames;
  readonly originPolicy: OriginPolicy;
  readonly clock: Clock;
  /** Where auth events go (logs, metrics). */
  readonly events: AuthEventSink;
  /** The CSRF token for a session (HMAC of its id). */
  csrfTokenFor(sessionId: string): string;
  /** Removes expired sessions, revocations and counters; returns how many rows went. */
  sweep(): Promise<number>;
}

/** What `createTessera` needs. */
export interface TesseraOptions {
  readonly config: TesseraConfig;
  readonly stores: Stores;
  /** The master secret (≥ 32 bytes) every purpose key is derived from. */
  readonly masterSecret: Uint8Array;
  readonly clock?: Clock;
  readonly random?: RandomSource;
  readonly events?: AuthEventSink;
  readonly bearer?: BearerAuthenticator;
}

/** Wires the core services. */
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
  const sessions = createSessionManager(stores, config.session, clock, random);
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
    bearer: options.bearer,
  });
  return {
    config,
    stores,
    sessions,
    accounts,
    authenticator,
    cookieNames: names,
    originPolicy,
    clock,
    events,
    csrfTokenFor: (sessionId) => createCsrfToken(keys.csrfKey, sessionId),
    async sweep() {
      const now = clock.now();
      const swept = await sessions.sweepExpiredSessions();
      const revocations = await stores.revocations.deleteExpiredRevocations(now);
      const counters = await stores.rateLimits.deleteExpiredCounters(now);
      if (swept > 0) events({ type: 'sessions_swept', count: swept });
      return swept + revocations + counters;
    },
  };
}
