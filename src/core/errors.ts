/**
 * Every failure Tessera reports is a `TesseraError` with a stable `code`. Messages are generic
 * and never contain a token, a password or a store credential; the HTTP edge maps `status` to
 * an RFC 9457 problem document and nothing else decides status codes.
 */

/** The stable machine-readable error codes. Documented in docs/errors.md; never renamed. */
export type ErrorCode =
  // request shape (400/413/415/431)
  | 'bad_request'
  | 'invalid_json'
  | 'validation_failed'
  | 'unknown_field'
  | 'unsupported_media_type'
  | 'body_too_large'
  | 'headers_too_large'
  | 'malformed_cookie'
  | 'malformed_header'
  // authentication (401)
  | 'unauthenticated'
  | 'invalid_session'
  | 'session_expired'
  | 'invalid_credentials'
  | 'invalid_token'
  | 'token_expired'
  | 'token_revoked'
  | 'refresh_token_invalid'
  | 'refresh_token_reused'
  | 'invalid_client'
  // authorisation (403)
  | 'csrf_rejected'
  | 'cross_site_request'
  | 'reauthentication_required'
  | 'account_disabled'
  // conflicts and limits
  | 'email_taken'
  | 'not_found'
  | 'method_not_allowed'
  | 'rate_limited'
  // server side
  | 'store_unavailable'
  | 'verifier_unavailable'
  | 'not_ready'
  | 'internal_error'
  | 'configuration_error';

/** One field-level problem in a request body (used by `validation_failed`). */
export interface FieldError {
  readonly field: string;
  readonly message: string;
}

/** Base class: a code, an HTTP status for the edge, and optional `cause` for chaining. */
export class TesseraError extends Error {
  readonly code: ErrorCode;
  readonly status: number;
  constructor(code: ErrorCode, status: number, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
    this.status = status;
    this.name = new.target.name;
  }
}

/** The request itself is malformed (shape, encoding, size, media type). */
export class BadRequestError extends TesseraError {
  readonly fieldErrors: readonly FieldError[];
  constructor(
    code: Extract<
      ErrorCode,
      | 'bad_request'
      | 'invalid_json'
      | 'validation_failed'
      | 'unknown_field'
      | 'malformed_cookie'
      | 'malformed_header'
    >,
    message: string,
    fieldErrors: readonly FieldError[] = [],
  ) {
    super(code, 400, message);
    this.fieldErrors = fieldErrors;
  }
}

/** The body is not a media type this endpoint accepts (415). */
export class UnsupportedMediaTypeError extends TesseraError {
  constructor(message = 'This endpoint accepts application/json only.') {
    super('unsupported_media_type', 415, message);
  }
}

/** The body exceeded the configured limit (413). */
export class BodyTooLargeError extends TesseraError {
  constructor(limitBytes: number) {
    super('body_too_large', 413, `The request body is larger than ${limitBytes} bytes.`);
  }
}

/** No valid credential was presented (401). The message never says which part was wrong. */
export class AuthenticationError extends TesseraError {
  constructor(
    code: Extract<
      ErrorCode,
      | 'unauthenticated'
      | 'invalid_session'
      | 'session_expired'
      | 'invalid_credentials'
      | 'invalid_token'
      | 'token_expired'
      | 'token_revoked'
      | 'refresh_token_invalid'
      | 'refresh_token_reused'
      | 'invalid_client'
    >,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(code, 401, message, options);
  }
}

/** The caller is known but may not do this (403). */
export class ForbiddenError extends TesseraError {
  constructor(
    code: Extract<
      ErrorCode,
      'csrf_rejected' | 'cross_site_request' | 'reauthentication_required' | 'account_disabled'
    >,
    message: string,
  ) {
    super(code, 403, message);
  }
}

/** The e-mail address is already registered (409). */
export class EmailTakenError extends TesseraError {
  constructor() {
    super('email_taken', 409, 'An account with this e-mail address already exists.');
  }
}

/** The addressed resource does not exist, or is not the caller's (404). */
export class NotFoundError extends TesseraError {
  constructor(message = 'Not found.') {
    super('not_found', 404, message);
  }
}

/** Too many attempts; `retryAfterSeconds` goes into the `Retry-After` header (429). */
export class RateLimitedError extends TesseraError {
  readonly retryAfterSeconds: number;
  constructor(retryAfterSeconds: number) {
    super('rate_limited', 429, 'Too many attempts. Try again later.');
    this.retryAfterSeconds = Math.max(1, Math.ceil(retryAfterSeconds));
  }
}

/**
 * A store could not be reached or failed. Requests that need the store fail closed with 503:
 * an unreachable store must never turn into "authenticated".
 */
export class StoreUnavailableError extends TesseraError {
  constructor(message = 'The session store is unavailable.', options?: { cause?: unknown }) {
    super('store_unavailable', 503, message, options);
  }
}

/**
 * A verifier cannot vouch for any token right now (not ready, closed, or its revocation feed
 * is stale). 503, not 401: the token may be fine, and a client that refreshed on a 401 would
 * only hammer an auth server that is already unreachable. Never a pass.
 */
export class VerifierUnavailableError extends TesseraError {
  constructor(message: string) {
    super('verifier_unavailable', 503, message);
  }
}

/** Start-up configuration is wrong; the message says how to fix it. */
export class ConfigurationError extends TesseraError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('configuration_error', 500, message, options);
  }
}

/** True when `value` is a TesseraError of this copy of Tessera. */
export function isTesseraError(value: unknown): value is TesseraError {
  return value instanceof TesseraError;
}
