import { type HeadersInitLike, type HeadersLike, type StorageLike, browserGlobals } from './dom-types.js';

/** Small helpers of the client that need no state. */

/** `localStorage`, or null where reading it throws (sandboxed frames, blocked storage). */
export function defaultStorage(): StorageLike | null {
  try {
    return browserGlobals().localStorage ?? null;
  } catch {
    return null;
  }
}

/** The origin of an absolute URL (or of `url` resolved against `relativeTo`); '' when unparsable. */
export function originOf(url: string, relativeTo?: string): string {
  try {
    return new URL(url, relativeTo).origin;
  } catch {
    return '';
  }
}

/** Headers of any `fetch` form, as a record with lower-case names. */
export function toHeaderRecord(init: HeadersInitLike | undefined): Record<string, string> {
  const record: Record<string, string> = {};
  if (!init) return record;
  const add = (value: string, name: string): void => void (record[name.toLowerCase()] = value);
  if (isPairs(init)) for (const [name, value] of init) add(value, name);
  else if (isHeaders(init)) init.forEach(add);
  else for (const [name, value] of Object.entries(init)) add(value, name);
  return record;
}

function isPairs(init: HeadersInitLike): init is ReadonlyArray<readonly [string, string]> {
  return Array.isArray(init);
}

function isHeaders(init: HeadersInitLike): init is HeadersLike {
  return typeof (init as Partial<HeadersLike>).forEach === 'function';
}
