import { chmodSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { MIN_MASTER_SECRET_BYTES } from '../core/secrets.js';
import { ConfigurationError } from '../core/errors.js';

/**
 * The master secret comes from `TESSERA_SECRET` or, on a zero-configuration start, from
 * `<dataDir>/secret.key`, generated on first run with mode 0600 and kept across restarts so
 * CSRF tokens stay valid. Several nodes must share the same secret: set TESSERA_SECRET.
 */
export function loadOrCreateMasterSecret(dataDir: string, env: Readonly<Record<string, string | undefined>> = process.env): Buffer {
  const fromEnv = env.TESSERA_SECRET;
  if (fromEnv !== undefined && fromEnv !== '') {
    const bytes = Buffer.from(fromEnv, 'utf8');
    if (bytes.length < MIN_MASTER_SECRET_BYTES + 11) {
      throw new ConfigurationError('TESSERA_SECRET is too short: use at least 43 characters of random data, e.g. the output of `openssl rand -base64 32`.');
    }
    return bytes;
  }
  mkdirSync(dataDir, { recursive: true, mode: 0o700 });
  const path = join(dataDir, 'secret.key');
  try {
    const existing = Buffer.from(readFileSync(path, 'utf8').trim(), 'base64url');
    if (existing.length < MIN_MASTER_SECRET_BYTES) {
      throw new ConfigurationError(`${path} is damaged (shorter than 32 bytes). Restore it from a backup; deleting it signs every user out of CSRF-protected forms.`);
    }
    return existing;
  } catch (error) {
    if (error instanceof ConfigurationError) throw error;
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') {
      throw new ConfigurationError(`Cannot read ${path}; check the permissions of TESSERA_DATA_DIR.`, { cause: error });
    }
  }
  const secret = randomBytes(MIN_MASTER_SECRET_BYTES);
  // 'wx' fails if another process created it meanwhile; then read theirs.
  try {
    writeFileSync(path, `${secret.toString('base64url')}\n`, { mode: 0o600, flag: 'wx' });
    chmodSync(path, 0o600);
    return secret;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EEXIST') return loadOrCreateMasterSecret(dataDir, env);
    throw new ConfigurationError(`Cannot write ${path}; make TESSERA_DATA_DIR writable.`, { cause: error });
  }
}
