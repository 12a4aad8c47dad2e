/**
 * The playground's view helpers (served at /assets/playground-render.js): DOM building with
 * text nodes only (never innerHTML, so nothing the server or a user sends can become markup),
 * JWT decoding for display, and the rendering of one request/response exchange.
 *
 * JWTs are decoded here, never verified: a browser has no business trusting a token's claims,
 * only the server and verifiers check signatures.
 */
export const PLAYGROUND_RENDER_JS = String.raw`
export function el(tag, attributes, ...children) {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes || {})) {
    if (value === false || value === null || value === undefined) continue;
    if (name === 'class') node.className = value;
    else node.setAttribute(name, value === true ? '' : String(value));
  }
  for (const child of children.flat()) {
    if (child === null || child === undefined || child === false) continue;
    node.append(typeof child === 'string' ? document.createTextNode(child) : child);
  }
  return node;
}

function decodeSegment(segment) {
  const base64 = segment.replace(/-/g, '+').replace(/_/g, '/');
  const bytes = Uint8Array.from(atob(base64), (c) => c.charCodeAt(0));
  return JSON.parse(new TextDecoder().decode(bytes));
}

/** Header and payload of a compact JWS, for display only (the signature is not checked). */
export function decodeJwt(token) {
  const parts = String(token).split('.');
  if (parts.length !== 3) return null;
  try {
    return { header: decodeSegment(parts[0]), payload: decodeSegment(parts[1]) };
  } catch {
    return null;
  }
}

export function shorten(value, keep = 16) {
  const text = String(value);
  return text.length > keep + 10 ? text.slice(0, keep) + '… (' + text.length + ' characters)' : text;
}

export function time(seconds) {
  return new Date(seconds * 1000).toISOString().replace('T', ' ').replace(/\.\d+Z$/, ' UTC');
}

/** Pretty JSON with passwords masked and long tokens shortened. */
export function pretty(text) {
  if (!text) return '(empty body)';
  try {
    return JSON.stringify(JSON.parse(text), (key, value) => {
      if (/password/i.test(key) && typeof value === 'string') return '••••••••';
      if (/token/i.test(key) && typeof value === 'string') return shorten(value, 24);
      return value;
    }, 2);
  } catch {
    return shorten(text, 200);
  }
}

const SHOWN_RESPONSE_HEADERS = ['content-type', 'cache-control', 'www-authenticate', 'retry-after'];

/** One exchange as a list item: request, response, the Set-Cookie lines and a note. */
export function renderExchange(number, exchange) {
  const { method, path, headers, credentials, body, status, response, text, setCookies, note } = exchange;
  const sent = [method + ' ' + path, 'credentials: ' + (credentials || 'same-origin') + (credentials === 'omit' ? ' (no cookies sent)' : ' (the browser attaches its cookies)')];
  for (const [name, value] of Object.entries(headers)) {
    sent.push(name + ': ' + (name === 'authorization' ? 'Bearer ' + shorten(value.slice(7), 24) : value));
  }
  if (body) sent.push('', pretty(body));
  const received = ['HTTP ' + status];
  for (const name of SHOWN_RESPONSE_HEADERS) {
    const value = response.headers.get(name);
    if (value !== null) received.push(name + ': ' + value);
  }
  received.push('', pretty(text));
  return el('li', {},
    el('h4', {}, '#' + number + ' ' + method + ' ' + path + ' → ', el('span', { class: status < 400 ? 'status-ok' : 'status-error' }, String(status))),
    el('p', { class: 'muted' }, 'Sent'),
    el('pre', {}, sent.join('\n')),
    el('p', { class: 'muted' }, 'Received'),
    el('pre', {}, received.join('\n')),
    setCookies.length > 0
      ? [el('p', { class: 'muted' }, 'Set-Cookie sent by the server (values hidden: the cookies are HttpOnly, so scripts never see them)'), el('pre', {}, setCookies.join('\n'))]
      : null,
    note ? el('p', {}, note) : null,
  );
}

/** The Set-Cookie lines the server sends for an exchange, from GET /playground/cookie-policy. */
export function setCookiesFor(policy, carrier, path, status, code, endedOwnSession) {
  const c = policy.cookies;
  const ended = status === 204 && endedOwnSession;
  if (carrier === 'cookie') {
    if ((path === '/auth/login' || path === '/auth/password') && status === 200) return [c.session.line];
    if (code === 'invalid_session') return [c.session.cleared];
    return ended ? [c.session.cleared] : [];
  }
  if (carrier === 'hybrid') {
    if ((path === '/auth/login' || path === '/auth/password' || path === '/auth/refresh') && status === 200) return [c.access.line, c.refresh.line];
    if (path === '/auth/refresh' && status === 401) return [c.access.cleared, c.refresh.cleared];
    return ended ? [c.access.cleared, c.refresh.cleared] : [];
  }
  return [];
}
`;
