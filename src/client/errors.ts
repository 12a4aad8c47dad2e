import type { ResponseLike } from './dom-types.js';

/** A field-level problem (`validation_failed`). */
export interface ClientFieldError {
  readonly field: string;
  readonly message: string;
}

/**
 * A failed API call, carrying the problem document's stable `code` (docs/errors.md), e.g.
 * `invalid_credentials`, `email_taken`, `reauthentication_required`, `rate_limited`.
 */
export class TesseraClientError extends Error {
  readonly status: number;
  readonly code: string;
  readonly fieldErrors: readonly ClientFieldError[];
  /** Seconds to wait before retrying (429), when the server said. */
  readonly retryAfter: number | null;
  constructor(status: number, code: string, message: string, fieldErrors: readonly ClientFieldError[] = [], retryAfter: number | null = null) {
    super(message);
    this.name = 'TesseraClientError';
    this.status = status;
    this.code = code;
    this.fieldErrors = fieldErrors;
    this.retryAfter = retryAfter;
  }
}

/** Reads a problem+json body into an error (never throws: a non-JSON body gives `http_error`). */
export async function toClientError(response: ResponseLike): Promise<TesseraClientError> {
  const problem = await readJson(response.clone());
  const code = typeof problem?.code === 'string' ? problem.code : 'http_error';
  const detail = typeof problem?.detail === 'string' ? problem.detail : `HTTP ${response.status}`;
  const errors = Array.isArray(problem?.errors) ? (problem.errors as ClientFieldError[]) : [];
  const retryAfter = Number(response.headers.get('retry-after'));
  return new TesseraClientError(response.status, code, detail, errors, retryAfter > 0 ? retryAfter : null);
}

/** The JSON object of a body, or null. */
export async function readJson(response: ResponseLike): Promise<Record<string, unknown> | null> {
  try {
    const value = await response.json();
    return typeof value === 'object' && value !== null ? (value as Record<string, unknown>) : null;
  } catch {
    return null;
  }
}
