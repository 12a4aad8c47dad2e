import type { AuthContext } from '../../core/authenticate.js';
import type { Tessera } from '../../core/tessera.js';
import { type SessionListItem, toSessionListItem } from '../views.js';
import { type PageError, csrfField, errorSummary, field, flash } from './components.js';
import { type SafeHtml, html } from './html.js';
import { renderPage } from './layout.js';

/**
 * The account page: the user's devices with a sign-out button each, change password, sign out
 * everywhere, sign out. Every form carries the session-bound `_csrf` token. Revoking another
 * device needs a recent password proof, so when the core asks for it the page shows a
 * "confirm your password" form that carries the pending revocation.
 */

/** What the account page shows besides the devices. */
export interface AccountState {
  readonly done?: string | undefined;
  readonly errors?: readonly PageError[];
  /** A device waiting for the password proof before it can be signed out. */
  readonly confirmRevoke?: string | null;
}

/** Ids and labels of the account forms' fields (for error summaries). */
export const ACCOUNT_FIELDS = {
  currentPassword: { id: 'current-password', label: 'Current password' },
  newPassword: { id: 'new-password', label: 'New password' },
  password: { id: 'confirm-password', label: 'Password' },
};

const CARRIER_NAMES = { cookie: 'Browser session', bearer: 'App (tokens)', hybrid: 'Web app (token cookies)' } as const;

const when = (iso: string): SafeHtml => html`<time datetime="${iso}">${iso.slice(0, 16).replace('T', ' ')} UTC</time>`;

function deviceRow(device: SessionListItem, index: number, csrf: SafeHtml): SafeHtml {
  const label = `device-${index}`;
  const action = device.current
    ? html`<form class="inline-form" method="post" action="/account/logout">${csrf}<button type="submit" class="secondary">Sign out<span class="visually-hidden"> of this device</span></button></form>`
    : html`<form class="inline-form" method="post" action="/account/sessions/revoke">${csrf}<input type="hidden" name="session" value="${device.id}"><button type="submit" class="danger" aria-describedby="${label}">Sign out device</button></form>`;
  return html`<tr>
<th scope="row" id="${label}">${device.device}${device.current ? html` <span class="badge">This device</span>` : ''}</th>
<td data-label="Kind">${CARRIER_NAMES[device.carrier]}</td>
<td data-label="IP address">${device.ip ?? 'unknown'}</td>
<td data-label="Signed in">${when(device.createdAt)}</td>
<td data-label="Last seen">${when(device.lastSeenAt)}</td>
<td>${action}</td>
</tr>`;
}

/** Renders the account page for the signed-in user. */
export async function renderAccountPage(tessera: Tessera, auth: AuthContext, state: AccountState = {}): Promise<string> {
  const errors = state.errors ?? [];
  const csrf = csrfField(tessera.csrfTokenFor(auth.session.id));
  const devices = (await tessera.sessions.listUserSessions(auth.user.id))
    .map((session) => toSessionListItem(session, auth.session.id))
    .sort((a, b) => Number(b.current) - Number(a.current) || b.lastSeenAt.localeCompare(a.lastSeenAt));
  const pending = state.confirmRevoke ? devices.find((device) => device.id === state.confirmRevoke) : undefined;
  const minLength = tessera.config.password.minLength;

  const confirm = pending
    ? html`<section class="card" aria-labelledby="confirm-title">
<h2 id="confirm-title">Confirm it is you</h2>
<p>To sign out <strong>${pending.device}</strong> (${pending.ip ?? 'unknown IP'}), enter your password again.</p>
<form method="post" action="/account/reauthenticate" novalidate>${csrf}
<input type="hidden" name="session" value="${pending.id}">
${field({ ...ACCOUNT_FIELDS.password, name: 'password', type: 'password', autocomplete: 'current-password', errors })}
<div class="actions"><button type="submit">Confirm and sign out device</button><a class="button secondary" href="/account">Cancel</a></div>
</form>
</section>`
    : '';

  return renderPage(
    { title: 'Your account', page: 'account', signedIn: true },
    html`<h1>Your account</h1>
${errorSummary(errors)}${flash(state.done)}
<p>Signed in as <strong>${auth.user.email}</strong>.</p>
${confirm}
<section aria-labelledby="devices-title">
<h2 id="devices-title">Your devices</h2>
<p class="muted">Every sign-in is one session. Sign out any you do not recognise; signing out another device asks for your password.</p>
<table class="devices">
<thead><tr><th scope="col">Device</th><th scope="col">Kind</th><th scope="col">IP address</th><th scope="col">Signed in</th><th scope="col">Last seen</th><th scope="col"><span class="visually-hidden">Action</span></th></tr></thead>
<tbody>${devices.map((device, index) => deviceRow(device, index, csrf))}</tbody>
</table>
</section>
<section aria-labelledby="password-title">
<h2 id="password-title">Change password</h2>
<form method="post" action="/account/password" novalidate class="card">${csrf}
<input type="text" name="username" autocomplete="username" value="${auth.user.email}" hidden>
${field({ ...ACCOUNT_FIELDS.currentPassword, name: 'currentPassword', type: 'password', autocomplete: 'current-password', errors })}
${field({
  ...ACCOUNT_FIELDS.newPassword,
  name: 'newPassword',
  type: 'password',
  autocomplete: 'new-password',
  hint: `At least ${minLength} characters. Every other device will be signed out.`,
  errors,
})}
<button type="submit">Change password</button>
</form>
</section>
<section aria-labelledby="everywhere-title">
<h2 id="everywhere-title">Sign out everywhere</h2>
<p>Ends every session of your account, on every device, including this one. Apps using tokens are refused at once.</p>
<form method="post" action="/account/logout-all">${csrf}<button type="submit" class="danger">Sign out everywhere</button></form>
</section>
<section aria-labelledby="signout-title">
<h2 id="signout-title">Sign out</h2>
<form method="post" action="/account/logout">${csrf}<button type="submit" class="secondary">Sign out of this device</button></form>
</section>`,
  );
}
