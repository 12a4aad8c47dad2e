import { subscribe, unsubscribe } from 'node:diagnostics_channel';
import type { IncomingMessage, Server } from 'node:http';
import { performance } from 'node:perf_hooks';
import type { HistogramSeries, LabelledHistogram } from './metrics.js';

/**
 * The request-latency histogram, fed from Node's own HTTP diagnostics channels
 * (`http.server.request.start` / `http.server.response.finish`) instead of a Fastify
 * `onResponse` hook. A Fastify onResponse hook makes Fastify add and remove two listeners on
 * every response and run a hook chain; measured here that was about a tenth of the cost of an
 * authenticated request. The channels cost two small messages per request.
 *
 * The route label is put on the raw request by whoever answers it: the route handler (wrapped
 * once, when the route is registered), a route's own first hook, the error handlers, the 404
 * handler. A response nobody labelled (refused before routing, e.g. a malformed URL or the
 * shutdown 503) counts as `unmatched`, so the label set stays bounded whatever clients send.
 */

const ROUTE = Symbol('tessera.route');
const STARTED_AT = Symbol('tessera.startedAt');

interface TimedRequest extends IncomingMessage {
  [ROUTE]?: string;
  [STARTED_AT]?: number;
}

interface ChannelMessage {
  readonly request: IncomingMessage;
  readonly response: { readonly statusCode: number };
  readonly server: unknown;
}

/** The route label responses of unknown or unrouted requests share. */
export const UNMATCHED_ROUTE = 'unmatched';

/** Names the route that answers `raw`; the first label wins (the most specific one). */
export function markRoute(raw: IncomingMessage, route: string | undefined): void {
  const timed = raw as TimedRequest;
  if (timed[ROUTE] === undefined) timed[ROUTE] = route ?? UNMATCHED_ROUTE;
}

/**
 * Starts observing `server`'s requests into `histogram` (labels route, method, status);
 * returns the function that stops it. Only this server's requests count: the channels are
 * process-wide, and a process may run several servers (tests, an app beside Tessera).
 */
export function recordRequestLatency(server: Server, histogram: LabelledHistogram<'route' | 'method' | 'status'>): () => void {
  // route → method → status → series: constant strings and a number as keys, so no label
  // object and no string building per request.
  const series = new Map<string, Map<string, Map<number, HistogramSeries>>>();
  const seriesFor = (route: string, method: string, status: number): HistogramSeries => {
    let byMethod = series.get(route);
    if (byMethod === undefined) series.set(route, (byMethod = new Map()));
    let byStatus = byMethod.get(method);
    if (byStatus === undefined) byMethod.set(method, (byStatus = new Map()));
    let found = byStatus.get(status);
    if (found === undefined) byStatus.set(status, (found = histogram.labels({ route, method, status: String(status) })));
    return found;
  };
  const onStart = (message: unknown): void => {
    const { request, server: from } = message as ChannelMessage;
    if (from === server) (request as TimedRequest)[STARTED_AT] = performance.now();
  };
  const onFinish = (message: unknown): void => {
    const { request, response, server: from } = message as ChannelMessage;
    if (from !== server) return;
    const timed = request as TimedRequest;
    const startedAt = timed[STARTED_AT];
    if (startedAt === undefined) return;
    // Node's method names are its own constant strings, so the label set stays bounded.
    seriesFor(timed[ROUTE] ?? UNMATCHED_ROUTE, request.method ?? 'UNKNOWN', response.statusCode).observe((performance.now() - startedAt) / 1000);
  };
  subscribe('http.server.request.start', onStart);
  subscribe('http.server.response.finish', onFinish);
  return () => {
    unsubscribe('http.server.request.start', onStart);
    unsubscribe('http.server.response.finish', onFinish);
  };
}
