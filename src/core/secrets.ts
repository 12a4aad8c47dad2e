import { hkdfSync } from 'node:crypto';

/**
 * Keys derived from one master secret with HKDF-SHA256, one per purpose, so a key can never be
 * confused across purposes (a CSRF token is never a valid anything-else).
 */
export interface DerivedKeys {
  /** Signs CSRF tokens (HMAC-SHA256 over the session id). */
  readonly csrfKey: Buffer;
  /** Tags refresh tokens and derives access-token ids. */
  readonly refreshKey: Buffer;
}

/** Minimum master-secret length: 256 bits of entropy when generated as we document. */
export const MIN_MASTER_SECRET_BYTES = 32;

/** Derives every purpose key from the master secret. */
export function deriveKeys(masterSecret: Uint8Array): DerivedKeys {
  const derive = (info: string): Buffer =>
    Buffer.from(hkdfSync('sha256', masterSecret, 'tessera/v1', info, 32));
  return { csrfKey: derive('csrf'), refreshKey: derive('refresh') };
}
