/**
 * Tessera's configuration: types, documented defaults and validation. Loading from the
 * environment and a file lives in `load-config.ts`; this file has no I/O.
 */
import { ConfigurationError } from './errors.js';
import { CARRIERS, type Carrier } from './model.js';

/** Argon2id cost parameters. */
export interface Argon2Parameters {
  /** KiB of memory. */
  readonly memoryCost: number;
  readonly timeCost: number;
  readonly parallelism: number;
}

/** A fixed-window limit: at most `limit` attempts per `windowMs`. */
export interface RateLimitRule {
  readonly limit: number;
  readonly windowMs: number;
}

/** Everything configurable. Times are milliseconds. */
export interface TesseraConfig {
  readonly host: string;
  readonly port: number;
  /** The origin users reach Tessera at, e.g. `https://auth.example.com`. */
  readonly publicUrl: string;
  readonly dataDir: string;
  /** Trust `X-Forwarded-*` from a proxy in front (client IP, protocol). Off by default. */
  readonly trustProxy: boolean;
  /** Origins whose unsafe requests may use the session cookie (the public URL is always one). */
  readonly trustedOrigins: readonly string[];
  /** Accept `Sec-Fetch-Site: same-site` (sibling subdomains). Off by default. */
  readonly trustSameSite: boolean;
  readonly cookie: {
    /** `Secure` + `__Host-` prefix. On when the public URL is https or in production. */
    readonly secure: boolean;
    readonly sameSite: 'lax' | 'strict';
  };
  readonly session: {
    /** A session unused for this long ends. */
    readonly idleTimeoutMs: number;
    /** A session ends this long after sign-in, whatever the activity. */
    readonly absoluteLifetimeMs: number;
    /** `lastSeenAt` is written at most this often per session (sliding renewal without a write per request). */
    readonly touchIntervalMs: number;
    /** Revoking another session needs a password proof at most this old. */
    readonly reauthenticationWindowMs: number;
    /** How often expired sessions, revocations and counters are swept. */
    readonly sweepIntervalMs: number;
    /** Validated sessions kept in memory (invalidated on any write that could matter). */
    readonly cacheSize: number;
  };
  readonly password: {
    readonly minLength: number;
    readonly maxLength: number;
    readonly argon2: Argon2Parameters;
  };
  readonly rateLimit: {
    readonly loginPerIp: RateLimitRule;
    readonly loginPerAccount: RateLimitRule;
    readonly registerPerIp: RateLimitRule;
  };
  readonly tokens: {
    /** `iss` of every token; defaults to the public URL. */
    readonly issuer: string;
    /** `aud` of access tokens; defaults to the public URL. */
    readonly audience: string;
    readonly accessTokenTtlMs: number;
    /** Bearer and hybrid sessions end when not refreshed for this long. */
    readonly refreshIdleTimeoutMs: number;
    /** Bearer and hybrid sessions end this long after sign-in, whatever the activity. */
    readonly refreshAbsoluteLifetimeMs: number;
    /** The previous refresh token still gets the current pair this long (two tabs at once). */
    readonly refreshGraceMs: number;
    readonly algorithm: 'ES256' | 'RS256' | 'EdDSA';
    readonly keyRotationIntervalMs: number;
    /** The next key is published this long before it signs (longer than any JWKS cache). */
    readonly keyPrepublishMs: number;
    readonly clockSkewMs: number;
    /** `aud` of the internal tokens `/auth/verify` gives services behind a gateway. */
    readonly internalAudience: string;
    readonly internalTokenTtlMs: number;
    readonly verifiedCacheSize: number;
  };
  /**
   * Which carrier each kind of client uses (written by `tessera init`). Sign-in accepts only
   * the carriers named here, so a deployment without mobile clients can refuse bearer tokens.
   */
  readonly carriers: Readonly<Record<string, Carrier>>;
  /** Clients (gateways, verifiers) allowed to call introspection, revocation and the revocation feed. */
  readonly clients: readonly { readonly id: string; readonly secret: string }[];
  /** Heartbeat interval of the SSE revocation feed; verifiers' staleness bounds must exceed it. */
  readonly feedHeartbeatMs: number;
  readonly bodyLimitBytes: number;
  readonly logLevel: 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';
  /**
   * Where sessions, revocations, rate-limit counters and signing keys live: `sqlite` (default,
   * in the data directory), `memory` (tests), `redis://…`, `rediss://…`, `redis-cluster://h:p,h:p`
   * or `postgres://…`.
   */
  readonly sessionStore: string;
  /** Where users live: `sqlite` (default) or `postgres://…` (always SQL). */
  readonly userStore: string;
  /** PostgreSQL schema for Tessera's tables. */
  readonly postgresSchema: string;
  /** Prefix of every Redis key (several deployments can share one Redis). */
  readonly redisKeyPrefix: string;
}

/** OWASP Password Storage Cheat Sheet, argon2id: m=19 MiB, t=2, p=1. */
export const OWASP_ARGON2: Argon2Parameters = { memoryCost: 19_456, timeCost: 2, parallelism: 1 };

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;

/** Documented defaults (README "Configuration"). */
export function defaultConfig(): TesseraConfig {
  return {
    host: '127.0.0.1',
    port: 3000,
    publicUrl: 'http://127.0.0.1:3000',
    dataDir: './.tessera',
    trustProxy: false,
    trustedOrigins: [],
    trustSameSite: false,
    cookie: { secure: false, sameSite: 'lax' },
    session: {
      idleTimeoutMs: 30 * MINUTE,
      absoluteLifetimeMs: 12 * HOUR,
      touchIntervalMs: MINUTE,
      reauthenticationWindowMs: 10 * MINUTE,
      sweepIntervalMs: 5 * MINUTE,
      cacheSize: 10_000,
    },
    password: { minLength: 8, maxLength: 128, argon2: OWASP_ARGON2 },
    rateLimit: {
      loginPerIp: { limit: 30, windowMs: 15 * MINUTE },
      loginPerAccount: { limit: 10, windowMs: 15 * MINUTE },
      registerPerIp: { limit: 10, windowMs: HOUR },
    },
    tokens: {
      issuer: '',
      audience: '',
      accessTokenTtlMs: 5 * MINUTE,
      refreshIdleTimeoutMs: 7 * DAY,
      refreshAbsoluteLifetimeMs: 30 * DAY,
      refreshGraceMs: 10_000,
      algorithm: 'ES256',
      keyRotationIntervalMs: 30 * DAY,
      keyPrepublishMs: HOUR,
      clockSkewMs: 30_000,
      internalAudience: 'tessera-internal',
      internalTokenTtlMs: MINUTE,
      verifiedCacheSize: 10_000,
    },
    carriers: { browser: 'cookie', spa: 'hybrid', mobile: 'bearer', cli: 'bearer' },
    clients: [],
    feedHeartbeatMs: 15_000,
    bodyLimitBytes: 16 * 1024,
    logLevel: 'info',
    sessionStore: 'sqlite',
    userStore: 'sqlite',
    postgresSchema: 'tessera',
    redisKeyPrefix: 'tessera:',
  };
}

/** A deep-partial override, as read from a file or given by code. */
export type ConfigOverrides = {
  [K in keyof TesseraConfig]?: TesseraConfig[K] extends readonly unknown[]
    ? TesseraConfig[K]
    : TesseraConfig[K] extends object
      ? { [P in keyof TesseraConfig[K]]?: TesseraConfig[K][P] extends object ? Partial<TesseraConfig[K][P]> : TesseraConfig[K][P] }
      : TesseraConfig[K];
};

/** Turns `https://Example.com:443/path` into the origin `https://example.com`, or null. */
export function toOrigin(url: string): string | null {
  try {
    const parsed = new URL(url);
    if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') return null;
    return parsed.origin;
  } catch {
    return null;
  }
}

/**
 * Checks a complete configuration and throws one ConfigurationError listing every problem with
 * the variable to change, so an operator fixes everything in one go.
 */
export function validateConfig(config: TesseraConfig, earlierProblems: readonly string[] = []): TesseraConfig {
  const problems: string[] = [...earlierProblems];
  const need = (ok: boolean, message: string): void => {
    if (!ok) problems.push(message);
  };
  const positive = (value: number, name: string, hint: string): void =>
    need(Number.isSafeInteger(value) && value > 0, `${name} must be a positive whole number of milliseconds (${hint}).`);

  need(Number.isInteger(config.port) && config.port >= 0 && config.port <= 65_535, 'PORT must be an integer from 0 to 65535.');
  need(config.host.length > 0, 'HOST must not be empty (e.g. HOST=127.0.0.1).');
  need(toOrigin(config.publicUrl) !== null, 'TESSERA_PUBLIC_URL must be an http(s) URL such as https://auth.example.com.');
  for (const origin of config.trustedOrigins) {
    need(toOrigin(origin) === origin, `TESSERA_TRUSTED_ORIGINS entry "${origin}" must be a bare origin like https://app.example.com (scheme, host, optional port; no path or trailing slash).`);
  }
  need(config.cookie.sameSite === 'lax' || config.cookie.sameSite === 'strict', 'TESSERA_COOKIE_SAMESITE must be "lax" or "strict" (SameSite=None would disable the browser half of CSRF protection).');
  const s = config.session;
  positive(s.idleTimeoutMs, 'TESSERA_SESSION_IDLE_TIMEOUT', 'e.g. 30m');
  positive(s.absoluteLifetimeMs, 'TESSERA_SESSION_ABSOLUTE_LIFETIME', 'e.g. 12h');
  need(s.idleTimeoutMs <= s.absoluteLifetimeMs, 'TESSERA_SESSION_IDLE_TIMEOUT must not be longer than TESSERA_SESSION_ABSOLUTE_LIFETIME.');
  positive(s.touchIntervalMs, 'TESSERA_SESSION_TOUCH_INTERVAL', 'e.g. 1m');
  need(s.touchIntervalMs < s.idleTimeoutMs, 'TESSERA_SESSION_TOUCH_INTERVAL must be shorter than the idle timeout, or active sessions would expire.');
  positive(s.reauthenticationWindowMs, 'TESSERA_REAUTHENTICATION_WINDOW', 'e.g. 10m');
  positive(s.sweepIntervalMs, 'TESSERA_SWEEP_INTERVAL', 'e.g. 5m');
  need(Number.isInteger(s.cacheSize) && s.cacheSize >= 0, 'session.cacheSize must be a whole number (0 disables the cache).');
  const p = config.password;
  need(Number.isInteger(p.minLength) && p.minLength >= 8, 'TESSERA_PASSWORD_MIN_LENGTH must be at least 8 (NIST SP 800-63B).');
  need(Number.isInteger(p.maxLength) && p.maxLength >= 64 && p.maxLength <= 1024, 'TESSERA_PASSWORD_MAX_LENGTH must be from 64 (NIST SP 800-63B) to 1024 (bounded hashing cost).');
  need(p.minLength <= p.maxLength, 'TESSERA_PASSWORD_MIN_LENGTH must not exceed TESSERA_PASSWORD_MAX_LENGTH.');
  need(p.argon2.memoryCost >= 19_456 && p.argon2.timeCost >= 2 && p.argon2.parallelism >= 1, 'password.argon2 must be at least the OWASP minimum (memoryCost 19456 KiB, timeCost 2, parallelism 1).');
  for (const [name, rule] of Object.entries(config.rateLimit)) {
    need(Number.isInteger(rule.limit) && rule.limit > 0 && rule.windowMs > 0, `rateLimit.${name} needs a positive whole limit and a positive window.`);
  }
  const t = config.tokens;
  need(toOrigin(t.issuer) !== null || t.issuer.startsWith('urn:'), 'TESSERA_TOKEN_ISSUER must be an https URL or a urn: (default: the public URL).');
  need(t.audience.length > 0 && t.audience !== t.internalAudience, 'TESSERA_TOKEN_AUDIENCE must be non-empty and differ from the internal audience.');
  positive(t.accessTokenTtlMs, 'TESSERA_ACCESS_TOKEN_TTL', 'e.g. 5m');
  need(t.accessTokenTtlMs <= HOUR, 'TESSERA_ACCESS_TOKEN_TTL must be at most 1h: access tokens are revoked only through the revocation set, so keep them short.');
  positive(t.refreshIdleTimeoutMs, 'TESSERA_REFRESH_IDLE_TIMEOUT', 'e.g. 7d');
  need(t.refreshIdleTimeoutMs <= t.refreshAbsoluteLifetimeMs, 'TESSERA_REFRESH_IDLE_TIMEOUT must not be longer than TESSERA_REFRESH_ABSOLUTE_LIFETIME.');
  need(t.refreshGraceMs >= 0 && t.refreshGraceMs <= MINUTE, 'TESSERA_REFRESH_GRACE must be from 0 to 1m.');
  need(['ES256', 'RS256', 'EdDSA'].includes(t.algorithm), 'TESSERA_TOKEN_ALGORITHM must be ES256, RS256 or EdDSA.');
  need(t.keyPrepublishMs > 0 && t.keyPrepublishMs < t.keyRotationIntervalMs, 'TESSERA_KEY_PREPUBLISH must be positive and shorter than TESSERA_KEY_ROTATION_INTERVAL.');
  need(t.internalTokenTtlMs > 0 && t.internalTokenTtlMs <= 10 * MINUTE, 'tokens.internalTokenTtlMs must be from 1ms to 10m.');
  const carriers = Object.values(config.carriers);
  need(carriers.length > 0 && carriers.every((c) => CARRIERS.includes(c)), 'carriers must map client kinds to "cookie", "bearer" or "hybrid" (e.g. {"browser":"cookie","mobile":"bearer"}).');
  for (const client of config.clients) {
    need(/^[A-Za-z0-9._-]{1,64}$/.test(client.id), `Client id "${client.id.slice(0, 64)}" must be 1-64 characters of A-Z a-z 0-9 . _ - (TESSERA_CLIENTS=id:secret,...).`);
    need(client.secret.length >= 32, `The secret of client "${client.id.slice(0, 64)}" must be at least 32 characters (e.g. openssl rand -base64 32).`);
  }
  need(Number.isSafeInteger(config.feedHeartbeatMs) && config.feedHeartbeatMs >= 10 && config.feedHeartbeatMs <= 60_000, 'TESSERA_FEED_HEARTBEAT must be from 10ms to 60s.');
  need(Number.isInteger(config.bodyLimitBytes) && config.bodyLimitBytes >= 1024 && config.bodyLimitBytes <= 1_048_576, 'TESSERA_BODY_LIMIT must be from 1024 to 1048576 bytes.');
  need(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'].includes(config.logLevel), 'TESSERA_LOG_LEVEL must be one of fatal, error, warn, info, debug, trace, silent.');
  need(/^(sqlite|memory)$|^(redis|rediss|redis-cluster|postgres|postgresql):\/\/./.test(config.sessionStore), 'TESSERA_SESSION_STORE must be sqlite, memory, redis://host:port, rediss://…, redis-cluster://host:port,host:port or postgres://user@host/db.');
  need(/^sqlite$|^(postgres|postgresql):\/\/./.test(config.userStore), 'TESSERA_USER_STORE must be sqlite or postgres://user@host/db (users always live in a SQL store).');
  need(!(config.sessionStore === 'memory' && config.userStore !== 'sqlite'), 'TESSERA_SESSION_STORE=memory keeps users in memory too; unset TESSERA_USER_STORE.');
  need(/^[a-z_][a-z0-9_]{0,62}$/.test(config.postgresSchema), 'TESSERA_POSTGRES_SCHEMA must be a lower-case SQL identifier (letters, digits, _).');
  need(/^[A-Za-z0-9:_.{}-]{0,64}$/.test(config.redisKeyPrefix) && !/[{}]/.test(config.redisKeyPrefix), 'TESSERA_REDIS_PREFIX must be up to 64 characters of letters, digits, : _ . - (no braces: they are hash tags).');

  if (problems.length > 0) {
    throw new ConfigurationError(`Invalid configuration:\n  - ${problems.join('\n  - ')}`);
  }
  return config;
}

/** Keys whose object value replaces the default instead of merging into it. */
const REPLACED_KEYS = new Set(['carriers']);

/** Merges overrides into the defaults (one level of nesting, as the config has). */
export function mergeConfig(base: TesseraConfig, overrides: ConfigOverrides): TesseraConfig {
  const merged: Record<string, unknown> = { ...base };
  for (const [key, value] of Object.entries(overrides)) {
    if (value === undefined) continue;
    const current = (base as unknown as Record<string, unknown>)[key];
    if (isPlainObject(current) && isPlainObject(value) && !REPLACED_KEYS.has(key)) {
      const inner: Record<string, unknown> = { ...current };
      for (const [innerKey, innerValue] of Object.entries(value)) {
        const innerCurrent = current[innerKey];
        inner[innerKey] =
          isPlainObject(innerCurrent) && isPlainObject(innerValue) ? { ...innerCurrent, ...innerValue } : innerValue;
      }
      merged[key] = inner;
    } else {
      merged[key] = value;
    }
  }
  return merged as unknown as TesseraConfig;
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
