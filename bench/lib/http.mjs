/** Plain HTTP helpers for setting up a benchmark (register, sign in, check a response). */

/** Sends one request; resolves to `{ status, headers, setCookies, body }` (body parsed when JSON). */
export async function request(url, { method = 'GET', headers = {}, json } = {}) {
  const response = await fetch(url, {
    method,
    headers: { ...(json !== undefined ? { 'content-type': 'application/json' } : {}), ...headers },
    ...(json !== undefined ? { body: JSON.stringify(json) } : {}),
  });
  const text = await response.text();
  let body = text;
  if ((response.headers.get('content-type') ?? '').includes('json') && text.length > 0) {
    try {
      body = JSON.parse(text);
    } catch {
      // keep the text: the caller's check will show it
    }
  }
  return { status: response.status, headers: response.headers, setCookies: response.headers.getSetCookie(), body };
}

/** The `name=value` pair of cookie `name` from Set-Cookie headers, or null. */
export function cookiePair(setCookies, name) {
  for (const header of setCookies) {
    const pair = header.split(';', 1)[0];
    const eq = pair.indexOf('=');
    if (eq > 0 && pair.slice(0, eq).trim() === name) return pair.trim();
  }
  return null;
}

/** Throws with the response in the message unless `ok` holds: set-up failures must be loud. */
export function expectResponse(ok, what, response) {
  if (ok) return;
  const body = typeof response.body === 'string' ? response.body : JSON.stringify(response.body);
  throw new Error(`${what}: got HTTP ${response.status} ${body.slice(0, 400)}`);
}
