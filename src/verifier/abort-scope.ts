/**
 * Aborting fetches so that the abort really lands. Node's fetch (undici) follows a caller's
 * AbortSignal through weak references, and `AbortSignal.any`/`AbortSignal.timeout` signals can
 * be garbage-collected, so after a GC an abort may never reach a pending request or a streaming
 * body (nodejs/undici#3644, nodejs/undici#4068, nodejs/node#55428). For a verifier that would
 * mean a close() that never finishes, a JWKS refresh stuck in flight forever (and every later
 * refresh joining it), or a silent feed the watchdog cannot drop.
 *
 * So every request gets a scope: a strongly held AbortController linked to the verifier's
 * lifetime and to an optional timer, and the scope settles the request itself — it races the
 * fetch promise and cancels the body reader — instead of trusting the signal to propagate.
 */

/** One request's abort scope. */
export interface AbortScope {
  readonly signal: AbortSignal;
  abort(reason: Error): void;
  /** Runs `listener` on abort (at once when already aborted). */
  onAbort(listener: () => void): void;
  /** Throws the abort reason when aborted. */
  throwIfAborted(): void;
  /** Stops the timeout (a stream that connected lives on; the parent link stays). */
  cancelTimer(): void;
  /** Unlinks from the parent and clears the timer; call when the request is over. */
  dispose(): void;
}

/** Creates a scope aborted with `parent`, or after `timeoutMs` (null: no timer). */
export function createAbortScope(parent: AbortSignal, timeoutMs: number | null, timeoutMessage = 'The request timed out.'): AbortScope {
  const controller = new AbortController();
  const fromParent = (): void => controller.abort(parent.reason);
  if (parent.aborted) fromParent();
  else parent.addEventListener('abort', fromParent, { once: true });
  let timer: NodeJS.Timeout | null = null;
  if (timeoutMs !== null) {
    timer = setTimeout(() => controller.abort(new Error(timeoutMessage)), timeoutMs);
    timer.unref();
  }
  const scope: AbortScope = {
    signal: controller.signal,
    abort: (reason) => controller.abort(reason),
    onAbort(listener) {
      if (controller.signal.aborted) listener();
      else controller.signal.addEventListener('abort', listener, { once: true });
    },
    throwIfAborted() {
      if (controller.signal.aborted) throw toError(controller.signal.reason);
    },
    cancelTimer() {
      if (timer !== null) clearTimeout(timer);
      timer = null;
    },
    dispose() {
      parent.removeEventListener('abort', fromParent);
      scope.cancelTimer();
    },
  };
  return scope;
}

function toError(value: unknown): Error {
  return value instanceof Error ? value : new Error(String(value));
}

/** fetch() that rejects as soon as `scope` aborts, even if the abort never reaches undici. */
export function abortableFetch(
  fetchImpl: typeof fetch,
  url: string,
  init: RequestInit,
  scope: AbortScope,
): Promise<Response> {
  const request = fetchImpl(url, { ...init, signal: scope.signal });
  return new Promise<Response>((resolve, reject) => {
    let settled = false;
    scope.onAbort(() => {
      if (settled) return;
      settled = true;
      reject(toError(scope.signal.reason));
      // If the response still arrives, release its connection instead of leaking it.
      request.then((response) => response.body?.cancel().catch(() => undefined), () => undefined);
    });
    request.then(
      (response) => {
        if (settled) return;
        settled = true;
        resolve(response);
      },
      (error: unknown) => {
        if (settled) return;
        settled = true;
        reject(toError(error));
      },
    );
  });
}

/** A reader of `body` that the scope cancels on abort; read() then reports done. */
export function scopedReader(body: ReadableStream<Uint8Array>, scope: AbortScope): ReadableStreamDefaultReader<Uint8Array> {
  const reader = body.getReader();
  // Cancelling resolves a pending read() with done: callers check the scope afterwards, so a
  // cut-off body is never mistaken for a complete one.
  scope.onAbort(() => void reader.cancel(scope.signal.reason).catch(() => undefined));
  return reader;
}
