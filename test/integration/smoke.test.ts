import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type TestServer, startTestServer } from '../helpers/server.js';
import { signUpAndIn } from '../helpers/http.js';

describe('smoke', () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer({ store: 'sqlite' });
  });
  afterAll(async () => server.close());

  it('registers, signs in, reads the session, signs out', async () => {
    const { browser, email } = await signUpAndIn(server);
    const me = await browser.request('GET', '/auth/session');
    expect(me.status).toBe(200);
    expect(me.body.user.email).toBe(email);
    const out = await browser.request('POST', '/auth/logout');
    expect(out.status).toBe(204);
  });
});
