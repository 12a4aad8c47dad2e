/**
 * The setup most users would pick instead of Tessera: Express 5 + express-session +
 * connect-redis (node-redis client) on a local Redis, configured as the express-session README
 * recommends (resave: false, saveUninitialized: false) with a cookie like Tessera's (HttpOnly,
 * SameSite=Lax, 12 h Max-Age). `POST /login` puts a user in the session (no password check:
 * only the session read is measured); `GET /session` returns the session's user as JSON or 401.
 * Each authenticated request costs one Redis GET plus the EXPIRE that express-session's
 * `touch` sends on every request.
 *
 * Environment: BENCH_REDIS_URL (default redis://127.0.0.1:6379), BENCH_SESSION_PREFIX (a key
 * prefix unique to the run, so the harness can delete exactly its own keys afterwards).
 */
import express from 'express';
import session from 'express-session';
import { RedisStore } from 'connect-redis';
import { createClient } from 'redis';
import { randomBytes } from 'node:crypto';
import { failStartup, serveUntilStopped } from '../lib/processes.mjs';

try {
  const prefix = process.env.BENCH_SESSION_PREFIX;
  if (!prefix) throw new Error('BENCH_SESSION_PREFIX must be set (a key prefix unique to this run)');
  const client = createClient({ url: process.env.BENCH_REDIS_URL ?? 'redis://127.0.0.1:6379' });
  client.on('error', (error) => console.error(`express-session-redis: redis error: ${error.message}`));
  await client.connect();

  const app = express();
  app.use(
    session({
      store: new RedisStore({ client, prefix }),
      secret: randomBytes(32).toString('hex'),
      resave: false,
      saveUninitialized: false,
      cookie: { httpOnly: true, sameSite: 'lax', maxAge: 12 * 60 * 60 * 1000 },
    }),
  );
  app.post('/login', express.json(), (req, res) => {
    const email = req.body?.email;
    if (typeof email !== 'string') return res.status(400).json({ error: 'email required' });
    req.session.user = { id: randomBytes(16).toString('base64url'), email };
    res.json({ user: req.session.user });
  });
  app.get('/session', (req, res) => {
    if (!req.session.user) return res.status(401).json({ error: 'unauthenticated' });
    res.json({ user: req.session.user });
  });

  const server = await new Promise((resolve, reject) => {
    const s = app.listen(Number(process.env.PORT ?? 0), '127.0.0.1', (error) => (error ? reject(error) : resolve(s)));
  });
  const { port } = server.address();
  serveUntilStopped(`http://127.0.0.1:${port}`, async () => {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(() => resolve()));
    await client.quit();
  });
} catch (error) {
  failStartup(error);
}
