// A service that trusts no header but a token it can check itself: X-Auth-Token, the
// short-lived internal JWT (audience `tessera-internal`) that Tessera's GET /auth/verify hands
// the gateway for every authenticated request, cookie users included. It is verified with
// tessera/verifier: keys from the JWKS, revocations pushed over SSE, no call to Tessera per
// request, and every token refused when the revocation feed has gone quiet (fail closed).
//
// In your own service: `import { createVerifier } from 'tessera/verifier'`. Inside this
// repository the package is not installed, so the built library is imported from dist/.
//
//   PORT=0 TESSERA_URL=http://127.0.0.1:4000 TESSERA_ISSUER=http://127.0.0.1:8080 \
//   TESSERA_CLIENT_ID=token-service TESSERA_CLIENT_SECRET=… node examples/gateway/services/token-service.mjs
//
// TESSERA_URL is where this service reaches Tessera (directly, not through the gateway);
// TESSERA_ISSUER is Tessera's TESSERA_PUBLIC_URL (the `iss` of its tokens); the client is one
// of Tessera's TESSERA_CLIENTS (the revocation feed carries user ids, so it needs credentials).

import { createServer } from 'node:http';
import { AuthenticationError, VerifierUnavailableError, createVerifier } from '../../../dist/verifier/index.js';

function required(name) {
  const value = process.env[name];
  if (!value) {
    console.error(`token-service: set ${name} (see the comment at the top of this file).`);
    process.exit(2);
  }
  return value;
}

const tesseraUrl = required('TESSERA_URL').replace(/\/+$/, '');
const verifier = createVerifier({
  issuer: required('TESSERA_ISSUER'),
  audience: process.env.TESSERA_AUDIENCE ?? 'tessera-internal',
  jwksUrl: `${tesseraUrl}/.well-known/jwks.json`,
  revocationsUrl: `${tesseraUrl}/auth/revocations`,
  clientId: required('TESSERA_CLIENT_ID'),
  clientSecret: required('TESSERA_CLIENT_SECRET'),
  // Tessera's feed sends a heartbeat every 15 s; two missed ones and nothing is accepted.
  staleAfterMs: Number(process.env.STALE_AFTER_MS ?? 35_000),
  onError: (error) => console.error(`token-service: verifier: ${error.message}`),
});
verifier.ready().then(
  () => console.log('token-service verifier ready'),
  () => undefined,
);

const port = Number(process.env.PORT ?? 0);
const host = process.env.HOST ?? '127.0.0.1';
let handled = 0;

function sendJson(response, status, body) {
  response.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store' });
  response.end(JSON.stringify(body));
}

const server = createServer(async (request, response) => {
  if (request.url === '/__stats') {
    sendJson(response, 200, { requests: handled, verifier: verifier.status });
    return;
  }
  handled++;
  request.resume();
  const received = { ...request.headers };
  const token = request.headers['x-auth-token'];
  if (typeof token !== 'string' || token.length === 0) {
    sendJson(response, 401, { code: 'unauthenticated', service: 'token', received });
    return;
  }
  try {
    const claims = await verifier.verify(token);
    sendJson(response, 200, { service: 'token', method: request.method, path: request.url, userId: claims.sub, sessionId: claims.sid, claims, received });
  } catch (error) {
    if (error instanceof VerifierUnavailableError) {
      sendJson(response, 503, { code: error.code, service: 'token' });
    } else if (error instanceof AuthenticationError) {
      sendJson(response, 401, { code: error.code, service: 'token', received });
    } else {
      console.error('token-service: unexpected error', error);
      sendJson(response, 500, { code: 'internal_error', service: 'token' });
    }
  }
});

server.listen(port, host, () => {
  const address = server.address();
  console.log(`token-service listening on http://${host}:${address.port}`);
});

for (const signal of ['SIGTERM', 'SIGINT']) {
  process.once(signal, () => {
    server.close();
    server.closeAllConnections();
    void verifier.close();
  });
}
