import { pino, type Logger, type DestinationStream } from 'pino';
import { Registry, collectDefaultMetrics } from 'prom-client';
import { LabelledCounter, LabelledHistogram } from './metrics.js';
import type { AuthEvent, AuthEventSink } from '../core/events.js';

/**
 * Logs and metrics. One structured JSON line per auth event (ids, never secrets) and the
 * Prometheus series documented in docs/operations.md.
 */
export interface Observability {
  readonly logger: Logger;
  readonly registry: Registry;
  readonly events: AuthEventSink;
  readonly metrics: {
    readonly logins: LabelledCounter<'carrier'>;
    readonly loginFailures: LabelledCounter<'reason'>;
    readonly sessionValidations: LabelledCounter<'result'>;
    readonly requestDuration: LabelledHistogram<'route' | 'method' | 'status'>;
  };
}

/** Creates the logger, the metric registry and the event sink that feeds both. */
export function createObservability(level: string, destination?: DestinationStream): Observability {
  const logger = pino(
    {
      level,
      base: { service: 'tessera' },
      // Defence in depth: even if a future change logs a request, these never reach the log.
      redact: { paths: ['password', 'currentPassword', 'newPassword', 'token', '*.password', 'req.headers.cookie', 'req.headers.authorization', 'headers.cookie', 'headers.authorization'], censor: '[redacted]' },
    },
    destination,
  );
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: 'tessera_process_' });
  const metrics = {
    logins: new LabelledCounter({ name: 'tessera_logins_total', help: 'Successful sign-ins.', labelNames: ['carrier'] as const, registry }),
    loginFailures: new LabelledCounter({ name: 'tessera_login_failures_total', help: 'Refused sign-ins by reason.', labelNames: ['reason'] as const, registry }),
    sessionValidations: new LabelledCounter({ name: 'tessera_session_validations_total', help: 'Session validations by result.', labelNames: ['result'] as const, registry }),
    requestDuration: new LabelledHistogram({
      name: 'tessera_http_request_duration_seconds',
      help: 'HTTP request latency by route.',
      labelNames: ['route', 'method', 'status'] as const,
      buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1],
      registry,
    }),
  };
  const events: AuthEventSink = (event: AuthEvent) => {
    if (event.type === 'login') metrics.logins.inc({ carrier: event.carrier });
    if (event.type === 'login_failed') metrics.loginFailures.inc({ reason: event.reason });
    const { type, ...fields } = event;
    const level = event.type === 'login_failed' ? 'warn' : 'info';
    logger[level]({ event: type, ...fields }, `auth ${type}`);
  };
  return { logger, registry, events, metrics };
}
