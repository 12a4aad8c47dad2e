/**
 * `tessera/verifier`: verify Tessera access tokens in any Node service, with keys from the JWKS
 * and revocations pushed over SSE. No store, no server code.
 */
export { createVerifier } from './create-verifier.js';
export type { FeedState, Verifier, VerifierStatus } from './create-verifier.js';
export type { VerifierOptions } from './verifier-options.js';
export type { AccessTokenClaims } from '../core/tokens/access-token-claims.js';
export type { Clock } from '../core/clock.js';
export type { ErrorCode } from '../core/errors.js';
export { AuthenticationError, ConfigurationError, TesseraError, VerifierUnavailableError, isTesseraError } from '../core/errors.js';
