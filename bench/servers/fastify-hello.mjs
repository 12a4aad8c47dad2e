/**
 * Baseline: a bare Fastify 5 hello-world (`GET /` → `{"hello":"world"}`), default options, no
 * logger. The ceiling for any Fastify route on this machine.
 */
import Fastify from 'fastify';
import { failStartup, serveUntilStopped } from '../lib/processes.mjs';

try {
  const app = Fastify({ logger: false });
  app.get('/', async () => ({ hello: 'world' }));
  const address = await app.listen({ host: '127.0.0.1', port: Number(process.env.PORT ?? 0) });
  serveUntilStopped(address, () => app.close());
} catch (error) {
  failStartup(error);
}
