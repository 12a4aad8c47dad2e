import { type Algorithm, hash, verify } from '@node-rs/argon2';
import type { Argon2Parameters } from './config.js';
import type { FieldError } from './errors.js';

/**
 * Password hashing with argon2id (OWASP parameters or stronger) and the NIST SP 800-63B
 * length rules. Passwords are NFKC-normalised first (SP 800-63B §5.1.1.2) so the same password
 * typed on two keyboards verifies; the upper bound keeps hashing from being a DoS lever.
 */

// @node-rs/argon2 exports `Algorithm` as a const enum, which isolated modules cannot read.
const ARGON2ID = 2 as Algorithm.Argon2id;

/** Length rules, counted in Unicode code points as NIST asks. */
export interface PasswordPolicy {
  readonly minLength: number;
  readonly maxLength: number;
}

/** Checks the length rules; returns field errors (empty when acceptable). */
export function checkPasswordPolicy(password: string, policy: PasswordPolicy, field = 'password'): FieldError[] {
  const length = [...password.normalize('NFKC')].length;
  if (length < policy.minLength) return [{ field, message: `must be at least ${policy.minLength} characters` }];
  if (length > policy.maxLength) return [{ field, message: `must be at most ${policy.maxLength} characters` }];
  return [];
}

/** Hashes a password into a PHC string. */
export function hashPassword(password: string, params: Argon2Parameters): Promise<string> {
  return hash(password.normalize('NFKC'), {
    algorithm: ARGON2ID,
    memoryCost: params.memoryCost,
    timeCost: params.timeCost,
    parallelism: params.parallelism,
  });
}

/** Verifies a password against a PHC string; false (never a throw) for a malformed hash. */
export async function verifyPassword(phc: string, password: string): Promise<boolean> {
  try {
    return await verify(phc, password.normalize('NFKC'));
  } catch {
    return false;
  }
}

/** True when the stored hash was made with other (weaker or different) parameters. */
export function passwordNeedsRehash(phc: string, params: Argon2Parameters): boolean {
  const match = /^\$argon2id\$v=19\$m=(\d+),t=(\d+),p=(\d+)\$/.exec(phc);
  if (!match) return true;
  return (
    Number(match[1]) !== params.memoryCost ||
    Number(match[2]) !== params.timeCost ||
    Number(match[3]) !== params.parallelism
  );
}

/**
 * A hash of a random password made once at start-up. Login verifies against it when the
 * e-mail is unknown, so "no such user" costs the same time as "wrong password".
 */
export async function createDummyPasswordHash(params: Argon2Parameters): Promise<string> {
  const { randomBytes } = await import('node:crypto');
  return hashPassword(randomBytes(24).toString('base64url'), params);
}
