import { DatabaseError } from 'pg';
import { StoreUnavailableError, TesseraError } from '../../core/errors.js';

/**
 * SQLSTATE classes (first two characters) and codes that mean "the server cannot serve us right
 * now" rather than "this statement is wrong": connection exceptions (08), insufficient resources
 * (53), operator intervention (57: admin shutdown, statement_timeout's query_canceled, cannot
 * connect now), system errors (58), failed authorisation (28), a missing database (3D),
 * transient rollbacks (40: serialization failure, deadlock), lock/object in use (55), a
 * read-only standby after a failover (25006) and internal errors (XX).
 */
const UNAVAILABLE_CLASSES: ReadonlySet<string> = new Set(['08', '53', '57', '58', '28', '3D', '40', '55', 'XX']);
const UNAVAILABLE_CODES: ReadonlySet<string> = new Set(['25006']);

/**
 * The one message we use. It never names the host, user or database (a URL can carry a password
 * and the rest is reconnaissance), nor any SQL value; the `cause` keeps the driver's error for
 * operators, and pg's own connection errors name neither the password nor query values.
 */
const UNAVAILABLE_MESSAGE = 'The PostgreSQL store is unavailable.';

/**
 * True when `error` means the server could not be reached or could not serve the statement.
 * pg reports connection-level failures (refused, reset, "Connection terminated", connect and
 * read timeouts, an ended pool) as plain `Error`s with assorted messages, so anything that is
 * neither a server-reported `DatabaseError` nor a JavaScript programming error counts as
 * unavailability: failing closed with 503 is the safe reading of an unknown failure.
 */
export function isUnavailablePgError(error: unknown): boolean {
  if (!(error instanceof Error)) return false;
  if (error instanceof DatabaseError) {
    const code = error.code ?? '';
    return UNAVAILABLE_CODES.has(code) || UNAVAILABLE_CLASSES.has(code.slice(0, 2));
  }
  return !(
    error instanceof TypeError ||
    error instanceof RangeError ||
    error instanceof SyntaxError ||
    error instanceof ReferenceError
  );
}

/** Wraps `cause` in a `StoreUnavailableError` with the generic message. */
export function storeUnavailable(cause: unknown): StoreUnavailableError {
  return new StoreUnavailableError(UNAVAILABLE_MESSAGE, { cause });
}

/**
 * Maps an error from the driver: Tessera's own errors pass through, anything after `close()` or
 * meaning unavailability becomes `StoreUnavailableError` (callers fail closed with 503), and the
 * rest — a constraint violation, a bad parameter — is a programming error, rethrown untouched.
 */
export function mapPgError(error: unknown, closed: boolean): unknown {
  if (error instanceof TesseraError) return error;
  if (closed || isUnavailablePgError(error)) return storeUnavailable(error);
  return error;
}

/**
 * Returns `url` with any password replaced by `***`, for log lines and error messages. Text that
 * does not parse as a URL is replaced entirely: it may still contain a password.
 */
export function redactPostgresUrl(url: string): string {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return '[unparseable URL]';
  }
  if (parsed.password !== '') parsed.password = '***';
  // A password can also travel as a query parameter (libpq's `?password=`).
  if (parsed.searchParams.has('password')) parsed.searchParams.set('password', '***');
  return parsed.toString();
}
