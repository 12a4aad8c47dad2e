/**
 * An app embedding Tessera the documented way: `startServer` from the build (dist/), configured
 * by the environment as `tessera serve` is, with the app's own route added through the
 * `configure` hook — one Fastify instance, one origin — and protected by `requireAuth` from
 * `tessera/middleware/fastify`:
 *
 *   GET /hello   (preHandler requireAuth) → {"hello":"world","user":"<user id>"}
 *   GET /public  no authentication          → {"hello":"world"}  (diagnostic: the cost of Tessera's
 *                                                Fastify instance itself — its hooks and metrics)
 *
 * With `Authorization: Bearer <access token>` the hook verifies the token (signature, claims,
 * verified-token cache, revocation set) and loads its live session and user; anything else is a
 * 401 from the hook. Everything else about the server is Tessera's (its hooks, metrics, routes).
 */
import { failStartup, serveUntilStopped } from '../lib/processes.mjs';

const dist = new URL('../../dist/', import.meta.url);

try {
  const { startServer } = await import(new URL('server/start.js', dist).href);
  const { requireAuth } = await import(new URL('middleware/fastify.js', dist).href);
  const server = await startServer({
    env: process.env,
    configure(app, tessera) {
      app.decorateRequest('auth', null);
      app.get('/hello', { preHandler: requireAuth(tessera) }, async (request) => ({ hello: 'world', user: request.auth.user.id }));
      app.get('/public', async () => ({ hello: 'world' }));
    },
  });
  serveUntilStopped(server.url, () => server.close(), { sessionStore: server.tessera.config.sessionStore });
} catch (error) {
  failStartup(error);
}
