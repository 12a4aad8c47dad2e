/**
 * The small request shape the core judges. Every adapter (Fastify, node:http, Express, Hono,
 * the forward-auth endpoint) turns its framework's request into this.
 */
export type HeaderValue = string | readonly string[] | undefined;

/** Headers with lower-case names, as Node gives them. */
export type RequestHeaders = Readonly<Record<string, HeaderValue>>;

/** What the core needs to know about a request. */
export interface AuthRequest {
  readonly method: string;
  readonly headers: RequestHeaders;
  /** Client IP as the edge determined it (proxy-aware only when configured). */
  readonly ip: string | null;
  /** A `_csrf` form field the adapter already parsed, if any. */
  readonly csrfFormField?: string | undefined;
}

/** Methods that must never change state, so they need no CSRF token. */
export function isSafeMethod(method: string): boolean {
  return method === 'GET' || method === 'HEAD' || method === 'OPTIONS';
}

/** One header value; null when absent, and null when repeated (an ambiguous header is no signal). */
export function singleHeader(headers: RequestHeaders, name: string): string | null {
  const value = headers[name];
  if (value === undefined) return null;
  if (typeof value === 'string') return value;
  return value.length === 1 ? (value[0] ?? null) : null;
}
