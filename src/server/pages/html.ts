/**
 * A tiny `html` tagged template that escapes every interpolated value. Markup can only come
 * from template literals written in this code base (or from another `html` result), so a user
 * agent string, an e-mail address or an error message can never become markup (XSS).
 */

const RAW = Symbol('tessera.html');

/** Markup that is already safe (the result of `html`). */
export interface SafeHtml {
  readonly [RAW]: string;
}

/** What may be interpolated: text (escaped), markup from `html`, lists of either, or nothing. */
export type HtmlValue = SafeHtml | string | number | boolean | null | undefined | readonly HtmlValue[];

const ESCAPES: Readonly<Record<string, string>> = {
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
  '"': '&quot;',
  "'": '&#39;',
  '`': '&#96;',
};

/** Escapes text for an element body or a quoted attribute value. */
export function escapeHtml(text: string): string {
  return text.replace(/[&<>"'`]/g, (char) => ESCAPES[char] as string);
}

function isSafe(value: unknown): value is SafeHtml {
  return typeof value === 'object' && value !== null && RAW in value;
}

function render(value: HtmlValue): string {
  if (value === null || value === undefined || value === false) return '';
  if (isSafe(value)) return value[RAW];
  if (Array.isArray(value)) return value.map((item: HtmlValue) => render(item)).join('');
  return escapeHtml(String(value));
}

/** Builds markup; every `${value}` is escaped unless it is itself `html` output. */
export function html(strings: TemplateStringsArray, ...values: readonly HtmlValue[]): SafeHtml {
  let out = strings[0] ?? '';
  for (let i = 0; i < values.length; i++) out += render(values[i]) + (strings[i + 1] ?? '');
  return { [RAW]: out };
}

/** The markup as a string (for the HTTP response). */
export function toHtmlString(markup: SafeHtml): string {
  return markup[RAW];
}
