// A verifier in a process of its own, as another team's service would run it: createVerifier
// from the BUILT library against one Tessera node's JWKS and SSE revocation feed.
//
//   GET /check   Authorization: Bearer <access token>  → 200 {claims} | 401 {code} | 503 {code}
//   GET /status  → { ready, status }
//
// Environment: PORT (0 = any), JWKS_URL, REVOCATIONS_URL, ISSUER, AUDIENCE, CLIENT_ID,
// CLIENT_SECRET. Prints "verifier-check listening on http://…" once listening and
// "verifier-check ready" once the keys and the first revocation snapshot are in.

import { createServer } from 'node:http';
import { AuthenticationError, VerifierUnavailableError, createVerifier } from '../../dist/verifier/index.js';

const env = (name) => {
  const value = process.env[name];
  if (!value) throw new Error(`verifier-check: ${name} is required`);
  return value;
};

const verifier = createVerifier({
  issuer: env('ISSUER'),
  audience: env('AUDIENCE'),
  jwksUrl: env('JWKS_URL'),
  revocationsUrl: env('REVOCATIONS_URL'),
  clientId: env('CLIENT_ID'),
  clientSecret: env('CLIENT_SECRET'),
  // Tessera's feed heartbeats every 15 s; the default bound (30 s) is fine here.
  onError: (error) => console.error(`verifier-check: ${error.message}`),
});
let ready = false;
verifier.ready().then(
  () => {
    ready = true;
    console.log('verifier-check ready');
  },
  () => undefined,
);

const send = (response, status, body) => {
  response.writeHead(status, { 'content-type': 'application/json', 'cache-control': 'no-store' });
  response.end(JSON.stringify(body));
};

const server = createServer(async (request, response) => {
  request.resume();
  if (request.url === '/status') {
    send(response, 200, { ready, status: verifier.status });
    return;
  }
  if (request.url !== '/check') {
    send(response, 404, { code: 'not_found' });
    return;
  }
  const match = /^Bearer (\S+)$/.exec(request.headers.authorization ?? '');
  if (!match) {
    send(response, 401, { code: 'unauthenticated' });
    return;
  }
  try {
    send(response, 200, { claims: await verifier.verify(match[1]) });
  } catch (error) {
    if (error instanceof VerifierUnavailableError) send(response, 503, { code: error.code });
    else if (error instanceof AuthenticationError) send(response, 401, { code: error.code });
    else send(response, 500, { code: 'internal_error', message: String(error) });
  }
});

server.listen(Number(process.env.PORT ?? 0), '127.0.0.1', () => {
  console.log(`verifier-check listening on http://127.0.0.1:${server.address().port}`);
});

process.once('SIGTERM', () => {
  server.close();
  server.closeAllConnections();
  void verifier.close();
});
