import { BadRequestError, type FieldError } from '../core/errors.js';

/**
 * Small, strict body validation: the body must be a JSON object, every field must be known and
 * of the right type, and values are never echoed back (they may be passwords).
 */

/** A field's expected type and whether it may be omitted. */
export type FieldSpec = { readonly type: 'string'; readonly optional?: boolean; readonly maxLength?: number };

/** Validates `body` against `spec` and returns it typed. */
export function parseBody<S extends Record<string, FieldSpec>>(
  body: unknown,
  spec: S,
): { [K in keyof S]: S[K]['optional'] extends true ? string | undefined : string } {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    throw new BadRequestError('validation_failed', 'The body must be a JSON object.');
  }
  const record = body as Record<string, unknown>;
  const unknown = Object.keys(record).filter((key) => !Object.hasOwn(spec, key));
  if (unknown.length > 0) {
    const names = unknown.slice(0, 5).map((name) => JSON.stringify(name.slice(0, 40)));
    throw new BadRequestError('unknown_field', `Unknown field${unknown.length > 1 ? 's' : ''}: ${names.join(', ')}.`,
      unknown.slice(0, 5).map((name) => ({ field: name.slice(0, 40), message: 'is not allowed' })));
  }
  const errors: FieldError[] = [];
  for (const [field, rule] of Object.entries(spec)) {
    const value = record[field];
    if (value === undefined) {
      if (!rule.optional) errors.push({ field, message: 'is required' });
      continue;
    }
    if (typeof value !== rule.type) errors.push({ field, message: `must be a ${rule.type}` });
    else if (rule.maxLength !== undefined && typeof value === 'string' && value.length > rule.maxLength) errors.push({ field, message: `must be at most ${rule.maxLength} characters` });
  }
  if (errors.length > 0) throw new BadRequestError('validation_failed', 'The request has invalid fields.', errors);
  return record as never;
}
