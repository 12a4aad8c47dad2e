/**
 * The verifier's end of Tessera's SSE revocation feed (`GET /auth/revocations`): a snapshot,
 * then one `revocation` event per entry and a `heartbeat` every few seconds. It keeps a
 * RevocationSet current so verification never makes a network call (DESIGN §2 "Revocation").
 *
 * The security property is freshness, not connectivity: `lastEventAt` only moves when an event
 * arrives on a connection that has delivered its snapshot, because only then does the set
 * reflect every revocation the server had published by that moment. A silent connection (a
 * half-open TCP socket, a stuck proxy) is indistinguishable from a quiet one except by the
 * heartbeat, so a watchdog drops any connection that stays silent and the verifier fails closed
 * once the set is older than its staleness bound.
 */
import type { Clock } from '../core/clock.js';
import { checkRevocation } from '../core/revocation-codec.js';
import type { Revocation } from '../core/model.js';
import type { RevocationSet } from '../core/tokens/revocation-set.js';
import { abortableFetch, createAbortScope, scopedReader } from './abort-scope.js';
import type { AbortScope } from './abort-scope.js';
import { backoffDelay, sleep } from './backoff.js';
import { createSseParser } from './sse-parser.js';
import type { SseEvent } from './sse-parser.js';

/** A snapshot of many revocations is one event; 32 Mi characters bounds it generously. */
const MAX_EVENT_CHARS = 32 * 1024 * 1024;

/** Options of startRevocationFeed. */
export interface RevocationFeedOptions {
  readonly url: string;
  /** The `Authorization` header value (HTTP Basic with the client credentials). */
  readonly authorization: string;
  readonly set: RevocationSet;
  readonly fetch: typeof fetch;
  readonly clock: Clock;
  readonly staleAfterMs: number;
  /** How long a connection attempt may take to answer with headers. */
  readonly connectTimeoutMs: number;
  /** Aborts everything when the verifier closes. */
  readonly signal: AbortSignal;
  /** Called after each applied snapshot (the first one makes the verifier ready). */
  readonly onSnapshot: () => void;
  readonly onError: (error: Error) => void;
}

/** The running feed client. */
export interface RevocationFeedClient {
  /** When the last event arrived on a connection that had delivered its snapshot. */
  readonly lastEventAt: number | null;
  /** True while a connection is open and has delivered its snapshot. */
  readonly live: boolean;
  /** Resolves when the client has stopped (after the signal aborts). */
  readonly done: Promise<void>;
}

function parseJson(data: string, what: string): unknown {
  try {
    return JSON.parse(data);
  } catch (error) {
    throw new Error(`The revocation feed sent a ${what} that is not JSON.`, { cause: error });
  }
}

function toError(value: unknown): Error {
  return value instanceof Error ? value : new Error(String(value));
}

/** Starts connecting at once and keeps reconnecting until `signal` aborts. */
export function startRevocationFeed(options: RevocationFeedOptions): RevocationFeedClient {
  const { url, authorization, set, clock, staleAfterMs, connectTimeoutMs, signal } = options;
  const fetchImpl = options.fetch;
  let lastEventAt: number | null = null;
  let live = false;
  let connection: AbortScope | null = null;
  let connectionActivityAt = 0;

  // The watchdog runs on a real timer but judges silence by the injected clock, like verify().
  const watchdog = setInterval(
    () => {
      if (connection !== null && clock.now() - connectionActivityAt > staleAfterMs) {
        connection.abort(new Error('The revocation feed went silent.'));
      }
    },
    Math.max(25, Math.min(1_000, staleAfterMs / 4)),
  );
  watchdog.unref();

  function handleEvent(event: SseEvent, state: { snapshot: boolean }): void {
    connectionActivityAt = clock.now();
    if (event.type === 'snapshot') {
      const body = parseJson(event.data, 'snapshot');
      const list = (body as { revocations?: unknown } | null)?.revocations;
      if (!Array.isArray(list)) throw new Error('The revocation snapshot has no `revocations` array.');
      const entries: Revocation[] = [];
      for (const item of list) {
        const entry = checkRevocation(item);
        // An entry we cannot read might be the one that revokes a token: drop the connection
        // (and so, eventually, fail closed) rather than run on a set with a hole in it.
        if (entry === null) throw new Error('The revocation snapshot has a malformed entry.');
        entries.push(entry);
      }
      // The snapshot replaces the set: it is the whole truth as of now, including everything
      // published while this verifier was disconnected.
      set.applySnapshot(entries);
      state.snapshot = true;
      live = true;
      lastEventAt = clock.now();
      options.onSnapshot();
      return;
    }
    if (event.type === 'revocation') {
      if (!state.snapshot) throw new Error('The revocation feed sent an entry before its snapshot.');
      const entry = checkRevocation(parseJson(event.data, 'revocation'));
      if (entry === null) throw new Error('The revocation feed sent a malformed entry.');
      set.apply(entry);
      lastEventAt = clock.now();
      return;
    }
    if (event.type === 'heartbeat' && state.snapshot) {
      lastEventAt = clock.now();
    }
    // Other event types are ignored: they keep the connection alive but prove nothing about
    // the set's freshness that a heartbeat would not.
  }

  async function connectOnce(): Promise<boolean> {
    const state = { snapshot: false };
    const scope = createAbortScope(signal, connectTimeoutMs, 'The revocation feed did not answer in time.');
    try {
      const response = await abortableFetch(
        fetchImpl,
        url,
        {
          headers: { authorization, accept: 'text/event-stream', 'cache-control': 'no-store' },
          // The request carries client credentials: never replay them to wherever a redirect says.
          redirect: 'error',
        },
        scope,
      );
      const contentType = response.headers.get('content-type') ?? '';
      if (!response.ok || !contentType.toLowerCase().startsWith('text/event-stream') || response.body === null) {
        await response.body?.cancel().catch(() => undefined);
        throw new Error(`The revocation feed answered HTTP ${response.status} (${contentType || 'no content type'}).`);
      }
      // Connected: from here the watchdog, not the connect timeout, decides when to give up.
      scope.cancelTimer();
      connection = scope;
      connectionActivityAt = clock.now();
      const parser = createSseParser((event) => handleEvent(event, state), MAX_EVENT_CHARS);
      const decoder = new TextDecoder('utf-8');
      const reader = scopedReader(response.body, scope);
      try {
        for (;;) {
          const { done, value } = await reader.read();
          if (done) break;
          parser.push(decoder.decode(value, { stream: true }));
        }
      } finally {
        await reader.cancel().catch(() => undefined);
      }
      scope.throwIfAborted();
      throw new Error('The revocation feed closed the connection.');
    } catch (error) {
      if (!signal.aborted) options.onError(toError(error));
    } finally {
      connection = null;
      live = false;
      // Releases the socket whatever ended the connection, then unlinks from the lifetime.
      scope.abort(new Error('The revocation feed connection ended.'));
      scope.dispose();
    }
    return state.snapshot;
  }

  async function run(): Promise<void> {
    let attempt = 0;
    try {
      while (!signal.aborted) {
        const gotSnapshot = await connectOnce();
        if (signal.aborted) break;
        // A connection that delivered a snapshot was healthy: start the backoff over.
        if (gotSnapshot) attempt = 0;
        await sleep(backoffDelay(attempt), signal);
        attempt++;
      }
    } finally {
      clearInterval(watchdog);
    }
  }

  const done = run();
  return {
    get lastEventAt() {
      return lastEventAt;
    },
    get live() {
      return live;
    },
    done,
  };
}
