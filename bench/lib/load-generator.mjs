import { fileURLToPath } from 'node:url';
import { startChild } from './processes.mjs';

/**
 * The harness's handle on the load-generator process: `run(options)` fires one autocannon run
 * (options as autocannon takes them: url, method, headers, body, connections, pipelining,
 * duration in seconds) and resolves to a summary counting 2xx responses only.
 */

const WORKER = fileURLToPath(new URL('./load-worker.mjs', import.meta.url));

/** Starts the load generator behind `prefix` (e.g. `taskset -c 1`). */
export async function startLoadGenerator(prefix) {
  const worker = await startChild({ name: 'load generator', script: WORKER, prefix });
  let nextId = 0;
  const pending = new Map();
  worker.child.on('message', (message) => {
    if (message?.type !== 'result') return;
    const job = pending.get(message.id);
    if (!job) return;
    pending.delete(message.id);
    if (message.error) job.reject(new Error(`load generator: ${message.error}`));
    else job.resolve(message.result);
  });
  worker.child.on('exit', () => {
    for (const job of pending.values()) job.reject(new Error('load generator exited mid-run'));
    pending.clear();
  });
  return {
    pid: worker.pid,
    run(options) {
      const id = ++nextId;
      return new Promise((resolve, reject) => {
        pending.set(id, { resolve, reject });
        worker.child.send({ type: 'run', id, options });
      });
    },
    close: () => worker.close(),
  };
}
