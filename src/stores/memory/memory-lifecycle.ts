import { StoreUnavailableError } from '../../core/errors.js';

/** Shared open/closed state of one set of memory stores. */
export interface MemoryLifecycle {
  /** Throws `StoreUnavailableError` once the stores are closed, like a real store would. */
  assertOpen(): void;
  close(): void;
}

/**
 * Creates the lifecycle. A closed memory store fails like an unreachable database, so tests
 * against it exercise the same fail-closed paths as production stores.
 */
export function createMemoryLifecycle(): MemoryLifecycle {
  let open = true;
  return {
    assertOpen(): void {
      if (!open) throw new StoreUnavailableError('The memory store is closed.');
    },
    close(): void {
      open = false;
    },
  };
}
