import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createServer } from 'node:net';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * Child processes for end-to-end tests: `tessera serve` nodes, the example services, small
 * verifier scripts. Every process is spawned with an explicit environment, its output is kept
 * (for the failure message), and it is killed by `stopAll()` in afterAll — and, should a test
 * process die first, by an exit hook — so no run leaves a server behind.
 */

/** The repository root. */
export const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');

/** The built CLI that `tessera serve` runs. */
export const CLI_PATH = join(REPO_ROOT, 'dist/cli/main.js');

/** Throws a message that says what to do when the build output is missing. */
export function requireBuild(): void {
  const needed = [CLI_PATH, join(REPO_ROOT, 'dist/verifier/index.js')];
  const missing = needed.filter((path) => !existsSync(path));
  if (missing.length > 0) {
    throw new Error(
      `The end-to-end tests run the built server, but ${missing.join(', ')} is missing. ` +
        'Run `npm run build` first (`npm test` does it for you).',
    );
  }
}

/** A TCP port on 127.0.0.1 that was free a moment ago. */
export function freePort(): Promise<number> {
  return new Promise((resolvePort, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address !== null ? address.port : 0;
      server.close(() => (port > 0 ? resolvePort(port) : reject(new Error('No free port.'))));
    });
  });
}

/**
 * Calls `check` every `intervalMs` until it returns true (a throw counts as false); rejects
 * after `timeoutMs` naming `what`. The only kind of waiting these tests do.
 */
export async function pollUntil(check: () => boolean | Promise<boolean>, timeoutMs: number, what: string, intervalMs = 25): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  for (;;) {
    try {
      if (await check()) return;
    } catch (error) {
      lastError = error;
    }
    if (Date.now() >= deadline) {
      throw new Error(`Timed out after ${timeoutMs} ms waiting for ${what}.`, { cause: lastError });
    }
    await new Promise((done) => setTimeout(done, intervalMs));
  }
}

/** A spawned process. */
export interface ManagedProcess {
  readonly name: string;
  readonly pid: number | undefined;
  /** True until the process has exited. */
  readonly running: boolean;
  /** Everything it wrote to stdout and stderr so far (the last 200 KB). */
  logs(): string;
  /** Resolves when `pattern` appears in the output; rejects when the process exits first or after `timeoutMs`. */
  waitForOutput(pattern: RegExp, timeoutMs?: number): Promise<RegExpExecArray>;
  /** SIGTERM, then SIGKILL after `graceMs`; resolves once it has exited. Idempotent. */
  stop(graceMs?: number): Promise<void>;
}

/** What to spawn. */
export interface SpawnOptions {
  /** A label for logs and error messages. */
  readonly name: string;
  /** The command (`process.execPath` for a Node script). */
  readonly command: string;
  readonly args: readonly string[];
  /** Added to a cleaned copy of this process's environment (no TESSERA_*, PORT, HOST). */
  readonly env?: Readonly<Record<string, string>>;
  readonly cwd?: string;
}

const live = new Set<ChildProcess>();
let exitHookInstalled = false;

function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  // A crashed or timed-out test file must not leave servers running.
  process.once('exit', () => {
    for (const child of live) child.kill('SIGKILL');
  });
}

/**
 * The environment a child starts from: this process's, minus anything that would configure
 * Tessera behind the test's back (a developer's TESSERA_* variables, PORT, HOST) and minus
 * NODE_OPTIONS (the test runner's loader flags are not the child's business).
 */
function baseEnv(): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [key, value] of Object.entries(process.env)) {
    if (value === undefined) continue;
    if (key.startsWith('TESSERA_') || key === 'PORT' || key === 'HOST' || key === 'NODE_OPTIONS') continue;
    env[key] = value;
  }
  return env;
}

/** Spawns a process and starts collecting its output. */
export function spawnProcess(options: SpawnOptions): ManagedProcess {
  installExitHook();
  const child = spawn(options.command, [...options.args], {
    cwd: options.cwd ?? REPO_ROOT,
    env: { ...baseEnv(), ...options.env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  live.add(child);
  let output = '';
  let exited = false;
  const waiters = new Set<() => void>();
  const wake = (): void => {
    for (const waiter of [...waiters]) waiter();
  };
  const collect = (chunk: Buffer): void => {
    output = (output + chunk.toString('utf8')).slice(-200_000);
    wake();
  };
  child.stdout?.on('data', collect);
  child.stderr?.on('data', collect);
  const exit = new Promise<void>((resolveExit) => {
    const done = (): void => {
      if (exited) return;
      exited = true;
      live.delete(child);
      wake();
      resolveExit();
    };
    child.once('exit', done);
    child.once('error', (error) => {
      output += `\n[spawn error] ${error.message}\n`;
      done();
    });
  });

  let stopping: Promise<void> | null = null;
  const managed: ManagedProcess = {
    name: options.name,
    pid: child.pid,
    get running() {
      return !exited;
    },
    logs: () => output,
    waitForOutput(pattern, timeoutMs = 15_000) {
      return new Promise((resolveMatch, reject) => {
        const check = (): void => {
          const match = pattern.exec(output);
          if (match) {
            finish();
            resolveMatch(match);
          } else if (exited) {
            finish();
            reject(new Error(`${options.name} exited before printing ${pattern}. Output:\n${output}`));
          }
        };
        const timer = setTimeout(() => {
          finish();
          reject(new Error(`${options.name} did not print ${pattern} within ${timeoutMs} ms. Output:\n${output}`));
        }, timeoutMs);
        const finish = (): void => {
          clearTimeout(timer);
          waiters.delete(check);
        };
        waiters.add(check);
        check();
      });
    },
    stop(graceMs = 5_000) {
      stopping ??= (async () => {
        if (exited) return;
        child.kill('SIGTERM');
        const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
        await exit;
        clearTimeout(timer);
      })();
      return stopping;
    },
  };
  return managed;
}

/** A running `tessera serve` node. */
export interface TesseraNode extends ManagedProcess {
  readonly port: number;
  /** `http://127.0.0.1:<port>`: the node itself, not the gateway. */
  readonly url: string;
}

/**
 * Starts `node dist/cli/main.js serve` on `port` with `env`, and resolves once it printed its
 * listening line and answers GET /healthz.
 */
export async function startTesseraNode(options: { name: string; port: number; env: Readonly<Record<string, string>>; timeoutMs?: number }): Promise<TesseraNode> {
  requireBuild();
  const { port } = options;
  const child = spawnProcess({
    name: options.name,
    command: process.execPath,
    args: [CLI_PATH, 'serve'],
    env: { HOST: '127.0.0.1', PORT: String(port), TESSERA_LOG_LEVEL: 'warn', ...options.env },
  });
  const url = `http://127.0.0.1:${port}`;
  try {
    await child.waitForOutput(/Tessera listening on/, options.timeoutMs ?? 20_000);
    await waitForHttp(`${url}/healthz`, options.timeoutMs ?? 20_000, child);
  } catch (error) {
    await child.stop();
    throw error;
  }
  return withFields(child, { port, url });
}

/** Starts a Node ESM script and waits for `listening on http://…` on its output; returns the URL. */
export async function startNodeScript(options: { name: string; script: string; env: Readonly<Record<string, string>>; timeoutMs?: number }): Promise<ManagedProcess & { readonly url: string }> {
  requireBuild();
  const child = spawnProcess({ name: options.name, command: process.execPath, args: [options.script], env: options.env });
  let url: string;
  try {
    const match = await child.waitForOutput(/listening on (http:\/\/[\d.]+:\d+)/, options.timeoutMs ?? 15_000);
    url = match[1] as string;
  } catch (error) {
    await child.stop();
    throw error;
  }
  return withFields(child, { url });
}

/** A view of `child` with extra read-only fields (`running` stays live). */
function withFields<T extends object>(child: ManagedProcess, fields: T): ManagedProcess & T {
  return {
    ...fields,
    name: child.name,
    pid: child.pid,
    get running() {
      return child.running;
    },
    logs: child.logs,
    waitForOutput: child.waitForOutput,
    stop: child.stop,
  };
}

/** Polls `url` until it answers 2xx; fails early when `process` exits. */
export async function waitForHttp(url: string, timeoutMs: number, process?: ManagedProcess): Promise<void> {
  await pollUntil(
    async () => {
      if (process && !process.running) throw new Error(`${process.name} exited. Output:\n${process.logs()}`);
      const response = await fetch(url, { signal: AbortSignal.timeout(2_000) });
      await response.arrayBuffer();
      return response.ok;
    },
    timeoutMs,
    `${url} to answer`,
  );
}

/** Stops every process given (in parallel); never throws, so afterAll always finishes. */
export async function stopAll(processes: Iterable<ManagedProcess | undefined | null>): Promise<void> {
  await Promise.allSettled([...processes].filter((p): p is ManagedProcess => p != null).map((p) => p.stop()));
}
