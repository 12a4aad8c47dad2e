import type { SigningKeyStore, StoredSigningKey } from '../types.js';
import type { RedisConnection } from './redis-connection.js';
import type { RedisKeyLayout } from './redis-keys.js';

const ALGORITHMS: ReadonlySet<string> = new Set(['ES256', 'RS256', 'EdDSA']);

/** Reads one stored key back, checking every field (a foreign value must not pass as a key). */
function parseKey(json: string): StoredSigningKey {
  const malformed = new Error('Malformed signing key in Redis.');
  let value: unknown;
  try {
    value = JSON.parse(json);
  } catch {
    throw malformed;
  }
  const k = value as Partial<Record<keyof StoredSigningKey, unknown>> | null;
  if (
    k === null ||
    typeof k !== 'object' ||
    typeof k.kid !== 'string' ||
    typeof k.alg !== 'string' ||
    !ALGORITHMS.has(k.alg) ||
    typeof k.publicJwk !== 'string' ||
    typeof k.privateJwk !== 'string' ||
    typeof k.createdAt !== 'number' ||
    typeof k.activatesAt !== 'number'
  ) {
    throw malformed;
  }
  return {
    kid: k.kid,
    alg: k.alg as StoredSigningKey['alg'],
    publicJwk: k.publicJwk,
    privateJwk: k.privateJwk,
    createdAt: k.createdAt,
    activatesAt: k.activatesAt,
  };
}

/**
 * Creates the Redis `SigningKeyStore`: `P{keys}` maps kid → the key as JSON, `P{keys}at` maps
 * activatesAt → kid. Inserting checks both and writes both in one script, so a duplicate kid or
 * activation instant writes nothing, and of concurrent inserts for one instant exactly one wins.
 */
export function createRedisSigningKeyStore(connection: RedisConnection, keys: RedisKeyLayout): SigningKeyStore {
  const insert = connection.script('tesseraKeyInsert');
  const remove = connection.script('tesseraKeyDelete');
  const both = [keys.signingKeys, keys.signingKeysByActivation] as const;

  return {
    async listSigningKeys(): Promise<StoredSigningKey[]> {
      const all = await connection.run((c) => c.hvals(keys.signingKeys));
      return all.map(parseKey);
    },
    async insertSigningKey(key: StoredSigningKey): Promise<boolean> {
      // Rebuilt field by field: no extra property of the caller's object is stored.
      const json = JSON.stringify({
        kid: key.kid,
        alg: key.alg,
        publicJwk: key.publicJwk,
        privateJwk: key.privateJwk,
        createdAt: key.createdAt,
        activatesAt: key.activatesAt,
      });
      return (await insert(...both, key.kid, String(key.activatesAt), json)) === 1;
    },
    async deleteSigningKey(kid: string): Promise<boolean> {
      return (await remove(...both, kid)) === 1;
    },
  };
}
