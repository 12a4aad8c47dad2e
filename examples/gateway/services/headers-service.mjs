// A service that trusts the gateway's identity headers (X-Auth-User-Id, X-Auth-Session-Id,
// X-Auth-Carrier). That trust is only sound because (1) the service listens where only the
// gateway can reach it (127.0.0.1 here; a private network in production) and (2) the gateway
// sets those headers from Tessera's answer and passes nothing the client wrote (G-03).
//
// It reads exactly the headers nginx sets and no look-alikes (X-User-Id, X-Forwarded-User, …).
// For the tests it echoes everything it received and counts requests (GET /__stats, reachable
// only directly: the gateway forwards /headers/… and nothing else here).
//
//   PORT=0 node examples/gateway/services/headers-service.mjs

import { createServer } from 'node:http';

const port = Number(process.env.PORT ?? 0);
const host = process.env.HOST ?? '127.0.0.1';
let handled = 0;

/** A header's single value, or null when absent, empty or repeated. */
function single(headers, name) {
  const value = headers[name];
  return typeof value === 'string' && value.length > 0 ? value : null;
}

function sendJson(response, status, body) {
  response.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store' });
  response.end(JSON.stringify(body));
}

const server = createServer((request, response) => {
  if (request.url === '/__stats') {
    sendJson(response, 200, { requests: handled });
    return;
  }
  handled++;
  const userId = single(request.headers, 'x-auth-user-id');
  const sessionId = single(request.headers, 'x-auth-session-id');
  const received = { ...request.headers };
  // Defence in depth: behind a correct gateway this never happens; if the gateway is bypassed
  // or misconfigured, refuse rather than serve an anonymous user as someone.
  if (userId === null || sessionId === null) {
    sendJson(response, 401, { code: 'unauthenticated', service: 'headers', received });
    return;
  }
  // Drain the body (a POST through the gateway); this service only reports who called.
  request.resume();
  request.on('end', () => {
    sendJson(response, 200, {
      service: 'headers',
      method: request.method,
      path: request.url,
      userId,
      sessionId,
      carrier: single(request.headers, 'x-auth-carrier'),
      received,
    });
  });
});

server.listen(port, host, () => {
  const address = server.address();
  console.log(`headers-service listening on http://${host}:${address.port}`);
});

for (const signal of ['SIGTERM', 'SIGINT']) {
  process.once(signal, () => {
    server.close();
    server.closeAllConnections();
  });
}
