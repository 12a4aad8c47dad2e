import type { FastifyInstance, FastifyRequest } from 'fastify';
import { BadRequestError } from '../../core/errors.js';

/**
 * Form bodies for the hosted pages only. The parser is added inside the pages' own Fastify
 * scope after every inherited parser is removed, so (1) page routes accept
 * `application/x-www-form-urlencoded` and nothing else, and (2) the JSON API, registered
 * outside this scope, never accepts a form — a cross-site HTML form can send one without a
 * CORS preflight, so it must never reach the API (X-07).
 */

/** A parsed form: one value per field name. */
export type FormFields = ReadonlyMap<string, string>;

const FORM_TYPE = 'application/x-www-form-urlencoded';

/** Makes `scope` accept url-encoded forms (and only them). */
export function useFormParser(scope: FastifyInstance, bodyLimit: number): void {
  scope.removeAllContentTypeParsers();
  scope.addContentTypeParser(FORM_TYPE, { parseAs: 'string', bodyLimit }, (_request, body, done) => {
    try {
      done(null, parseForm(String(body)));
    } catch (error) {
      done(error as Error, undefined);
    }
  });
}

/** Parses a url-encoded body; a repeated field is refused (which value would win is ambiguous). */
export function parseForm(body: string): FormFields {
  const fields = new Map<string, string>();
  for (const [name, value] of new URLSearchParams(body)) {
    if (fields.has(name)) throw new BadRequestError('bad_request', 'A form field was sent twice.');
    fields.set(name, value);
  }
  return fields;
}

/** The request's form (empty when the request had no body). */
export function formOf(request: FastifyRequest): FormFields {
  return request.body instanceof Map ? (request.body as FormFields) : new Map();
}

/** A text field ('' when missing); longer than `maxLength` is a validation error on that field. */
export function textField(form: FormFields, name: string, maxLength: number): string {
  const value = form.get(name) ?? '';
  if (value.length > maxLength) {
    throw new BadRequestError('validation_failed', 'The request has invalid fields.', [{ field: name, message: `must be at most ${maxLength} characters` }]);
  }
  return value;
}

/** One query-string parameter as a string (repeated or missing: undefined). */
export function queryParam(request: FastifyRequest, name: string): string | undefined {
  const query = request.query as Record<string, unknown> | undefined;
  const value = query?.[name];
  return typeof value === 'string' ? value : undefined;
}

/**
 * A `next` target, restricted to a same-origin path (no open redirect): it must start with one
 * `/`, and must still be on our origin once a browser resolves it — `//evil.example`,
 * `/\evil.example` and control characters are refused.
 */
export function safeNextPath(value: string | undefined): string | null {
  if (value === undefined || value.length === 0 || value.length > 512) return null;
  // eslint-disable-next-line no-control-regex
  if (!value.startsWith('/') || /[\\\u0000-\u001f\u007f]/.test(value) || value.startsWith('//')) return null;
  const base = 'http://tessera.invalid';
  try {
    const url = new URL(value, base);
    return url.origin === base ? url.pathname + url.search + url.hash : null;
  } catch {
    return null;
  }
}
