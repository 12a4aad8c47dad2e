import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTesseraClient } from '../../src/client/index.js';
import type { Carrier, FetchLike, TesseraClient } from '../../src/client/index.js';
import type { TestServer } from '../helpers/server.js';
import { startPageServer, uniqueEmail } from '../pages/support.js';

/**
 * The SDK against a real Tessera server over HTTP, with Node's fetch. For the cookie carriers a
 * tiny cookie jar plays the browser: it keeps cookies by name, sends each only under its Path,
 * and adds `Sec-Fetch-Site: same-origin` like a browser on the same origin.
 */

let server: TestServer;
beforeAll(async () => {
  server = await startPageServer();
});
afterAll(() => server.close());

const PASSWORD = 'correct horse battery staple';

function browserFetch(): FetchLike {
  const jar = new Map<string, { value: string; path: string }>();
  return async (input, init = {}) => {
    const url = new URL(input);
    const cookies = [...jar].filter(([, c]) => url.pathname.startsWith(c.path)).map(([name, c]) => `${name}=${c.value}`);
    const headers: Record<string, string> = { ...(init.headers as Record<string, string>), 'sec-fetch-site': 'same-origin' };
    if (init.credentials !== 'omit' && cookies.length > 0) headers.cookie = cookies.join('; ');
    const response = await fetch(input, { ...(init as RequestInit), headers });
    for (const line of response.headers.getSetCookie()) {
      const [pair = '', ...attributes] = line.split('; ');
      const name = pair.slice(0, pair.indexOf('='));
      const path = attributes.find((a) => a.startsWith('Path='))?.slice(5) ?? '/';
      if (/Max-Age=0/.test(line)) jar.delete(name);
      else jar.set(name, { value: pair.slice(name.length + 1), path });
    }
    return response;
  };
}

function client(carrier: Carrier, fetchImpl: FetchLike = browserFetch()): TesseraClient {
  return createTesseraClient({ carrier, baseUrl: server.url, fetch: fetchImpl, storage: null, channel: null, locks: null });
}

async function newAccount(): Promise<string> {
  const email = uniqueEmail('sdk');
  await client('bearer', (input, init) => fetch(input, init as RequestInit)).register(email, PASSWORD);
  return email;
}

describe('tessera/client against the live server', () => {
  it.each<Carrier>(['cookie', 'bearer', 'hybrid'])('%s: sign in, who am I, devices, revoke another device, sign out', async (carrier) => {
    const email = await newAccount();
    const sdk = client(carrier);
    const other = client(carrier);
    const signedIn = await sdk.login(email, PASSWORD);
    await other.login(email, PASSWORD);
    expect(signedIn.session.carrier).toBe(carrier);
    expect((await sdk.session())?.user.email).toBe(email);
    const devices = await sdk.sessions();
    expect(devices.filter((d) => d.current).map((d) => d.id)).toEqual([signedIn.session.id]);
    const otherId = devices.find((d) => !d.current)?.id as string;
    await sdk.revokeSession(otherId);
    expect(await other.session()).toBeNull();
    const events: string[] = [];
    sdk.on('signed-out', (e) => void events.push(e.reason));
    await sdk.logout();
    expect(events).toEqual(['logout']);
    expect(await sdk.session()).toBeNull();
  });

  it.each<Carrier>(['bearer', 'hybrid'])('%s: an access token the server finds expired is refreshed once and the call retried', async (carrier) => {
    const email = await newAccount();
    const sdk = client(carrier);
    await sdk.login(email, PASSWORD);
    // The server's clock moves past the access token's life; the client's does not, so only
    // the 401 tells it.
    server.clock.advance(server.tessera.config.tokens.accessTokenTtlMs + 60_000);
    const refreshed: number[] = [];
    sdk.on('refreshed', (e) => void refreshed.push(e.expiresAt));
    const response = await sdk.fetch(`${server.url}/auth/session`);
    expect(response.status).toBe(200);
    expect(refreshed).toHaveLength(1);
  });

  it('cookie: unsafe calls carry the CSRF token; password change keeps the client signed in', async () => {
    const email = await newAccount();
    const sdk = client('cookie');
    await sdk.login(email, PASSWORD);
    const renewed = await sdk.changePassword(PASSWORD, 'a different long passphrase');
    expect((await sdk.session())?.session.id).toBe(renewed.session.id);
    await sdk.logoutEverywhere();
    expect(await sdk.session()).toBeNull();
  });

  it('reports the stable error code', async () => {
    const sdk = client('cookie');
    await expect(sdk.login('nobody@example.com', 'wrong password')).rejects.toMatchObject({ status: 401, code: 'invalid_credentials' });
  });
});
