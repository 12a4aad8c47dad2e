/* global document */
/**
 * The SPA: plain DOM code over Tessera's browser SDK, loaded from Tessera itself
 * (/assets/client/index.js, the compiled dist/client/). No bundler, no framework.
 *
 * With the hybrid carrier the SDK never sees a token: Tessera sets the access and refresh
 * tokens as HttpOnly cookies. What the SDK does keep (in localStorage, shared by the tabs) is
 * the CSRF token and the access token's expiry. `client.fetch` adds `X-CSRF-Token` to unsafe
 * methods, refreshes ahead of expiry and once on a 401, and — across tabs — lets one tab
 * refresh at a time (a second use of a spent refresh token would look like theft and end the
 * session). Every tab hears a sign-out.
 */
import { TesseraClientError, createTesseraClient } from '/assets/client/index.js';

const byTestId = (id) => document.querySelector(`[data-testid="${id}"]`);
const section = (name) => document.querySelector(`[data-section="${name}"]`);

const skew = Number(document.querySelector('meta[name="tessera-refresh-skew"]')?.getAttribute('content'));
const client = createTesseraClient({ carrier: 'hybrid', ...(Number.isFinite(skew) ? { refreshSkewSeconds: skew } : {}) });

const ui = {
  status: byTestId('status'),
  error: byTestId('error'),
  form: byTestId('signin-form'),
  email: byTestId('signin-email'),
  password: byTestId('signin-password'),
  signIn: byTestId('signin-submit'),
  register: byTestId('register-submit'),
  userEmail: byTestId('user-email'),
  callApi: byTestId('call-api'),
  apiResult: byTestId('api-result'),
  signOut: byTestId('signout'),
  refreshCount: byTestId('refresh-count'),
  devices: byTestId('devices'),
  reloadDevices: byTestId('devices-reload'),
};

/** Refreshes this tab performed itself (another tab's refresh reaches us with fromOtherTab). */
let refreshes = 0;

function showError(message) {
  ui.error.textContent = message;
  ui.error.hidden = message === '';
}

/** A readable message for a failure; never shows anything but the server's generic text. */
function describe(error) {
  if (error instanceof TesseraClientError) {
    if (error.code === 'rate_limited' && error.retryAfter) return `Too many attempts: try again in ${error.retryAfter} s.`;
    const fields = (error.fieldErrors ?? []).map((f) => `${f.field} ${f.message}`).join('; ');
    return fields ? `${error.message} (${fields})` : error.message;
  }
  return 'Tessera could not be reached. Try again.';
}

function showSignedOut(message = '') {
  ui.status.textContent = 'signed-out';
  ui.userEmail.textContent = '';
  ui.apiResult.textContent = '';
  ui.devices.replaceChildren();
  section('signed-in').hidden = true;
  section('signed-out').hidden = false;
  showError(message);
}

function showSignedIn(user) {
  ui.status.textContent = 'signed-in';
  ui.userEmail.textContent = user.email;
  section('signed-out').hidden = true;
  section('signed-in').hidden = false;
  showError('');
  void loadDevices();
}

/** Asks the app's API who we are. /api/me answers 200 `{ user: null }` to anonymous visitors. */
async function loadUser() {
  try {
    const response = await client.fetch('/api/me');
    const body = response.ok ? await response.json() : null;
    if (body?.user) showSignedIn(body.user);
    else showSignedOut();
  } catch (error) {
    showSignedOut(describe(error));
  }
}

async function loadDevices() {
  try {
    const sessions = await client.sessions();
    ui.devices.replaceChildren(
      ...sessions.map((session) => {
        const item = document.createElement('li');
        item.dataset.current = String(session.current);
        item.textContent = `${session.device} · ${session.carrier} · signed in ${new Date(session.createdAt).toLocaleString()}${session.current ? ' (this browser)' : ''}`;
        return item;
      }),
    );
  } catch (error) {
    if (!(error instanceof TesseraClientError && error.status === 401)) showError(describe(error));
  }
}

/** Runs a button's action with the buttons disabled, so a double click sends one request. */
async function busy(action) {
  const buttons = [ui.signIn, ui.register, ui.callApi, ui.signOut];
  for (const button of buttons) button.disabled = true;
  try {
    await action();
  } catch (error) {
    showError(describe(error));
  } finally {
    for (const button of buttons) button.disabled = false;
  }
}

async function signIn({ create }) {
  const email = ui.email.value.trim();
  const password = ui.password.value;
  if (create) await client.register(email, password);
  const { user } = await client.login(email, password);
  ui.password.value = '';
  showSignedIn(user);
}

ui.form.addEventListener('submit', (event) => {
  event.preventDefault();
  void busy(() => signIn({ create: false }));
});
ui.register.addEventListener('click', () => void busy(() => signIn({ create: true })));

ui.callApi.addEventListener('click', () =>
  void busy(async () => {
    // No token handling here: the cookies travel by themselves, the SDK adds X-CSRF-Token and
    // refreshes when the access token is (nearly) expired.
    const response = await client.fetch('/api/echo', { method: 'POST' });
    const body = await response.json().catch(() => null);
    ui.apiResult.dataset.status = String(response.status);
    ui.apiResult.textContent = response.ok
      ? `ok: ${body.user.email} via ${body.carrier} at ${body.receivedAt}`
      : `error ${response.status}: ${body?.code ?? 'unknown'}`;
  }),
);

ui.signOut.addEventListener('click', () => void busy(() => client.logout()));
ui.reloadDevices.addEventListener('click', () => void loadDevices());

client.on('refreshed', ({ fromOtherTab }) => {
  if (fromOtherTab) return;
  refreshes += 1;
  ui.refreshCount.textContent = String(refreshes);
});
client.on('signed-out', ({ reason, fromOtherTab }) => {
  const message = fromOtherTab
    ? 'You were signed out in another tab.'
    : reason === 'expired' || reason === 'revoked'
      ? 'Your session has ended. Sign in again.'
      : '';
  showSignedOut(message);
});
client.on('signed-in', ({ fromOtherTab }) => {
  if (fromOtherTab) void loadUser();
});

void loadUser();
