/**
 * Argument checks shared by every store implementation, for inputs whose mistakes would fail
 * open (a negative SQL LIMIT means "everything"; a zero window never limits anything).
 */

/** Throws RangeError unless `limit` and `offset` are non-negative safe integers. */
export function assertPage(limit: number, offset: number): void {
  if (!Number.isSafeInteger(limit) || limit < 0 || !Number.isSafeInteger(offset) || offset < 0) {
    throw new RangeError('limit and offset must be non-negative integers.');
  }
}

/** Throws RangeError unless `windowMs` is a positive safe integer. */
export function assertWindow(windowMs: number): void {
  if (!Number.isSafeInteger(windowMs) || windowMs <= 0) {
    throw new RangeError('windowMs must be a positive integer.');
  }
}

/**
 * Throws RangeError unless `idleTimeoutMs` is a positive safe integer: NaN or Infinity would
 * make a session immune to idle expiry.
 */
export function assertIdleTimeout(idleTimeoutMs: number): void {
  if (!Number.isSafeInteger(idleTimeoutMs) || idleTimeoutMs <= 0) {
    throw new RangeError('idleTimeoutMs must be a positive integer.');
  }
}
