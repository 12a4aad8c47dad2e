/**
 * Helper processes of the suites that are not HTTP servers (a measuring child, a custom load
 * generator, revocation verifiers). They are started like the harness starts servers — their
 * own process, pinned with `taskset`, a `ready` handshake over IPC (bench/lib/processes.mjs) —
 * and closed after the suite. BENCH_CPU_PROF=<name> profiles them too, as it does servers.
 */
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startChild } from '../../lib/processes.mjs';

const supportDir = fileURLToPath(new URL('.', import.meta.url));
const resultsDir = fileURLToPath(new URL('../../results/', import.meta.url));

/**
 * Starts bench/suites/support/<script> pinned to `core` ('server' = core 0, 'load' = core 1, or
 * 'none'), closed after the suite. Resolves to the handle of startChild.
 */
export async function startHelper(ctx, { name, script, core = 'server', env = {}, nodeArgs = [] }) {
  const prefix = core === 'none' ? [] : ctx.pinning[core];
  const profile = ctx.profileServer && name.includes(ctx.profileServer)
    ? ['--cpu-prof', `--cpu-prof-dir=${join(resultsDir, 'profiles')}`, `--cpu-prof-name=${name}-${ctx.runId}.cpuprofile`]
    : [];
  if (profile.length > 0) ctx.log(`  PROFILING ${name}: its figures in this run are not comparable`);
  const child = await startChild({ name, script: join(supportDir, script), env, prefix, nodeArgs: [...profile, ...nodeArgs] });
  ctx.onCleanup(() => child.close());
  return child;
}

/**
 * Sends `message` to a helper and resolves with the first reply of type `replyType` (rejects on
 * a `failed` reply, on exit, or after `timeoutMs`).
 */
export function ask(child, message, replyType, timeoutMs = 600_000) {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => finish(new Error(`${child.name}: no ${replyType} after ${timeoutMs} ms`)), timeoutMs);
    const onMessage = (reply) => {
      if (reply?.type === replyType) finish(null, reply);
      else if (reply?.type === 'failed') finish(new Error(`${child.name}: ${reply.message}`));
    };
    const onExit = (code, signal) => finish(new Error(`${child.name} exited (code ${code}, signal ${signal})`));
    function finish(error, reply) {
      clearTimeout(timer);
      child.child.off('message', onMessage);
      child.child.off('exit', onExit);
      if (error) reject(error);
      else resolve(reply);
    }
    child.child.on('message', onMessage);
    child.child.once('exit', onExit);
    child.child.send(message);
  });
}
