/**
 * The few browser shapes the client uses, declared structurally. The project compiles without
 * the DOM library and the SDK must not import Node, so these describe exactly what we call —
 * the real `fetch`, `Response`, `BroadcastChannel`, `navigator.locks` and `localStorage` fit
 * them, and tests pass small fakes.
 */

/** A header collection we can read (a `Headers` object). */
export interface HeadersLike {
  get(name: string): string | null;
  forEach(callback: (value: string, name: string) => void): void;
}

/** What `fetch` accepts as headers. */
export type HeadersInitLike = HeadersLike | ReadonlyArray<readonly [string, string]> | Readonly<Record<string, string>>;

/** The request options the client reads or sets; anything else is passed through untouched. */
export interface RequestInitLike {
  method?: string;
  headers?: HeadersInitLike;
  /** Must be re-sendable (a string, `FormData`, `Blob`…, not a stream): a 401 may be retried once. */
  body?: unknown;
  credentials?: 'omit' | 'same-origin' | 'include';
  signal?: unknown;
  mode?: string;
  cache?: string;
  redirect?: string;
  keepalive?: boolean;
}

/** The part of `Response` the client reads. */
export interface ResponseLike {
  readonly ok: boolean;
  readonly status: number;
  readonly headers: { get(name: string): string | null };
  json(): Promise<unknown>;
  clone(): ResponseLike;
}

/** A `fetch` function (declared as a method so the real, wider `fetch` is assignable). */
export type FetchLike = {
  fetch(input: string, init?: RequestInitLike): Promise<ResponseLike>;
}['fetch'];

/** A `BroadcastChannel`: same-origin messages between tabs. */
export interface BroadcastChannelLike {
  postMessage(message: unknown): void;
  addEventListener(type: 'message', listener: (event: { readonly data: unknown }) => void): void;
  removeEventListener(type: 'message', listener: (event: { readonly data: unknown }) => void): void;
  close(): void;
}

/** `navigator.locks` (Web Locks): an exclusive lock shared by every tab of the origin. */
export interface LockManagerLike {
  request<T>(name: string, callback: () => Promise<T>): Promise<T>;
}

/** `localStorage` or `sessionStorage`. */
export interface StorageLike {
  getItem(key: string): string | null;
  setItem(key: string, value: string): void;
  removeItem(key: string): void;
}

/** The globals the client looks for; each may be missing (old browsers, workers, tests). */
export interface BrowserGlobals {
  fetch?: FetchLike;
  BroadcastChannel?: new (name: string) => BroadcastChannelLike;
  navigator?: { locks?: LockManagerLike };
  localStorage?: StorageLike;
  location?: { readonly origin: string };
}

/** The global object, seen through the shapes above. */
export function browserGlobals(): BrowserGlobals {
  return globalThis as unknown as BrowserGlobals;
}
