/**
 * The load generator of the refresh-throughput suite (pinned to the load core): autocannon 9,
 * programmatic, like bench/lib/load-worker.mjs, plus a refresh mode that a fixed request cannot
 * express. Each refresh must present its session's *latest* refresh token, so:
 *
 *   - the suite hands over a pool of bearer sessions per server (`{ type: 'pool', origin, tokens }`);
 *   - every request takes the session at the head of a FIFO of idle sessions (`setupRequest`), so
 *     consecutive requests hit different sessions and a session is never in flight twice;
 *   - every 200 answer carries the session's next refresh token (its id is the token's prefix),
 *     which replaces the old one, and the session goes back to the tail (`onResponse`).
 *
 * A run that ends leaves up to `connections` sessions whose last request may or may not have
 * been processed. Right after the run each of them presents its last known token once more
 * (`resync`, not timed): if the server had rotated it, that is inside Tessera's refresh grace
 * window and returns the current pair; if not, it rotates now. Either way the pool knows every
 * session's latest token again; a session that fails this is retired (counted).
 *
 * Jobs: `{ type: 'run', id, options }` (options as autocannon takes them; `refreshPool: origin`
 * selects the refresh mode) → `{ type: 'result', id, result }`; `{ type: 'pool', id, origin,
 * tokens }` → `{ type: 'pool-ok', id, size }`; `{ type: 'pool-state', id, origin }` →
 * `{ type: 'pool-state', id, sessions, retired, refreshed, sample }`.
 */
import autocannon from 'autocannon';
import { request as httpRequest } from 'node:http';
import { summariseLoad } from '../../lib/load-summary.mjs';

const pools = new Map();

const sessionOf = (token) => token.slice(0, token.indexOf('.'));

/** One refresh outside autocannon (resync); resolves to the new refresh token or null. */
function refreshOnce(origin, token) {
  return new Promise((resolve) => {
    const body = JSON.stringify({ refresh_token: token });
    const req = httpRequest(new URL('/auth/refresh', origin), { method: 'POST', headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) } }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (chunk) => (text += chunk));
      res.on('end', () => {
        try {
          resolve(res.statusCode === 200 ? JSON.parse(text).refresh_token : null);
        } catch {
          resolve(null);
        }
      });
    });
    req.on('error', () => resolve(null));
    req.end(body);
  });
}

async function runRefresh(options) {
  const origin = options.refreshPool;
  const pool = pools.get(origin);
  if (!pool) throw new Error(`no session pool for ${origin}`);
  if (pool.idle.length < options.connections * 2) throw new Error(`only ${pool.idle.length} idle sessions left for ${options.connections} connections`);
  const inFlight = new Set();
  const failures = []; // the first few non-200 answers, so a failed run says why
  let unexpected = 0;
  const autocannonOptions = { ...options };
  delete autocannonOptions.refreshPool;
  const result = await autocannon({
    ...autocannonOptions,
    method: 'POST',
    requests: [
      {
        method: 'POST',
        path: '/auth/refresh',
        headers: { 'content-type': 'application/json' },
        setupRequest(req) {
          const sid = pool.idle.shift();
          inFlight.add(sid);
          return { ...req, body: `{"refresh_token":"${pool.tokens.get(sid)}"}` };
        },
        onResponse(status, body) {
          if (status !== 200) {
            // Counted as non-2xx by autocannon: the run fails. Keep the answer for the report.
            if (failures.length < 3) failures.push(`${status} ${String(body).slice(0, 200)}`);
            return;
          }
          let token;
          try {
            token = JSON.parse(body).refresh_token;
          } catch {
            unexpected++;
            return;
          }
          const sid = typeof token === 'string' ? sessionOf(token) : '';
          if (!inFlight.delete(sid)) {
            unexpected++;
            return;
          }
          pool.tokens.set(sid, token);
          pool.idle.push(sid);
          pool.refreshed++;
        },
      },
    ],
  });
  // Resync the sessions the run left in flight (see the header comment); not timed.
  const stranded = [...inFlight];
  const fresh = await Promise.all(stranded.map((sid) => refreshOnce(origin, pool.tokens.get(sid))));
  let retired = 0;
  stranded.forEach((sid, i) => {
    const token = fresh[i];
    if (token && sessionOf(token) === sid) {
      pool.tokens.set(sid, token);
      pool.idle.push(sid);
    } else {
      retired++;
      pool.retired++;
    }
  });
  return summariseLoad(result, { unexpectedBodies: unexpected, resynced: stranded.length - retired, retired, failures });
}

process.on('message', async (message) => {
  if (message?.type === 'stop') process.exit(0);
  try {
    if (message?.type === 'pool') {
      const tokens = new Map(message.tokens.map((token) => [sessionOf(token), token]));
      pools.set(message.origin, { tokens, idle: [...tokens.keys()], retired: 0, refreshed: 0 });
      process.send({ type: 'pool-ok', id: message.id, size: tokens.size });
    } else if (message?.type === 'pool-state') {
      const pool = pools.get(message.origin);
      process.send({
        type: 'pool-state',
        id: message.id,
        sessions: pool.idle.length,
        retired: pool.retired,
        refreshed: pool.refreshed,
        sample: pool.idle.slice(0, 5).map((sid) => pool.tokens.get(sid)),
      });
    } else if (message?.type === 'run') {
      const { options } = message;
      const result = options.refreshPool ? await runRefresh(options) : summariseLoad(await autocannon(options));
      process.send({ type: 'result', id: message.id, result });
    }
  } catch (error) {
    process.send({ type: 'result', id: message.id, error: error instanceof Error ? error.message : String(error) });
  }
});
process.on('disconnect', () => process.exit(0));
process.send({ type: 'ready', url: null, info: { autocannon: true } });
