import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { type TesseraConfig, defaultConfig, mergeConfig, toOrigin, validateConfig } from '../../src/core/config.js';
import { ConfigurationError } from '../../src/core/errors.js';
import { loadConfig } from '../../src/server/load-config.js';

/** The ConfigurationError message `fn` throws (fails the test if it does not throw one). */
function configError(fn: () => unknown): string {
  try {
    fn();
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigurationError);
    return (error as ConfigurationError).message;
  }
  throw new Error('expected a ConfigurationError');
}

const dir = mkdtempSync(join(tmpdir(), 'tessera-config-test-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
let fileCounter = 0;
/** Writes a configuration file and returns its path. */
function configFile(content: unknown): string {
  fileCounter += 1;
  const path = join(dir, `config-${fileCounter}.json`);
  writeFileSync(path, typeof content === 'string' ? content : JSON.stringify(content));
  return path;
}

describe('toOrigin', () => {
  it('serialises http(s) URLs to their origin', () => {
    expect(toOrigin('https://Example.com:443/path?q#f')).toBe('https://example.com');
    expect(toOrigin('http://127.0.0.1:3000/')).toBe('http://127.0.0.1:3000');
    expect(toOrigin('http://[::1]:8080')).toBe('http://[::1]:8080');
  });

  it('is null for other schemes and non-URLs', () => {
    for (const url of ['ftp://example.com', 'javascript:alert(1)', 'file:///etc/passwd', 'example.com', '', 'null']) {
      expect(toOrigin(url), url).toBeNull();
    }
  });
});

describe('mergeConfig', () => {
  it('merges one level deep, keeping sibling settings', () => {
    const merged = mergeConfig(defaultConfig(), { session: { idleTimeoutMs: 5 * 60_000 }, port: 8080 });
    expect(merged.session.idleTimeoutMs).toBe(300_000);
    expect(merged.session.absoluteLifetimeMs).toBe(defaultConfig().session.absoluteLifetimeMs);
    expect(merged.port).toBe(8080);
  });

  it('merges nested objects (argon2, rate-limit rules) and replaces arrays', () => {
    const merged = mergeConfig(defaultConfig(), {
      password: { argon2: { timeCost: 3 } },
      rateLimit: { loginPerIp: { limit: 5 } },
      trustedOrigins: ['https://a.example'],
    });
    expect(merged.password.argon2).toEqual({ ...defaultConfig().password.argon2, timeCost: 3 });
    expect(merged.rateLimit.loginPerIp).toEqual({ ...defaultConfig().rateLimit.loginPerIp, limit: 5 });
    expect(merged.trustedOrigins).toEqual(['https://a.example']);
    expect(mergeConfig(merged, { trustedOrigins: ['https://b.example'] }).trustedOrigins).toEqual(['https://b.example']);
  });

  it('ignores undefined overrides and does not mutate its inputs', () => {
    const base = defaultConfig();
    const snapshot = JSON.stringify(base);
    const merged = mergeConfig(base, { port: undefined, session: { idleTimeoutMs: 1 } });
    expect(merged.port).toBe(base.port);
    expect(JSON.stringify(base)).toBe(snapshot);
  });
});

describe('validateConfig', () => {
  const valid = (): TesseraConfig => loadConfig({});

  it('accepts the defaults as loaded', () => {
    expect(validateConfig(valid())).toBeDefined();
  });

  it('lists every problem in one error, each naming the setting to change', () => {
    const base = valid();
    const message = configError(() =>
      validateConfig({
        ...base,
        port: 70_000,
        cookie: { ...base.cookie, sameSite: 'none' as never },
        session: { ...base.session, idleTimeoutMs: 13 * 3_600_000 },
        password: { ...base.password, minLength: 4 },
        bodyLimitBytes: 10,
        logLevel: 'loud' as never,
      }),
    );
    for (const fragment of ['PORT', 'TESSERA_COOKIE_SAMESITE', 'TESSERA_SESSION_IDLE_TIMEOUT', 'TESSERA_PASSWORD_MIN_LENGTH', 'TESSERA_BODY_LIMIT', 'TESSERA_LOG_LEVEL']) {
      expect(message).toContain(fragment);
    }
    expect(message.split('\n  - ').length - 1).toBeGreaterThanOrEqual(6);
  });

  it('rejects an idle timeout longer than the absolute lifetime', () => {
    const base = valid();
    const message = configError(() => validateConfig({ ...base, session: { ...base.session, idleTimeoutMs: base.session.absoluteLifetimeMs + 1 } }));
    expect(message).toContain('TESSERA_SESSION_IDLE_TIMEOUT must not be longer than TESSERA_SESSION_ABSOLUTE_LIFETIME');
    expect(validateConfig({ ...base, session: { ...base.session, idleTimeoutMs: base.session.absoluteLifetimeMs } })).toBeDefined();
  });

  it('rejects a touch interval not shorter than the idle timeout', () => {
    const base = valid();
    expect(configError(() => validateConfig({ ...base, session: { ...base.session, touchIntervalMs: base.session.idleTimeoutMs } }))).toContain('TESSERA_SESSION_TOUCH_INTERVAL');
  });

  it('rejects argon2 parameters below the OWASP minimum and SameSite=None', () => {
    const base = valid();
    expect(configError(() => validateConfig({ ...base, password: { ...base.password, argon2: { memoryCost: 4096, timeCost: 2, parallelism: 1 } } }))).toContain('OWASP');
    expect(configError(() => validateConfig({ ...base, password: { ...base.password, argon2: { memoryCost: 19_456, timeCost: 1, parallelism: 1 } } }))).toContain('OWASP');
    expect(configError(() => validateConfig({ ...base, cookie: { ...base.cookie, sameSite: 'none' as never } }))).toContain('SameSite=None');
  });

  it('requires trusted origins to be bare origins', () => {
    const base = valid();
    expect(validateConfig({ ...base, trustedOrigins: ['https://app.example.com', 'http://localhost:5173'] })).toBeDefined();
    for (const origin of ['https://app.example.com/', 'https://app.example.com/path', 'https://App.example.com', 'app.example.com', 'null', '*']) {
      expect(configError(() => validateConfig({ ...base, trustedOrigins: [origin] })), origin).toContain('TESSERA_TRUSTED_ORIGINS');
    }
  });

  it('rejects non-positive rate limits and password bounds outside NIST/DoS limits', () => {
    const base = valid();
    expect(configError(() => validateConfig({ ...base, rateLimit: { ...base.rateLimit, loginPerIp: { limit: 0, windowMs: 1000 } } }))).toContain('rateLimit.loginPerIp');
    expect(configError(() => validateConfig({ ...base, password: { ...base.password, maxLength: 63 } }))).toContain('TESSERA_PASSWORD_MAX_LENGTH');
    expect(configError(() => validateConfig({ ...base, password: { ...base.password, maxLength: 2048 } }))).toContain('TESSERA_PASSWORD_MAX_LENGTH');
  });
});

describe('loadConfig from the environment', () => {
  it('derives the public URL from HOST:PORT', () => {
    expect(loadConfig({ HOST: '10.0.0.5', PORT: '8080' }).publicUrl).toBe('http://10.0.0.5:8080');
    expect(loadConfig({}).publicUrl).toBe('http://127.0.0.1:3000');
    expect(loadConfig({ HOST: '0.0.0.0', PORT: '4000' }).publicUrl).toBe('http://127.0.0.1:4000');
    expect(loadConfig({ HOST: '::1', PORT: '4000' }).publicUrl).toBe('http://[::1]:4000');
    expect(loadConfig({ HOST: 'auth.internal' }).publicUrl).toBe('http://auth.internal:3000');
  });

  it('reduces TESSERA_PUBLIC_URL to its origin and trusts it', () => {
    const config = loadConfig({ TESSERA_PUBLIC_URL: 'https://Auth.Example.com/some/path', PORT: '8080' });
    expect(config.publicUrl).toBe('https://auth.example.com');
    expect(config.port).toBe(8080);
  });

  it('turns secure cookies on for an https public URL or NODE_ENV=production, unless set explicitly', () => {
    expect(loadConfig({}).cookie.secure).toBe(false);
    expect(loadConfig({ TESSERA_PUBLIC_URL: 'https://auth.example.com' }).cookie.secure).toBe(true);
    expect(loadConfig({ NODE_ENV: 'production' }).cookie.secure).toBe(true);
    expect(loadConfig({ NODE_ENV: 'development' }).cookie.secure).toBe(false);
    expect(loadConfig({ TESSERA_PUBLIC_URL: 'https://auth.example.com', TESSERA_SECURE_COOKIES: 'false' }).cookie.secure).toBe(false);
    expect(loadConfig({ TESSERA_SECURE_COOKIES: 'yes' }).cookie.secure).toBe(true);
    expect(loadConfig({ NODE_ENV: 'production' }, { cookie: { secure: false } }).cookie.secure).toBe(false);
    expect(loadConfig({}, { cookie: { secure: true } }).cookie.secure).toBe(true);
  });

  it('reads durations, booleans, lists and enums', () => {
    const config = loadConfig({
      TESSERA_SESSION_IDLE_TIMEOUT: '15m',
      TESSERA_SESSION_ABSOLUTE_LIFETIME: '8h',
      TESSERA_SESSION_TOUCH_INTERVAL: '30',
      TESSERA_TRUST_PROXY: 'TRUE',
      TESSERA_TRUST_SAME_SITE: 'off',
      TESSERA_TRUSTED_ORIGINS: ' https://a.example.com , https://b.example.com:8443,, ',
      TESSERA_COOKIE_SAMESITE: 'Strict',
      TESSERA_PASSWORD_MIN_LENGTH: '12',
    });
    expect(config.session.idleTimeoutMs).toBe(15 * 60_000);
    expect(config.session.absoluteLifetimeMs).toBe(8 * 3_600_000);
    expect(config.session.touchIntervalMs).toBe(30_000);
    expect(config.trustProxy).toBe(true);
    expect(config.trustSameSite).toBe(false);
    expect(config.trustedOrigins).toEqual(['https://a.example.com', 'https://b.example.com:8443']);
    expect(config.cookie.sameSite).toBe('strict');
    expect(config.password.minLength).toBe(12);
  });

  it('treats empty variables as unset', () => {
    const config = loadConfig({ PORT: '', TESSERA_SESSION_IDLE_TIMEOUT: '', TESSERA_TRUST_PROXY: '', TESSERA_PUBLIC_URL: '' });
    expect(config.port).toBe(3000);
    expect(config.session.idleTimeoutMs).toBe(30 * 60_000);
    expect(config.trustProxy).toBe(false);
    expect(config.publicUrl).toBe('http://127.0.0.1:3000');
  });

  it('lists every unparsable variable in one error, each with how to fix it', () => {
    const message = configError(() =>
      loadConfig({ PORT: 'eighty', TESSERA_SESSION_IDLE_TIMEOUT: 'forever', TESSERA_TRUST_PROXY: 'maybe', TESSERA_BODY_LIMIT: '1.5' }),
    );
    expect(message).toContain('PORT="eighty" must be a whole number');
    expect(message).toContain('TESSERA_SESSION_IDLE_TIMEOUT="forever" must be a duration such as 30m');
    expect(message).toContain('TESSERA_TRUST_PROXY="maybe" must be true or false');
    expect(message).toContain('TESSERA_BODY_LIMIT="1.5" must be a whole number');
  });

  it('reports unparsable and invalid settings together, so one round of fixes is enough', () => {
    // validateConfig promises "every problem ... so an operator fixes everything in one go".
    const message = configError(() => loadConfig({ PORT: 'eighty', TESSERA_PASSWORD_MIN_LENGTH: '4' }));
    expect(message).toContain('PORT');
    expect(message).toContain('TESSERA_PASSWORD_MIN_LENGTH');
  });

  it('rejects an idle timeout longer than the absolute lifetime, naming both variables', () => {
    const message = configError(() => loadConfig({ TESSERA_SESSION_IDLE_TIMEOUT: '13h' }));
    expect(message).toContain('TESSERA_SESSION_IDLE_TIMEOUT');
    expect(message).toContain('TESSERA_SESSION_ABSOLUTE_LIFETIME');
  });

  it('rejects invalid values after parsing', () => {
    expect(configError(() => loadConfig({ PORT: '70000' }))).toContain('PORT must be an integer from 0 to 65535');
    expect(configError(() => loadConfig({ TESSERA_PUBLIC_URL: 'ftp://auth.example.com' }))).toContain('TESSERA_PUBLIC_URL');
    expect(configError(() => loadConfig({ TESSERA_COOKIE_SAMESITE: 'none' }))).toContain('TESSERA_COOKIE_SAMESITE');
    expect(configError(() => loadConfig({ TESSERA_TRUSTED_ORIGINS: 'https://a.example.com/path' }))).toContain('TESSERA_TRUSTED_ORIGINS');
  });

  it('code overrides win over the environment', () => {
    expect(loadConfig({ PORT: '8080' }, { port: 9090 }).port).toBe(9090);
    expect(loadConfig({ TESSERA_SESSION_IDLE_TIMEOUT: '10m' }, { session: { idleTimeoutMs: 20 * 60_000 } }).session.idleTimeoutMs).toBe(20 * 60_000);
  });
});

describe('loadConfig from a file (TESSERA_CONFIG)', () => {
  it('applies file values, and the environment wins over the file', () => {
    const path = configFile({ port: 4000, session: { idleTimeoutMs: 600_000 }, trustedOrigins: ['https://app.example.com'] });
    const fromFile = loadConfig({ TESSERA_CONFIG: path });
    expect(fromFile.port).toBe(4000);
    expect(fromFile.session.idleTimeoutMs).toBe(600_000);
    expect(fromFile.session.absoluteLifetimeMs).toBe(defaultConfig().session.absoluteLifetimeMs);
    expect(fromFile.trustedOrigins).toEqual(['https://app.example.com']);
    expect(loadConfig({ TESSERA_CONFIG: path, PORT: '5000' }).port).toBe(5000);
  });

  it('rejects unknown top-level keys, naming them and the allowed ones', () => {
    const message = configError(() => loadConfig({ TESSERA_CONFIG: configFile({ port: 4000, prot: 1, sesion: {} }) }));
    expect(message).toContain('prot');
    expect(message).toContain('sesion');
    expect(message).toContain('Allowed:');
  });

  it('rejects unknown nested keys too (a typo must not be silently ignored)', () => {
    const path = configFile({ session: { idleTimeout: '5m' } });
    const message = configError(() => loadConfig({ TESSERA_CONFIG: path }));
    expect(message).toContain('idleTimeout');
  });

  it('explains unreadable, non-JSON and non-object files', () => {
    expect(configError(() => loadConfig({ TESSERA_CONFIG: join(dir, 'missing.json') }))).toContain('cannot be read');
    expect(configError(() => loadConfig({ TESSERA_CONFIG: configFile('{ "port": ') }))).toContain('not valid JSON');
    expect(configError(() => loadConfig({ TESSERA_CONFIG: configFile('[1, 2]') }))).toContain('must contain a JSON object');
  });

  it('a public URL set in the file is used (origin, trusted, secure cookies when https)', () => {
    const config = loadConfig({ TESSERA_CONFIG: configFile({ publicUrl: 'https://auth.example.com' }) });
    expect(config.publicUrl).toBe('https://auth.example.com');
    expect(config.cookie.secure).toBe(true);
  });

  it('secure cookies set in the file are honoured', () => {
    const config = loadConfig({ TESSERA_CONFIG: configFile({ cookie: { secure: true } }) });
    expect(config.cookie.secure).toBe(true);
  });
});
