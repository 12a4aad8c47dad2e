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

/**
 * Node keeps only the first of several `Authorization` headers. Two credentials in one request
 * are ambiguous, and "first one wins" would let a proxy and a client disagree about who the
 * caller is, so a repeated header is handed on as a list, which the authenticator refuses
 * (H-01). `rawHeaders` is Node's flat name/value list of the same request (absent on a
 * hand-made request object, which then has only `headers` to go by). The usual request (no or
 * one Authorization header) gets `headers` itself back, with no copy.
 */
export function withRepeatedAuthorization(headers: RequestHeaders, rawHeaders: readonly string[] | undefined): RequestHeaders {
  if (rawHeaders === undefined) return headers;
  let count = 0;
  for (let i = 0; i < rawHeaders.length; i += 2) if ((rawHeaders[i] as string).length === 13 && (rawHeaders[i] as string).toLowerCase() === 'authorization') count++;
  if (count < 2) return headers;
  const values = rawHeaders.filter((_, i) => i % 2 === 1 && (rawHeaders[i - 1] as string).toLowerCase() === 'authorization');
  return { ...headers, authorization: values };
}
