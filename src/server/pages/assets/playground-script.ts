/**
 * The playground's main module (served at /assets/playground.js). Each column is a real
 * tessera/client instance (served from /assets/client/) whose `fetch` records every exchange,
 * so what the page shows is exactly what the SDK sent and received on this live server.
 *
 * The clients get `storage: null`: the playground keeps everything in this page's memory, and
 * separate `storageKey`s keep the two columns from hearing each other's cross-tab messages.
 */
export const PLAYGROUND_JS = String.raw`
import { createTesseraClient } from '/assets/client/index.js';
import { decodeJwt, el, renderExchange, setCookiesFor, shorten, time } from '/assets/playground-render.js';

const policy = await (await fetch('/playground/cookie-policy', { credentials: 'omit' })).json();
const demo = { email: null, password: null, registered: false };
const columns = [];
let busy = false;

function random(length) {
  const alphabet = 'abcdefghijkmnpqrstuvwxyz23456789'; // 32 symbols: every byte maps evenly
  return Array.from(crypto.getRandomValues(new Uint8Array(length)), (byte) => alphabet[byte % 32]).join('');
}

const emptyState = () => ({ sessionId: null, csrfToken: null, accessToken: null, refreshToken: null, expiresAt: null });
const otherOf = (column) => columns.find((candidate) => candidate !== column);

function note(column, text) {
  column.log.append(el('li', {}, el('p', {}, text)));
  column.status.textContent = text;
}

function learn(column, body) {
  if (!body || typeof body !== 'object') return;
  const state = column.state;
  if (body.session && typeof body.session.id === 'string') state.sessionId = body.session.id;
  if (typeof body.csrfToken === 'string') state.csrfToken = body.csrfToken;
  if (typeof body.access_token === 'string') state.accessToken = body.access_token;
  if (typeof body.refresh_token === 'string') state.refreshToken = body.refresh_token;
  if (typeof body.expires_in === 'number') state.expiresAt = Math.floor(Date.now() / 1000) + body.expires_in;
}

function explain(column, method, path, status, body) {
  const code = body && body.code;
  if (path === '/auth/login' && status === 200) {
    if (column.carrier === 'cookie') return 'A new session. The browser stored the session cookie; the CSRF token from the body goes into X-CSRF-Token on unsafe requests.';
    if (column.carrier === 'hybrid') return 'A new session. Both tokens went into HttpOnly cookies; the refresh cookie is sent to /auth/refresh only.';
    return 'A new session. The tokens are in the body: the client keeps the access token in memory and sends it as Authorization: Bearer.';
  }
  if (path === '/auth/refresh' && status === 200) return 'Rotated: the previous refresh token is spent. Presenting it again later would be treated as theft and revoke the session.';
  if (code === 'token_revoked') return 'Refused: the session of this token ended. Tessera knows at once through its revocation set; the client now tries one refresh.';
  if (code === 'invalid_session') return 'Refused: the session is gone. The answer also deletes the cookie.';
  if (code === 'refresh_token_invalid' || code === 'refresh_token_reused') return 'Refresh refused (' + code + '): the session is over, so the client signs out.';
  if (code === 'reauthentication_required') return 'Ending another device needs a recent password proof.';
  if (status === 204) return 'Done: nothing to say (204).';
  return code ? 'Refused: ' + code + '.' : null;
}

function recordingFetch(column, options = { learn: true }) {
  return async (input, init = {}) => {
    const url = new URL(input, location.href);
    const method = (init.method || 'GET').toUpperCase();
    const response = await fetch(input, init);
    const text = await response.clone().text().catch(() => '');
    let body = null;
    try {
      body = text ? JSON.parse(text) : null;
    } catch {
      body = null;
    }
    const own = column.state.sessionId !== null && url.pathname === '/auth/sessions/' + encodeURIComponent(column.state.sessionId);
    const endedOwnSession = url.pathname === '/auth/logout' || url.pathname === '/auth/logout-all' || (method === 'DELETE' && own);
    if (options.learn) learn(column, body);
    column.count += 1;
    column.log.append(renderExchange(column.count, {
      method,
      path: url.pathname,
      headers: init.headers || {},
      credentials: init.credentials,
      body: typeof init.body === 'string' ? init.body : null,
      status: response.status,
      response,
      text,
      setCookies: setCookiesFor(policy, column.carrier, url.pathname, response.status, body && body.code, endedOwnSession),
      note: explain(column, method, url.pathname, response.status, body),
    }));
    column.status.textContent = method + ' ' + url.pathname + ' answered ' + response.status + '.';
    return response;
  };
}

function connect(column) {
  if (column.client) {
    column.unsubscribe();
    column.client.close();
  }
  column.client = createTesseraClient({ carrier: column.carrier, storage: null, storageKey: 'tessera-playground-' + column.name, fetch: recordingFetch(column) });
  column.unsubscribe = column.client.on('signed-out', (event) => {
    column.state = emptyState();
    note(column, 'The client emitted "signed-out" (' + event.reason + ') and dropped what it held.');
  });
  const titles = { cookie: 'Session cookie', hybrid: 'Hybrid (token cookies)', bearer: 'Tokens (bearer)' };
  column.section.querySelector('[data-column-title]').textContent = titles[column.carrier];
  for (const figure of column.section.querySelectorAll('[data-diagram]')) figure.hidden = figure.dataset.diagram !== 'seq-' + column.carrier;
}

function describeRefresh(token) {
  const [sid, generation] = token.split('.');
  return 'session ' + shorten(sid, 8) + ', generation ' + generation + ': ' + shorten(token, 24);
}

function render(column) {
  const state = column.state;
  const cookies = policy.cookies;
  const rows = [['Session id', state.sessionId || 'none']];
  if (column.carrier === 'bearer') {
    const jwt = state.accessToken && decodeJwt(state.accessToken);
    rows.push(['CSRF token', 'not needed: a bearer client sends nothing automatically']);
    rows.push(['Access token (decoded here, never verified here)', jwt
      ? el('pre', {}, JSON.stringify(jwt.header, null, 2) + '\n' + JSON.stringify(jwt.payload, null, 2) + '\n\nissued  ' + time(jwt.payload.iat) + '\nexpires ' + time(jwt.payload.exp))
      : 'none']);
    rows.push(['Refresh token (in memory)', state.refreshToken ? describeRefresh(state.refreshToken) : 'none']);
  } else {
    rows.push(['CSRF token', state.csrfToken || 'none yet']);
    if (column.carrier === 'hybrid') {
      rows.push(['Access token', el('span', {}, 'in the HttpOnly cookie ', el('code', {}, cookies.access.name), ': JavaScript cannot read it, which is the point.')]);
      rows.push(['Refresh token', el('span', {}, 'in the HttpOnly cookie ', el('code', {}, cookies.refresh.name), ', sent only to ' + cookies.refresh.path + '.')]);
      if (state.expiresAt) rows.push(['Access token expires', time(state.expiresAt)]);
    } else {
      rows.push(['Credential', el('span', {}, 'the opaque session token in the HttpOnly cookie ', el('code', {}, cookies.session.name), '. Every request reads the session, and use slides its idle timeout.')]);
    }
  }
  column.stateList.replaceChildren(...rows.flatMap(([term, value]) => [el('dt', {}, term), el('dd', {}, value)]));
}

/** Before a hybrid sign-in: a session cookie would be judged first (fixed precedence), so end it. */
async function dropSessionCookie(column) {
  const probe = createTesseraClient({ carrier: 'cookie', storage: null, storageKey: 'tessera-playground-probe', channel: null, locks: null, fetch: recordingFetch(column, { learn: false }) });
  const current = await probe.session();
  if (current && current.session.carrier === 'cookie') {
    note(column, 'This browser holds a session cookie, which the server would judge before token cookies, so it is signed out first.');
    await probe.logout();
  }
  probe.close();
}

const ACTIONS = {
  async login(column) {
    if (!demo.email) {
      demo.email = 'playground-' + random(12) + '@example.com';
      demo.password = random(24);
    }
    if (!demo.registered) {
      await column.client.register(demo.email, demo.password);
      demo.registered = true;
      document.querySelector('[data-demo-email]').textContent = demo.email;
    }
    if (column.carrier === 'hybrid') await dropSessionCookie(column);
    await column.client.login(demo.email, demo.password);
  },
  async session(column) {
    if (!(await column.client.session())) note(column, 'Signed out: GET /auth/session answered 401.');
  },
  async refresh(column) {
    if (!(await column.client.refresh())) note(column, 'No refresh: the session is gone, or there is nothing to refresh.');
  },
  async logout(column) {
    await column.client.logout();
  },
  async revoke(column) {
    const other = otherOf(column);
    if (!column.state.sessionId) return note(column, 'Sign this column in first.');
    if (!other.state.sessionId) return note(column, 'Sign the other column in first: it plays the other device that ends this session.');
    note(column, 'The other column ends this session with DELETE /auth/sessions/:id (see its log).');
    try {
      await other.client.revokeSession(column.state.sessionId);
    } catch (error) {
      if (!error || error.code !== 'reauthentication_required') throw error;
      note(other, 'Ending another device needs a recent password proof: POST /auth/reauthenticate, then again.');
      await other.client.reauthenticate(demo.password);
      await other.client.revokeSession(column.state.sessionId);
    }
    note(column, 'Now this column uses its session again:');
    await column.client.session();
  },
  async 'logout-all'(column) {
    await column.client.logoutEverywhere();
    note(otherOf(column), 'The other column signed out everywhere: this session ended too. Try GET /auth/session.');
  },
  async clear(column) {
    column.log.replaceChildren();
    column.count = 0;
  },
  async switch(column, carrier) {
    if (column.state.sessionId) {
      note(column, 'Switching the carrier signs this session out first.');
      await column.client.logout();
    }
    column.carrier = carrier;
    column.state = emptyState();
    connect(column);
  },
};

function setBusy(value) {
  busy = value;
  for (const column of columns) {
    column.section.setAttribute('aria-busy', String(value));
    for (const button of column.section.querySelectorAll('button[data-action]')) {
      button.disabled = value || (button.dataset.action === 'refresh' && column.carrier === 'cookie');
    }
    for (const radio of column.section.querySelectorAll('input[type=radio]')) radio.disabled = value;
  }
}

async function run(column, action, argument) {
  if (busy) return;
  setBusy(true);
  try {
    await ACTIONS[action](column, argument);
  } catch (error) {
    note(column, 'Failed: ' + (error && error.code ? error.code + ' (' + error.message + ')' : String(error)));
  } finally {
    setBusy(false);
    for (const each of columns) render(each);
  }
}

for (const section of document.querySelectorAll('[data-column]')) {
  const column = {
    name: section.dataset.column,
    carrier: section.dataset.carrier,
    section,
    client: null,
    unsubscribe: null,
    count: 0,
    state: emptyState(),
    log: section.querySelector('[data-log]'),
    status: section.querySelector('[data-status]'),
    stateList: section.querySelector('[data-state]'),
  };
  columns.push(column);
  connect(column);
  for (const button of section.querySelectorAll('button[data-action]')) {
    button.addEventListener('click', () => run(column, button.dataset.action));
  }
  for (const radio of section.querySelectorAll('input[type=radio]')) {
    radio.addEventListener('change', () => {
      if (radio.checked) run(column, 'switch', radio.value);
    });
  }
}
setBusy(false);
for (const column of columns) render(column);
`;
