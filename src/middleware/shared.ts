import type { AuthContext } from '../core/authenticate.js';
import { AuthenticationError } from '../core/errors.js';
import { type AuthRequest, type RequestHeaders, isSafeMethod, singleHeader } from '../core/request.js';
import type { Tessera } from '../core/tessera.js';
import type { AuthInfo, MiddlewareOptions } from './types.js';

/**
 * What every adapter shares, so each adapter only translates its framework's request and
 * response. No auth rule lives here: precedence and CSRF are decided by
 * `tessera.authenticator.authenticate` alone; this file adds "required means 401 when anonymous",
 * the mapping to `AuthInfo`, and where a form's `_csrf` field is found.
 */

/** Whether an anonymous request passes (`optional`) or gets 401 `unauthenticated` (`required`). */
export type AuthMode = 'required' | 'optional';

/** One configured middleware instance, independent of the framework. */
export interface AuthGuard {
  /** True when the CSRF check applies, i.e. a form's `_csrf` field may be needed. */
  readonly csrf: boolean;
  /** The caller, or null (optional mode only). Throws a TesseraError for a refused request. */
  authenticate(request: AuthRequest): Promise<AuthInfo | null>;
  /**
   * The same without waiting when memory alone can decide (a cached session, an already
   * verified token); `undefined` means "call authenticate". Adapters try this first so most
   * requests pass the middleware in the same tick.
   */
  authenticateNow(request: AuthRequest): AuthInfo | null | undefined;
}

const KNOWN_OPTIONS: ReadonlySet<string> = new Set<keyof MiddlewareOptions>(['csrf']);

/** Validates the options once, at creation, and builds the guard every request goes through. */
export function createAuthGuard(tessera: Tessera, options: MiddlewareOptions | undefined, mode: AuthMode): AuthGuard {
  const name = mode === 'required' ? 'requireAuth' : 'optionalAuth';
  // Fail at start-up, not on the first request: a typo such as `{ crsf: false }` must not
  // silently leave the default in place, and a missing instance must not become a 500 later.
  if (typeof tessera?.authenticator?.authenticate !== 'function') {
    throw new Error(`${name}(tessera, options): the first argument must be a Tessera instance (see createTessera).`);
  }
  if (options !== undefined && (options === null || typeof options !== 'object' || Array.isArray(options))) {
    throw new Error(`${name}(tessera, options): options must be an object such as { csrf: true }.`);
  }
  for (const key of Object.keys(options ?? {})) {
    if (!KNOWN_OPTIONS.has(key)) {
      throw new Error(`${name}(tessera, options): unknown option "${key}"; the only option is "csrf" (boolean).`);
    }
  }
  if (options?.csrf !== undefined && typeof options.csrf !== 'boolean') {
    throw new Error(`${name}(tessera, options): "csrf" must be true or false.`);
  }
  const csrf = options?.csrf ?? true;
  const authOptions = { csrf };
  const decide = (context: AuthContext | null): AuthInfo | null => {
    if (context) return toAuthInfo(context);
    if (mode === 'required') throw new AuthenticationError('unauthenticated', 'Sign in first.');
    return null;
  };
  return {
    csrf,
    async authenticate(request) {
      return decide(await tessera.authenticator.authenticate(request, authOptions));
    },
    authenticateNow(request) {
      const context = tessera.authenticator.authenticateNow(request, authOptions);
      return context === undefined ? undefined : decide(context);
    },
  };
}

/** The handler-facing copy of an auth context (no password hash, no secret hash). */
export function toAuthInfo(context: AuthContext): AuthInfo {
  const { user, session } = context;
  return {
    user: { id: user.id, email: user.email },
    session: { id: session.id, carrier: session.carrier, expiresAt: session.expiresAt },
    carrier: context.carrier,
    viaCookie: context.viaCookie,
  };
}

/** True when the body is an HTML form post (`application/x-www-form-urlencoded` or `multipart/form-data`). */
export function isFormPost(headers: RequestHeaders): boolean {
  const type = singleHeader(headers, 'content-type')?.split(';')[0]?.trim().toLowerCase();
  return type === 'application/x-www-form-urlencoded' || type === 'multipart/form-data';
}

/**
 * True when the request may need a form's `_csrf` field: an unsafe form post without an
 * `X-CSRF-Token` header. Only adapters that must parse the body themselves (Hono) ask, so a
 * GET, a JSON call or a large upload is never buffered just in case.
 */
export function mayNeedFormToken(guard: AuthGuard, method: string, headers: RequestHeaders): boolean {
  return guard.csrf && !isSafeMethod(method) && headers['x-csrf-token'] === undefined && isFormPost(headers);
}

/**
 * The `_csrf` field of an already-parsed form body, or undefined. Only a form post counts (DESIGN
 * §4: the field belongs to forms; other clients send the header). A repeated field arrives as
 * an array and is ignored, like a repeated header: an ambiguous token is no token. Own
 * properties only, so a polluted prototype can never supply one.
 */
export function readCsrfFormField(headers: RequestHeaders, body: unknown): string | undefined {
  if (!isFormPost(headers) || typeof body !== 'object' || body === null || !Object.hasOwn(body, '_csrf')) return undefined;
  const value: unknown = (body as Record<string, unknown>)._csrf;
  return typeof value === 'string' ? value : undefined;
}
