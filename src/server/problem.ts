import type { FastifyReply } from 'fastify';
import { type ErrorCode, type FieldError, BadRequestError, RateLimitedError, TesseraError } from '../core/errors.js';

/**
 * RFC 9457 problem details. Every error leaves the server through here: a stable `code`, a
 * generic `detail`, never a stack trace, a token, a password or a store credential.
 */

/** The problem document. */
export interface Problem {
  readonly type: string;
  readonly title: string;
  readonly status: number;
  readonly code: ErrorCode;
  readonly detail: string;
  readonly errors?: readonly FieldError[];
}

const TITLES: Readonly<Record<number, string>> = {
  400: 'Bad Request',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'Not Found',
  405: 'Method Not Allowed',
  409: 'Conflict',
  413: 'Content Too Large',
  415: 'Unsupported Media Type',
  429: 'Too Many Requests',
  431: 'Request Header Fields Too Large',
  500: 'Internal Server Error',
  503: 'Service Unavailable',
};

/** The problem `type` URI for a code (documented in docs/errors.md). */
export function problemType(code: ErrorCode): string {
  return `urn:tessera:error:${code}`;
}

/** Builds the problem document for a status and code. */
export function createProblem(status: number, code: ErrorCode, detail: string, errors?: readonly FieldError[]): Problem {
  const problem: Problem = { type: problemType(code), title: TITLES[status] ?? 'Error', status, code, detail };
  return errors && errors.length > 0 ? { ...problem, errors } : problem;
}

/** Fastify's own request errors, mapped to our codes (they carry no secrets, but we still use our words). */
const FRAMEWORK_ERRORS: Readonly<Record<string, [number, ErrorCode, string]>> = {
  FST_ERR_CTP_INVALID_MEDIA_TYPE: [415, 'unsupported_media_type', 'This endpoint accepts application/json only.'],
  FST_ERR_CTP_INVALID_TYPE: [415, 'unsupported_media_type', 'The Content-Type header is invalid.'],
  FST_ERR_CTP_BODY_TOO_LARGE: [413, 'body_too_large', 'The request body is too large.'],
  FST_ERR_CTP_EMPTY_JSON_BODY: [400, 'invalid_json', 'The JSON body is empty.'],
  FST_ERR_CTP_INVALID_JSON_BODY: [400, 'invalid_json', 'The body is not valid JSON.'],
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: [400, 'bad_request', 'Content-Length does not match the body.'],
  FST_ERR_BAD_URL: [400, 'bad_request', 'The URL is malformed.'],
  FST_ERR_MAX_PARAM_LENGTH: [400, 'bad_request', 'A path parameter is too long.'],
  FST_ERR_ASYNC_CONSTRAINT: [400, 'bad_request', 'The request is malformed.'],
};

/** Maps any thrown value to a problem; unknown errors become a generic 500. */
export function toProblem(error: unknown): Problem {
  if (error instanceof TesseraError) {
    const fieldErrors = error instanceof BadRequestError ? error.fieldErrors : undefined;
    const detail = error.status >= 500 && error.code !== 'store_unavailable' ? 'Internal error.' : error.message;
    return createProblem(error.status, error.code, detail, fieldErrors);
  }
  const candidate = error as { code?: unknown; statusCode?: unknown; name?: unknown };
  if (typeof candidate.code === 'string' && candidate.code in FRAMEWORK_ERRORS) {
    const [status, code, detail] = FRAMEWORK_ERRORS[candidate.code] as [number, ErrorCode, string];
    return createProblem(status, code, detail);
  }
  if (typeof candidate.statusCode === 'number' && candidate.statusCode >= 400 && candidate.statusCode < 500) {
    // Body parsers throw SyntaxError (bad JSON) or prototype-poisoning errors with a 400.
    const isJson = candidate.name === 'SyntaxError' || /proto|constructor|JSON/i.test(String((error as Error).message));
    return isJson
      ? createProblem(400, 'invalid_json', 'The body is not valid JSON.')
      : createProblem(candidate.statusCode, 'bad_request', 'The request is malformed.');
  }
  return createProblem(500, 'internal_error', 'Internal error.');
}

/**
 * The headers of a problem response, shared by the server and the middleware so a route behind
 * the middleware answers exactly like Tessera's own. `clearSessionCookie` is the Set-Cookie that
 * deletes the session cookie: sent on `invalid_session` so the browser stops sending a dead one.
 */
export function problemHeaders(problem: Problem, error: unknown, clearSessionCookie?: string): Record<string, string> {
  // The answer depends on the credential, so no cache may keep it.
  const headers: Record<string, string> = {
    'content-type': 'application/problem+json; charset=utf-8',
    'cache-control': 'no-store',
  };
  if (error instanceof RateLimitedError) headers['retry-after'] = String(error.retryAfterSeconds);
  if (problem.status === 401) headers['www-authenticate'] = 'Bearer realm="tessera", Cookie';
  if (problem.code === 'invalid_session' && clearSessionCookie) headers['set-cookie'] = clearSessionCookie;
  return headers;
}

/** Sends a problem with the right media type and headers. */
export function sendProblem(reply: FastifyReply, problem: Problem, error?: unknown, clearSessionCookie?: string): FastifyReply {
  return reply.code(problem.status).headers(problemHeaders(problem, error, clearSessionCookie)).send(JSON.stringify(problem));
}

/** The raw HTTP/1.1 response for errors Node raises before a request exists (bad headers, oversized headers). */
export function rawProblemResponse(status: 400 | 408 | 431, code: ErrorCode, detail: string): string {
  const body = JSON.stringify(createProblem(status, code, detail));
  return (
    `HTTP/1.1 ${status} ${TITLES[status] ?? 'Error'}\r\n` +
    'Content-Type: application/problem+json; charset=utf-8\r\n' +
    'Cache-Control: no-store\r\n' +
    `Content-Length: ${Buffer.byteLength(body)}\r\n` +
    'Connection: close\r\n\r\n' +
    body
  );
}
