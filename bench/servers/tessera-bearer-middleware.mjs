/**
 * An app embedding Tessera the documented way: `startServer` from the build (dist/), configured
 * by the environment as `tessera serve` is, with the app's own route added through the
 * `configure` hook — one Fastify instance, one origin — and protected by `requireAuth` from
 * `tessera/middleware/fastify`:
 *
 *   GET /hello   (preHandler requireAuth; Tessera's server fuses it into the handler, see
 *                fuseAuthHooks) → {"hello":"world","user":"<user id>"}
 *   GET /public  no authentication          → {"hello":"world"}  (diagnostic: the cost of Tessera's
 *                                                Fastify instance itself — its hooks and metrics)
 *   GET /stateless  (diagnostic) a synchronous preHandler calling Tessera's own access-token
 *                verifier (`tessera.tokens.verifier.verify`: signature or cache hit, claims,
 *                revocation set) and nothing else — no session or user lookup, no await —
 *                → {"hello":"world","user":"<sub>"}: what a stateless bearer check costs here
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
      const bearer = /^[Bb][Ee][Aa][Rr][Ee][Rr] ([A-Za-z0-9\-._~+/]+=*)$/;
      const stateless = (request, reply, done) => {
        const match = bearer.exec(request.headers.authorization ?? '');
        try {
          if (!match) throw new Error('no bearer token');
          request.claims = tessera.tokens.verifier.verify(match[1]);
        } catch {
          reply.code(401).send({ code: 'invalid_token' });
          return;
        }
        done();
      };
      app.decorateRequest('claims', null);
      app.get('/stateless', { preHandler: stateless }, (request, reply) => {
        reply.send({ hello: 'world', user: request.claims.sub });
      });
    },
  });
  serveUntilStopped(server.url, () => server.close(), { sessionStore: server.tessera.config.sessionStore });
} catch (error) {
  failStartup(error);
}
