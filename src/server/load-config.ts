import { readFileSync } from 'node:fs';
import {
  type ConfigOverrides,
  type TesseraConfig,
  defaultConfig,
  mergeConfig,
  toOrigin,
  validateConfig,
} from '../core/config.js';
import { parseDuration } from '../core/durations.js';
import { ConfigurationError } from '../core/errors.js';

/**
 * Configuration comes from (lowest to highest precedence) the defaults, an optional JSON file
 * named by `TESSERA_CONFIG`, and environment variables. Every variable is listed in the README.
 */

type Env = Readonly<Record<string, string | undefined>>;

/** The keys a configuration file may contain (unknown keys are an error, not silently ignored). */
const FILE_KEYS = new Set(Object.keys(defaultConfig()));

/** Loads, merges and validates the configuration; throws ConfigurationError with fixes. */
export function loadConfig(env: Env = process.env, overrides: ConfigOverrides = {}): TesseraConfig {
  const file = env.TESSERA_CONFIG;
  // Every problem is reported in one go: unparsable variables together with invalid settings.
  const envProblems: string[] = [];
  const layers = [file ? readConfigFile(file) : {}, readEnv(env, envProblems), overrides];
  let config = defaultConfig();
  for (const layer of layers) config = mergeConfig(config, layer);
  return validateConfig(deriveDependentSettings(config, env, layers), envProblems);
}

function readConfigFile(path: string): ConfigOverrides {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (cause) {
    throw new ConfigurationError(`TESSERA_CONFIG points at "${path}", which cannot be read. Fix the path or unset TESSERA_CONFIG.`, { cause });
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (cause) {
    throw new ConfigurationError(`The configuration file "${path}" is not valid JSON.`, { cause });
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    throw new ConfigurationError(`The configuration file "${path}" must contain a JSON object.`);
  }
  const unknown = unknownKeys(parsed as Record<string, unknown>, defaultConfig() as unknown as Record<string, unknown>, '');
  if (unknown.length > 0) {
    throw new ConfigurationError(`The configuration file "${path}" has unknown keys: ${unknown.join(', ')}. Allowed: ${[...FILE_KEYS].join(', ')}.`);
  }
  return parsed as ConfigOverrides;
}

/**
 * Keys of `value` that the defaults do not have, at every depth (a misspelt
 * `session.idleTimeout` must not be silently ignored). `carriers` is a free-form map.
 */
function unknownKeys(value: Record<string, unknown>, shape: Record<string, unknown>, path: string): string[] {
  const found: string[] = [];
  for (const [key, inner] of Object.entries(value)) {
    const name = path ? `${path}.${key}` : key;
    if (!Object.hasOwn(shape, key)) {
      found.push(name);
      continue;
    }
    const expected = shape[key];
    const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
    if (name !== 'carriers' && isObject(expected) && isObject(inner)) found.push(...unknownKeys(inner, expected, name));
  }
  return found;
}

function readEnv(env: Env, problems: string[]): ConfigOverrides {
  const int = (name: string): number | undefined => {
    const raw = env[name];
    if (raw === undefined || raw === '') return undefined;
    const value = Number(raw);
    if (!Number.isInteger(value)) problems.push(`${name}="${raw}" must be a whole number.`);
    return value;
  };
  const duration = (name: string): number | undefined => {
    const raw = env[name];
    if (raw === undefined || raw === '') return undefined;
    const value = parseDuration(raw);
    if (value === null) problems.push(`${name}="${raw}" must be a duration such as 30m, 12h or 7d.`);
    return value ?? undefined;
  };
  const bool = (name: string): boolean | undefined => {
    const raw = env[name]?.toLowerCase();
    if (raw === undefined || raw === '') return undefined;
    if (['1', 'true', 'yes', 'on'].includes(raw)) return true;
    if (['0', 'false', 'no', 'off'].includes(raw)) return false;
    problems.push(`${name}="${env[name]}" must be true or false.`);
    return undefined;
  };
  const text = (name: string): string | undefined => {
    const raw = env[name];
    return raw === undefined || raw === '' ? undefined : raw;
  };
  const sameSite = text('TESSERA_COOKIE_SAMESITE')?.toLowerCase();
  const overrides: ConfigOverrides = {
    host: text('HOST'),
    port: int('PORT'),
    publicUrl: text('TESSERA_PUBLIC_URL'),
    dataDir: text('TESSERA_DATA_DIR'),
    trustProxy: bool('TESSERA_TRUST_PROXY'),
    trustedOrigins: text('TESSERA_TRUSTED_ORIGINS')
      ?.split(',')
      .map((origin) => origin.trim())
      .filter((origin) => origin.length > 0),
    trustSameSite: bool('TESSERA_TRUST_SAME_SITE'),
    cookie: {
      secure: bool('TESSERA_SECURE_COOKIES'),
      sameSite: sameSite as 'lax' | 'strict' | undefined,
    },
    session: {
      idleTimeoutMs: duration('TESSERA_SESSION_IDLE_TIMEOUT'),
      absoluteLifetimeMs: duration('TESSERA_SESSION_ABSOLUTE_LIFETIME'),
      touchIntervalMs: duration('TESSERA_SESSION_TOUCH_INTERVAL'),
      reauthenticationWindowMs: duration('TESSERA_REAUTHENTICATION_WINDOW'),
      sweepIntervalMs: duration('TESSERA_SWEEP_INTERVAL'),
    },
    password: {
      minLength: int('TESSERA_PASSWORD_MIN_LENGTH'),
      maxLength: int('TESSERA_PASSWORD_MAX_LENGTH'),
    },
    tokens: {
      issuer: text('TESSERA_TOKEN_ISSUER'),
      audience: text('TESSERA_TOKEN_AUDIENCE'),
      accessTokenTtlMs: duration('TESSERA_ACCESS_TOKEN_TTL'),
      refreshIdleTimeoutMs: duration('TESSERA_REFRESH_IDLE_TIMEOUT'),
      refreshAbsoluteLifetimeMs: duration('TESSERA_REFRESH_ABSOLUTE_LIFETIME'),
      refreshGraceMs: duration('TESSERA_REFRESH_GRACE'),
      algorithm: text('TESSERA_TOKEN_ALGORITHM') as TesseraConfig['tokens']['algorithm'] | undefined,
      keyRotationIntervalMs: duration('TESSERA_KEY_ROTATION_INTERVAL'),
      keyPrepublishMs: duration('TESSERA_KEY_PREPUBLISH'),
    },
    clients: parseClients(text('TESSERA_CLIENTS'), problems),
    feedHeartbeatMs: duration('TESSERA_FEED_HEARTBEAT'),
    bodyLimitBytes: int('TESSERA_BODY_LIMIT'),
    logLevel: text('TESSERA_LOG_LEVEL') as TesseraConfig['logLevel'] | undefined,
    sessionStore: text('TESSERA_SESSION_STORE'),
    userStore: text('TESSERA_USER_STORE'),
    postgresSchema: text('TESSERA_POSTGRES_SCHEMA'),
    redisKeyPrefix: text('TESSERA_REDIS_PREFIX'),
  };
  return dropUndefined(overrides);
}

/** Removes undefined leaves so they do not overwrite defaults or file values. */
function dropUndefined(overrides: ConfigOverrides): ConfigOverrides {
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(overrides)) {
    if (value === undefined) continue;
    if (typeof value === 'object' && value !== null && !Array.isArray(value)) {
      const inner = Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined));
      if (Object.keys(inner).length > 0) out[key] = inner;
    } else {
      out[key] = value;
    }
  }
  return out as ConfigOverrides;
}

/**
 * Settings that follow from others unless set explicitly: the public URL from HOST:PORT, and
 * secure cookies whenever the public URL is https or NODE_ENV is production.
 */
function deriveDependentSettings(config: TesseraConfig, env: Env, layers: readonly ConfigOverrides[]): TesseraConfig {
  // "Set explicitly" means set by any layer: the file, the environment or code.
  const publicUrlSet = layers.some((layer) => layer.publicUrl !== undefined);
  const publicUrl = publicUrlSet ? config.publicUrl : `http://${formatHost(config.host)}:${config.port}`;
  const origin = toOrigin(publicUrl) ?? publicUrl;
  const secureSet = layers.some((layer) => layer.cookie?.secure !== undefined);
  const secure = secureSet ? config.cookie.secure : origin.startsWith('https:') || env.NODE_ENV === 'production';
  return {
    ...config,
    publicUrl: origin,
    cookie: { ...config.cookie, secure },
    tokens: { ...config.tokens, issuer: config.tokens.issuer || origin, audience: config.tokens.audience || origin },
  };
}

/** `id:secret,id2:secret2` → client list; secrets are never echoed in messages. */
function parseClients(raw: string | undefined, problems: string[]): TesseraConfig['clients'] | undefined {
  if (raw === undefined) return undefined;
  return raw
    .split(',')
    .map((entry) => entry.trim())
    .filter((entry) => entry.length > 0)
    .map((entry, index) => {
      const colon = entry.indexOf(':');
      if (colon <= 0) problems.push(`TESSERA_CLIENTS entry ${index + 1} must look like id:secret.`);
      return { id: entry.slice(0, Math.max(colon, 0)), secret: entry.slice(colon + 1) };
    });
}

function formatHost(host: string): string {
  if (host === '0.0.0.0' || host === '::') return '127.0.0.1';
  return host.includes(':') ? `[${host}]` : host;
}
