import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type TestServer, startTestServer } from '../helpers/server.js';
import { send } from '../helpers/http.js';

describe('token smoke', () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer({ store: 'sqlite' });
  });
  afterAll(async () => server.close());

  it('bearer: login, use, refresh, reuse detection', async () => {
    const email = 'tok@example.com';
    const password = 'correct horse battery staple';
    expect((await send(server, 'POST', '/auth/register', { json: { email, password } })).status).toBe(201);
    const login = await send(server, 'POST', '/auth/login', { json: { email, password, carrier: 'bearer' } });
    expect(login.status).toBe(200);
    expect(login.body.token_type).toBe('Bearer');
    const me = await send(server, 'GET', '/auth/session', { headers: { authorization: `Bearer ${login.body.access_token}` } });
    expect(me.status).toBe(200);
    const r1 = await send(server, 'POST', '/auth/refresh', { json: { refresh_token: login.body.refresh_token } });
    expect(r1.status).toBe(200);
    server.clock.advance(60_000);
    const reuse = await send(server, 'POST', '/auth/refresh', { json: { refresh_token: login.body.refresh_token } });
    expect(reuse.status).toBe(401);
    expect(reuse.body.code).toBe('refresh_token_reused');
    const after = await send(server, 'GET', '/auth/session', { headers: { authorization: `Bearer ${r1.body.access_token}` } });
    expect(after.status).toBe(401);
    const jwks = await send(server, 'GET', '/.well-known/jwks.json');
    expect(jwks.body.keys.length).toBeGreaterThan(0);
  });
});
