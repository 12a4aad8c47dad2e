import type { Session } from '../core/model.js';
import type { SessionManager } from '../core/sessions.js';
import { describeDevice } from './user-agent.js';

/** What the API shows of a session (ISO-8601 times; never the secret hash). */
export interface SessionView {
  readonly id: string;
  readonly carrier: Session['carrier'];
  readonly createdAt: string;
  readonly lastSeenAt: string;
  readonly expiresAt: string;
  readonly idleExpiresAt: string;
}

/** A row of `GET /auth/sessions`. */
export interface SessionListItem {
  readonly id: string;
  readonly carrier: Session['carrier'];
  readonly createdAt: string;
  readonly lastSeenAt: string;
  readonly ip: string | null;
  readonly userAgent: string | null;
  readonly device: string;
  readonly current: boolean;
}

const iso = (ms: number): string => new Date(ms).toISOString();

/** The session as the API shows it to its owner. */
export function toSessionView(session: Session, sessions: SessionManager): SessionView {
  return {
    id: session.id,
    carrier: session.carrier,
    createdAt: iso(session.createdAt),
    lastSeenAt: iso(session.lastSeenAt),
    expiresAt: iso(session.expiresAt),
    idleExpiresAt: iso(sessions.idleExpiresAt(session)),
  };
}

/** A row of the device list. */
export function toSessionListItem(session: Session, currentId: string): SessionListItem {
  return {
    id: session.id,
    carrier: session.carrier,
    createdAt: iso(session.createdAt),
    lastSeenAt: iso(session.lastSeenAt),
    ip: session.ip,
    userAgent: session.userAgent,
    device: describeDevice(session.userAgent),
    current: session.id === currentId,
  };
}
