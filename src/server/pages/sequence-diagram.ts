import type { CookieNames } from '../../core/cookie-names.js';
import { type SafeHtml, html } from './html.js';

/**
 * Sequence diagrams of the three carriers as inline SVG, drawn on the server so they need no
 * script. Each is an image with a title, and the same steps follow as an ordered list (the
 * text alternative). Colours come from the stylesheet's classes: SVG presentation via `style`
 * attributes would be refused by the CSP.
 */

/** One arrow (or, when `from === to`, one note on a lifeline). */
export interface SequenceStep {
  readonly from: number;
  readonly to: number;
  /** Drawn on the arrow: short enough to fit between two neighbouring actors. */
  readonly label: string;
  readonly reply?: boolean;
  /** More words for the text alternative. */
  readonly detail?: string;
}

/** A flow: who takes part and what they send. */
export interface SequenceFlow {
  readonly id: string;
  readonly title: string;
  readonly actors: readonly string[];
  readonly steps: readonly SequenceStep[];
}

const WIDTH = 720;
const TOP = 50;
const ROW = 34;
const MARGIN = 70;

/** Renders a flow as a figure: SVG image + text alternative. */
export function renderSequence(flow: SequenceFlow): SafeHtml {
  const span = (WIDTH - 2 * MARGIN) / Math.max(1, flow.actors.length - 1);
  const x = (index: number): number => Math.round(MARGIN + index * span);
  const height = TOP + flow.steps.length * ROW + 20;
  const titleId = `${flow.id}-title`;
  const marker = `${flow.id}-head`;
  const actors = flow.actors.map(
    (name, i) => html`<g class="seq-actor"><rect x="${x(i) - 55}" y="4" width="110" height="28" rx="4"></rect><text x="${x(i)}" y="23" text-anchor="middle">${name}</text></g><line class="seq-lifeline" x1="${x(i)}" y1="32" x2="${x(i)}" y2="${height - 6}"></line>`,
  );
  const steps = flow.steps.map((step, i) => {
    const y = TOP + i * ROW + 18;
    const label = `${i + 1}. ${step.label}`;
    if (step.from === step.to) {
      return html`<text class="seq-note" x="${x(step.from) + 8}" y="${y + 4}">${label}</text>`;
    }
    const [x1, x2] = [x(step.from), x(step.to)];
    return html`<text class="seq-label" x="${Math.min(x1, x2) + 6}" y="${y - 6}">${label}</text><line class="seq-arrow${step.reply ? ' reply' : ''}" x1="${x1}" y1="${y}" x2="${x2 + (x2 > x1 ? -2 : 2)}" y2="${y}" marker-end="url(#${marker})"></line>`;
  });
  const text = flow.steps.map(
    (step) => html`<li>${step.from === step.to ? html`${flow.actors[step.from]}: ` : html`${flow.actors[step.from]} → ${flow.actors[step.to]}: `}${step.label}${step.detail ? ` (${step.detail})` : ''}</li>`,
  );
  return html`<figure class="sequence" data-diagram="${flow.id}">
<svg viewBox="0 0 ${WIDTH} ${height}" role="img" aria-labelledby="${titleId}" focusable="false">
<title id="${titleId}">${flow.title} (the steps are also listed below the diagram)</title>
<defs><marker id="${marker}" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="8" markerHeight="8" orient="auto-start-reverse"><path class="seq-head" d="M0,0 L10,5 L0,10 z"></path></marker></defs>
${actors}${steps}
</svg>
<figcaption><details><summary>${flow.title}: the steps as text</summary><ol>${text}</ol></details></figcaption>
</figure>`;
}

/** The three flows, with this deployment's cookie names in the text alternative. */
export function carrierFlows(names: CookieNames): Record<'cookie' | 'bearer' | 'hybrid', SequenceFlow> {
  return {
    cookie: {
      id: 'seq-cookie',
      title: 'Session cookie: sign in, use, sign out',
      actors: ['Browser', 'Tessera', 'Store'],
      steps: [
        { from: 0, to: 1, label: 'POST /auth/login {…, carrier: cookie}', detail: 'with the e-mail address and password' },
        { from: 1, to: 2, label: 'create session (SHA-256 of secret)', detail: 'the store never holds the token itself' },
        { from: 1, to: 0, label: '200 {csrfToken} + Set-Cookie', reply: true, detail: `the cookie ${names.session} is HttpOnly, SameSite, Path=/` },
        { from: 0, to: 1, label: 'GET /auth/session (cookie attached)', detail: 'the browser adds the cookie by itself' },
        { from: 1, to: 2, label: 'look up session, slide idle timeout' },
        { from: 1, to: 0, label: '200 {user, session}', reply: true },
        { from: 0, to: 1, label: 'POST /auth/logout + X-CSRF-Token', detail: 'unsafe methods need the CSRF token and a same-origin signal' },
        { from: 1, to: 2, label: 'delete session: dead at once' },
        { from: 1, to: 0, label: '204 + Set-Cookie Max-Age=0', reply: true, detail: 'the browser deletes the cookie' },
      ],
    },
    bearer: {
      id: 'seq-bearer',
      title: 'Tokens (bearer): sign in, use, refresh, sign out',
      actors: ['App', 'Tessera', 'Store'],
      steps: [
        { from: 0, to: 1, label: 'POST /auth/login {…, carrier: bearer}' },
        { from: 1, to: 2, label: 'create session' },
        { from: 1, to: 0, label: '200 {access_token, refresh_token}', reply: true, detail: 'a JWT for minutes and a single-use refresh token, in the body' },
        { from: 0, to: 1, label: 'GET /auth/session + Bearer JWT', detail: 'Authorization: Bearer <access token>' },
        { from: 1, to: 1, label: 'verify signature, claims, revocation set', detail: 'no store lookup is needed to trust the token' },
        { from: 1, to: 0, label: '200 {user, session}', reply: true },
        { from: 0, to: 1, label: 'POST /auth/refresh {refresh_token}' },
        { from: 1, to: 2, label: 'rotate generation (compare-and-set)', detail: 'presenting a spent refresh token again revokes the session' },
        { from: 1, to: 0, label: '200 new access + refresh token', reply: true },
        { from: 0, to: 1, label: 'POST /auth/logout + Bearer JWT' },
        { from: 1, to: 2, label: 'delete session; revoke sid + jti' },
        { from: 1, to: 0, label: '204: tokens refused everywhere', reply: true, detail: 'other services hear of it through the revocation feed' },
      ],
    },
    hybrid: {
      id: 'seq-hybrid',
      title: 'Hybrid: tokens in HttpOnly cookies',
      actors: ['Browser', 'Tessera', 'Store'],
      steps: [
        { from: 0, to: 1, label: 'POST /auth/login {…, carrier: hybrid}' },
        { from: 1, to: 2, label: 'create session' },
        { from: 1, to: 0, label: '200 {csrfToken} + 2 × Set-Cookie', reply: true, detail: `${names.access} (Path=/) and ${names.refresh} (Path=/auth/refresh), both HttpOnly` },
        { from: 0, to: 1, label: 'GET /auth/session (access cookie)' },
        { from: 1, to: 1, label: 'verify JWT + revocation set' },
        { from: 1, to: 0, label: '200 {user, session}', reply: true },
        { from: 0, to: 1, label: 'POST /auth/refresh + X-CSRF-Token', detail: 'the refresh cookie is sent to this path only' },
        { from: 1, to: 2, label: 'rotate generation (compare-and-set)' },
        { from: 1, to: 0, label: '200 + Set-Cookie: both rotated', reply: true },
        { from: 0, to: 1, label: 'POST /auth/logout + X-CSRF-Token' },
        { from: 1, to: 2, label: 'delete session; revoke sid + jti' },
        { from: 1, to: 0, label: '204 + Set-Cookie Max-Age=0 (both)', reply: true },
      ],
    },
  };
}
