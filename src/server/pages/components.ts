import { BadRequestError, RateLimitedError, TesseraError } from '../../core/errors.js';
import { type SafeHtml, html } from './html.js';

/**
 * Form pieces shared by the pages: labelled fields wired to their errors, the error summary,
 * the success message and the CSRF field. Accessibility follows the GOV.UK pattern: a summary
 * with role="alert" linking to each field, and each field naming its error in
 * aria-describedby, with aria-invalid set.
 */

/** One problem shown on a form; `fieldId` links the summary entry to its input. */
export interface PageError {
  readonly message: string;
  readonly fieldId?: string;
}

/** One input. */
export interface FieldOptions {
  readonly id: string;
  readonly name: string;
  readonly label: string;
  readonly type: 'email' | 'password' | 'text';
  readonly autocomplete: string;
  readonly value?: string;
  readonly hint?: string;
  readonly errors?: readonly PageError[];
}

/** A labelled input with its hint and error. */
export function field(options: FieldOptions): SafeHtml {
  const { id } = options;
  const error = options.errors?.find((e) => e.fieldId === id);
  const describedBy = [options.hint ? `${id}-hint` : '', error ? `${id}-error` : ''].filter(Boolean).join(' ');
  return html`<div class="field">
<label for="${id}">${options.label}</label>
${options.hint ? html`<span class="hint" id="${id}-hint">${options.hint}</span>` : ''}
${error ? html`<p class="field-error" id="${id}-error"><span class="visually-hidden">Error: </span>${error.message}</p>` : ''}
<input id="${id}" name="${options.name}" type="${options.type}" autocomplete="${options.autocomplete}" required${
    options.value !== undefined ? html` value="${options.value}"` : ''
  }${error ? html` aria-invalid="true"` : ''}${describedBy ? html` aria-describedby="${describedBy}"` : ''}>
</div>`;
}

/** The error summary at the top of a page (nothing when there are no errors). */
export function errorSummary(errors: readonly PageError[]): SafeHtml {
  if (errors.length === 0) return html``;
  return html`<div class="error-summary" role="alert" aria-labelledby="error-summary-title" tabindex="-1" id="error-summary">
<h2 id="error-summary-title">There is a problem</h2>
<ul>${errors.map((e) => html`<li>${e.fieldId ? html`<a href="#${e.fieldId}">${e.message}</a>` : e.message}</li>`)}</ul>
</div>`;
}

/**
 * Success messages, chosen by a fixed code in the query (`?done=password-changed`). Only known
 * codes render, so a crafted link cannot put arbitrary text on the page.
 */
const DONE: Readonly<Record<string, string>> = {
  registered: 'Your account is ready and you are signed in.',
  'signed-in': 'You are signed in.',
  'password-changed': 'Your password was changed. Every other device was signed out.',
  'session-revoked': 'That device was signed out.',
  'signed-out': 'You are signed out.',
  'signed-out-everywhere': 'You are signed out on every device.',
};

/** The success message for a `done` code, if any. */
export function flash(done: unknown): SafeHtml {
  const text = typeof done === 'string' && Object.hasOwn(DONE, done) ? DONE[done] : undefined;
  return text ? html`<p class="flash" role="status">${text}</p>` : html``;
}

/** True for a known `done` code. */
export function isDoneCode(code: string): boolean {
  return Object.hasOwn(DONE, code);
}

/** The hidden CSRF field every account form carries (DESIGN §4: `_csrf` of a form post). */
export function csrfField(token: string): SafeHtml {
  return html`<input type="hidden" name="_csrf" value="${token}">`;
}

/** Codes a form shows to the user instead of an error page. */
const FORM_CODES = new Set(['validation_failed', 'invalid_credentials', 'email_taken', 'rate_limited', 'account_disabled']);

/**
 * The errors a form shows for a failure of the core, or null when the failure is not about the
 * form (it then goes to the error page). `fields` maps body field names to input ids and labels;
 * `credentialFieldId` is where a wrong password or e-mail is reported.
 */
export function toPageErrors(
  error: unknown,
  fields: Readonly<Record<string, { readonly id: string; readonly label: string }>>,
  credentialFieldId: string,
): PageError[] | null {
  if (!(error instanceof TesseraError) || !FORM_CODES.has(error.code)) return null;
  if (error instanceof BadRequestError && error.fieldErrors.length > 0) {
    return error.fieldErrors.map((fieldError) => {
      const target = fields[fieldError.field];
      return target ? { message: `${target.label} ${fieldError.message}.`, fieldId: target.id } : { message: `${fieldError.message}.` };
    });
  }
  if (error instanceof RateLimitedError) {
    const minutes = Math.ceil(error.retryAfterSeconds / 60);
    return [{ message: `Too many attempts. Try again in ${minutes} minute${minutes === 1 ? '' : 's'}.` }];
  }
  if (error.code === 'email_taken') return [{ message: error.message, fieldId: fields.email?.id ?? credentialFieldId }];
  return [{ message: error.message, fieldId: credentialFieldId }];
}
