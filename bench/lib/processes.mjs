import { spawn } from 'node:child_process';
import { nodeCommand } from './pinning.mjs';

/**
 * Child processes of a benchmark: every server (and the load generator) runs in its own
 * process so it has a core to itself and cannot borrow the harness's. They talk to the harness
 * over Node's IPC channel, which survives `taskset` because taskset execs node in place (the
 * child's pid is node's pid).
 */

const READY_TIMEOUT_MS = 30_000;

/**
 * Starts a Node script that sends `{ type: 'ready', url }` when it listens (see
 * bench/servers/*.mjs). Resolves to `{ name, url, pid, info, close() }`.
 */
export async function startChild({ name, script, env = {}, prefix = [], nodeArgs = [], readyTimeoutMs = READY_TIMEOUT_MS }) {
  const [command, args] = nodeCommand(prefix, script, nodeArgs);
  const child = spawn(command, args, {
    env: { ...process.env, ...env },
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  let exited = null;
  const exit = new Promise((resolve) => {
    child.once('exit', (code, signal) => {
      exited = { code, signal };
      resolve(exited);
    });
  });

  const ready = await new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`${name}: not ready after ${readyTimeoutMs} ms`));
    }, readyTimeoutMs);
    const onMessage = (message) => {
      if (message?.type === 'ready') {
        cleanup();
        resolve(message);
      } else if (message?.type === 'error') {
        cleanup();
        reject(new Error(`${name}: ${message.message}`));
      }
    };
    const onExit = (code, signal) => {
      cleanup();
      reject(new Error(`${name}: exited before it was ready (code ${code}, signal ${signal})`));
    };
    const onError = (error) => {
      cleanup();
      reject(new Error(`${name}: could not start (${error.message})`));
    };
    function cleanup() {
      clearTimeout(timer);
      child.off('message', onMessage);
      child.off('exit', onExit);
      child.off('error', onError);
    }
    child.on('message', onMessage);
    child.once('exit', onExit);
    child.once('error', onError);
  });

  return {
    name,
    child,
    pid: child.pid,
    url: ready.url,
    info: ready.info ?? {},
    /** True while the process runs (a crashed server must fail the run, not skew it). */
    get alive() {
      return exited === null;
    },
    /** How it ended (`{ code, signal }`), or null while it runs. */
    get exitStatus() {
      return exited;
    },
    /** Asks the child to stop (closing its server and stores), then kills it after a grace period. */
    async close(graceMs = 5_000) {
      if (exited) return exited;
      if (child.connected) child.send({ type: 'stop' });
      else child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
      const result = await exit;
      clearTimeout(timer);
      return result;
    },
  };
}

/**
 * The child side: tells the parent the server is ready and closes it when asked (or when the
 * parent goes away, so an interrupted run leaves no orphans behind).
 */
export function serveUntilStopped(url, close, info = {}) {
  let stopping = false;
  const stop = async () => {
    if (stopping) return;
    stopping = true;
    try {
      await close();
    } finally {
      process.exit(0);
    }
  };
  if (process.send) {
    process.on('message', (message) => {
      if (message?.type === 'stop') void stop();
    });
    process.on('disconnect', () => void stop());
    process.send({ type: 'ready', url, info });
  } else {
    console.log(`listening on ${url}`);
  }
  process.on('SIGTERM', () => void stop());
  process.on('SIGINT', () => void stop());
}

/** Reports a start-up failure to the parent and exits non-zero. */
export function failStartup(error) {
  const message = error instanceof Error ? error.message : String(error);
  if (process.send) process.send({ type: 'error', message }, () => process.exit(1));
  else {
    console.error(message);
    process.exit(1);
  }
}
