import { createCipheriv, createDecipheriv, hkdfSync, randomBytes } from 'node:crypto';
import { ConfigurationError } from '../errors.js';

/**
 * Private signing keys at rest: AES-256-GCM under a key derived (HKDF) from
 * TESSERA_KEY_ENCRYPTION_SECRET, so a copy of the store alone cannot mint tokens. The kid is
 * bound as additional data, so ciphertexts cannot be swapped between rows.
 */
const PREFIX = 'enc:v1:';

/** Derives the AES key from the configured secret. */
export function deriveKeyEncryptionKey(secret: string): Buffer {
  if (Buffer.byteLength(secret) < 32) {
    throw new ConfigurationError('TESSERA_KEY_ENCRYPTION_SECRET must be at least 32 characters of random data (e.g. `openssl rand -base64 32`).');
  }
  return Buffer.from(hkdfSync('sha256', secret, 'tessera/v1', 'key-encryption', 32));
}

/** Encrypts a private JWK for storage; returns it unchanged when no key is configured. */
export function sealPrivateJwk(plaintext: string, kid: string, key: Buffer | null): string {
  if (!key) return plaintext;
  const iv = randomBytes(12);
  const cipher = createCipheriv('aes-256-gcm', key, iv);
  cipher.setAAD(Buffer.from(kid));
  const ciphertext = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
  return `${PREFIX}${iv.toString('base64url')}.${ciphertext.toString('base64url')}.${cipher.getAuthTag().toString('base64url')}`;
}

/** Decrypts a stored private JWK; throws a ConfigurationError that says what to fix. */
export function openPrivateJwk(stored: string, kid: string, key: Buffer | null): string {
  if (!stored.startsWith(PREFIX)) return stored;
  if (!key) {
    throw new ConfigurationError(`Signing key ${kid} is encrypted: set TESSERA_KEY_ENCRYPTION_SECRET to the secret it was encrypted with.`);
  }
  const [iv, ciphertext, tag] = stored.slice(PREFIX.length).split('.');
  try {
    const decipher = createDecipheriv('aes-256-gcm', key, Buffer.from(iv ?? '', 'base64url'));
    decipher.setAAD(Buffer.from(kid));
    decipher.setAuthTag(Buffer.from(tag ?? '', 'base64url'));
    return Buffer.concat([decipher.update(Buffer.from(ciphertext ?? '', 'base64url')), decipher.final()]).toString('utf8');
  } catch (cause) {
    throw new ConfigurationError(`Signing key ${kid} cannot be decrypted: TESSERA_KEY_ENCRYPTION_SECRET is not the secret it was encrypted with.`, { cause });
  }
}
