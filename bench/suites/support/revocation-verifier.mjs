/**
 * One verifier process of the revocation-latency suite: `createVerifier` from dist/verifier
 * (tessera/verifier), exactly as a service runs it, against a Tessera node's JWKS and its
 * `/auth/revocations` SSE feed with a client credential (BENCH_JWKS_URL, BENCH_REVOCATIONS_URL,
 * BENCH_ISSUER, BENCH_AUDIENCE, BENCH_CLIENT_ID, BENCH_CLIENT_SECRET).
 *
 * Protocol (IPC):
 *   → `{ type: 'clock', id }`         ← `{ type: 'clock', id, now }`   (shared clock, for calibration)
 *   → `{ type: 'arm', id, token }`    ← `{ type: 'armed', id, sid }`   the token verifies now; watching starts
 *                                     ← `{ type: 'refused', id, at, code }` first refusal (or code 'timeout')
 *
 * While armed, the token is checked with `verifySync` every millisecond (a 1 ms interval) and
 * also right after each chunk the feed delivers has been handled (the feed's fetch is wrapped to
 * schedule a check with setImmediate, which runs after the verifier's parser has applied the
 * chunk), so a refusal is seen within a millisecond of the moment it took effect, without a busy
 * loop stealing the core from the other seven. `at` is `performance.timeOrigin + performance.now()`:
 * a clock shared by every process on this machine.
 */
import { setImmediate } from 'node:timers';
import { TransformStream } from 'node:stream/web';

const dist = new URL('../../../dist/', import.meta.url);
const { createVerifier } = await import(new URL('verifier/index.js', dist).href);

const clock = () => performance.timeOrigin + performance.now();
const ARM_TIMEOUT_MS = 10_000;

let armed = null; // { id, token, timer, deadline }
let feedChunks = 0;

function check() {
  if (armed === null) return;
  const current = armed;
  let code = null;
  try {
    current.verifier.verifySync(current.token);
  } catch (error) {
    code = error?.code ?? 'error';
  }
  const at = clock();
  if (code === null) {
    if (at > current.deadline) finish(current, null, 'timeout');
    return;
  }
  finish(current, at, code);
}

function finish(current, at, code) {
  if (armed !== current) return;
  armed = null;
  clearInterval(current.timer);
  process.send({ type: 'refused', id: current.id, at, code, feedChunks });
}

/** fetch for the verifier: the feed's body passes through a stream that schedules a check per chunk. */
const watchingFetch = async (url, init) => {
  const response = await fetch(url, init);
  if (!String(url).includes('/auth/revocations') || response.body === null) return response;
  const watched = response.body.pipeThrough(
    new TransformStream({
      transform(chunk, controller) {
        controller.enqueue(chunk);
        feedChunks++;
        if (armed !== null) setImmediate(check);
      },
    }),
  );
  return new globalThis.Response(watched, { status: response.status, statusText: response.statusText, headers: response.headers });
};

try {
  const errors = [];
  const verifier = createVerifier({
    issuer: process.env.BENCH_ISSUER,
    audience: process.env.BENCH_AUDIENCE,
    jwksUrl: process.env.BENCH_JWKS_URL,
    revocationsUrl: process.env.BENCH_REVOCATIONS_URL,
    clientId: process.env.BENCH_CLIENT_ID,
    clientSecret: process.env.BENCH_CLIENT_SECRET,
    fetch: watchingFetch,
    onError: (error) => errors.push(error.message),
  });
  const timeout = setTimeout(() => {
    process.send({ type: 'error', message: `verifier not ready after 15 s (${errors.slice(-3).join('; ') || 'no error reported'})` }, () => process.exit(1));
  }, 15_000);
  await verifier.ready();
  clearTimeout(timeout);

  process.on('message', (message) => {
    if (message?.type === 'stop') {
      void verifier.close().finally(() => process.exit(0));
    } else if (message?.type === 'clock') {
      process.send({ type: 'clock', id: message.id, now: clock() });
    } else if (message?.type === 'arm') {
      if (armed !== null) finish(armed, null, 'superseded');
      let claims;
      try {
        claims = verifier.verifySync(message.token);
      } catch (error) {
        process.send({ type: 'armed', id: message.id, error: `${error?.code ?? 'error'}: ${error?.message}` });
        return;
      }
      const current = { id: message.id, token: message.token, verifier, deadline: clock() + ARM_TIMEOUT_MS, timer: null };
      current.timer = setInterval(check, 1);
      armed = current;
      process.send({ type: 'armed', id: message.id, sid: claims.sid });
    } else if (message?.type === 'status') {
      process.send({ type: 'status', id: message.id, status: verifier.status, errors: errors.slice(-5), feedChunks });
    }
  });
  process.on('disconnect', () => process.exit(0));
  process.send({ type: 'ready', url: null, info: { status: verifier.status } });
} catch (error) {
  process.send?.({ type: 'error', message: error instanceof Error ? error.message : String(error) }, () => process.exit(1));
}
