/**
 * The signature primitive under access-token verification: one synchronous node:crypto call with
 * a pre-imported KeyObject, after the checks OpenSSL would not make for us (key type per alg,
 * exact signature length, ECDSA scalar range). Shared by the verifier and the Wycheproof tests,
 * so the vectors exercise exactly the code that guards the hot path.
 */
import { constants, verify as cryptoVerify } from 'node:crypto';
import type { KeyObject } from 'node:crypto';
import type { AccessTokenAlgorithm } from './access-token-claims.js';

// Order of the P-256 group. A signature scalar must lie in [1, n-1]; r = s = 0 is the "psychic
// signature" that Java accepted (CVE-2022-21449), so we refuse it before OpenSSL sees it (J-15).
const P256_ORDER = Buffer.from(
  'ffffffff00000000ffffffffffffffffbce6faada7179e84f3b9cac2fc632551',
  'hex',
);
const MIN_RSA_BITS = 2048;
// Bounds the cost of one RSA verification an attacker-chosen JWKS could impose.
const MAX_RSA_BITS = 8192;

type NodeVerifyKey = KeyObject | { key: KeyObject; padding: number; saltLength?: number };

interface PreparedKey {
  readonly alg: AccessTokenAlgorithm;
  readonly verifyKey: NodeVerifyKey;
  readonly signatureLength: number;
}

// Key checks and option objects are computed once per KeyObject, not once per token.
const preparedKeys = new WeakMap<KeyObject, PreparedKey | null>();

/** Checks that `key` really is a key for `alg` and builds the node:crypto options for it. */
function prepareKey(alg: AccessTokenAlgorithm, key: KeyObject): PreparedKey | null {
  // A private key would verify too, but verifiers have no business holding one.
  if (key.type !== 'public') return null;
  const type = key.asymmetricKeyType;
  const details = key.asymmetricKeyDetails ?? {};
  switch (alg) {
    case 'ES256':
      if (type !== 'ec' || details.namedCurve !== 'prime256v1') return null;
      // The bare KeyObject with a DER signature (see p1363ToDer): the form OpenSSL takes.
      return { alg, verifyKey: key, signatureLength: 64 };
    case 'EdDSA':
      // Ed25519 only: Ed448 is a different algorithm with a different security level.
      if (type !== 'ed25519') return null;
      return { alg, verifyKey: key, signatureLength: 64 };
    case 'RS256':
    case 'PS256': {
      const bits = details.modulusLength ?? 0;
      if (type !== 'rsa' || bits < MIN_RSA_BITS || bits > MAX_RSA_BITS) return null;
      const verifyKey =
        alg === 'RS256'
          ? { key, padding: constants.RSA_PKCS1_PADDING }
          : { key, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: 32 };
      return { alg, verifyKey, signatureLength: Math.ceil(bits / 8) };
    }
    default:
      return null;
  }
}

function preparedKeyFor(alg: AccessTokenAlgorithm, key: KeyObject): PreparedKey | null {
  const cached = preparedKeys.get(key);
  if (cached !== undefined && (cached === null || cached.alg === alg)) {
    return cached === null ? null : cached;
  }
  const prepared = prepareKey(alg, key);
  preparedKeys.set(key, prepared);
  return prepared;
}

/** True when the 32-byte big-endian scalar at `offset` is in [1, n-1] for P-256. */
function isP256ScalarInRange(signature: Buffer, offset: number): boolean {
  let isZero = true;
  for (let i = 0; i < 32; i++) {
    if (signature[offset + i] !== 0) {
      isZero = false;
      break;
    }
  }
  if (isZero) return false;
  for (let i = 0; i < 32; i++) {
    const a = signature[offset + i] as number;
    const b = P256_ORDER[i] as number;
    if (a !== b) return a < b;
  }
  return false; // equal to n
}

// DER of an ECDSA-Sig-Value is at most 72 bytes for P-256 (two 33-byte INTEGERs and headers);
// one view per possible length, made once, so a conversion allocates nothing.
const derScratch = Buffer.allocUnsafeSlow(72);
const derViews: Buffer[] = [];
for (let length = 0; length <= 72; length++) derViews.push(derScratch.subarray(0, length));

/** Appends one 32-byte big-endian scalar as a minimal DER INTEGER; returns the next offset. */
function writeDerInteger(signature: Buffer, start: number, at: number): number {
  let first = start;
  const end = start + 32;
  // Minimal encoding: no leading zero bytes (the scalar is ≥ 1, so one byte always remains)…
  while (first < end - 1 && signature[first] === 0) first++;
  // …except one zero byte when the top bit is set, so the INTEGER stays positive.
  const pad = ((signature[first] as number) & 0x80) !== 0 ? 1 : 0;
  derScratch[at] = 0x02;
  derScratch[at + 1] = end - first + pad;
  let out = at + 2;
  if (pad === 1) derScratch[out++] = 0;
  for (let i = first; i < end; i++) derScratch[out++] = signature[i] as number;
  return out;
}

/**
 * Re-encodes a range-checked JOSE r‖s signature as DER (SEQUENCE of two INTEGERs). Node would
 * do the same conversion in C++ for `dsaEncoding: 'ieee-p1363'`, with an allocation and more
 * option parsing per call; doing it here over 64 bytes is cheaper, and the DER is ours, built
 * from fixed-width scalars, so none of DER's alternative encodings can reach OpenSSL.
 */
function p1363ToDer(signature: Buffer): Buffer {
  const afterR = writeDerInteger(signature, 0, 2);
  const end = writeDerInteger(signature, 32, afterR);
  derScratch[0] = 0x30;
  derScratch[1] = end - 2; // ≤ 70: short-form length
  return derViews[end] as Buffer;
}

/**
 * The low-level signature check shared by the verifier and the Wycheproof tests: true only when
 * `signature` is a valid `alg` signature of `signingInput` under `key`. Never throws.
 *
 * ES256 takes the JOSE r‖s form (exactly 64 bytes) with both scalars range-checked. Note that
 * ECDSA stays malleable: (r, n−s) verifies as well as (r, s), and Node does not reject high-S.
 * That is why revocation and every denylist key on `jti`/`sid`/`sub`, never on token bytes (J-14).
 */
export function verifyJwsSignature(
  alg: AccessTokenAlgorithm,
  key: KeyObject,
  signingInput: Uint8Array,
  signature: Uint8Array,
): boolean {
  const prepared = preparedKeyFor(alg, key);
  if (prepared === null || signature.length !== prepared.signatureLength) return false;
  const sig = Buffer.isBuffer(signature)
    ? signature
    : Buffer.from(signature.buffer, signature.byteOffset, signature.byteLength);
  let nodeSignature = sig;
  if (alg === 'ES256') {
    if (!(isP256ScalarInRange(sig, 0) && isP256ScalarInRange(sig, 32))) return false;
    nodeSignature = p1363ToDer(sig);
  }
  try {
    return cryptoVerify(alg === 'EdDSA' ? null : 'sha256', signingInput, prepared.verifyKey, nodeSignature);
  } catch {
    return false;
  }
}
