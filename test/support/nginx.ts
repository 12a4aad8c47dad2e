import { execFileSync } from 'node:child_process';
import { chmodSync, copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { REPO_ROOT, type ManagedProcess, pollUntil, spawnProcess } from './processes.js';

/**
 * A private nginx for the gateway and multi-node tests, run from a temporary prefix directory
 * (config, logs, temp files, pid) in the foreground, so stopping it is killing one process.
 * The configuration is the example's own template (examples/gateway/), rendered with the
 * test's ports, so the tests check the configuration people copy.
 */

/** The example's directory. */
export const GATEWAY_EXAMPLE_DIR = join(REPO_ROOT, 'examples/gateway');

/** The values of the template's placeholders. */
export interface GatewayPorts {
  /** nginx's own port on 127.0.0.1. */
  readonly listenPort: number;
  /** One or more Tessera nodes (`host:port`), round-robin. */
  readonly tessera: readonly string[];
  readonly headersService: string;
  readonly tokenService: string;
}

/** Finds nginx: $NGINX_BIN, then PATH, then /usr/sbin (not on a non-root PATH on Debian). */
export function findNginx(): string {
  const candidates = [
    process.env.NGINX_BIN,
    ...(process.env.PATH ?? '').split(delimiter).filter(Boolean).map((dir) => join(dir, 'nginx')),
    '/usr/sbin/nginx',
    '/usr/local/sbin/nginx',
  ];
  const found = candidates.find((path): path is string => path !== undefined && existsSync(path));
  if (!found) throw new Error('nginx is not installed: `apt-get install nginx` (.ci/run does it), or set NGINX_BIN.');
  return found;
}

/** Replaces every `{{NAME}}` in `template`; throws on a placeholder without a value. */
export function renderTemplate(template: string, values: Readonly<Record<string, string>>): string {
  const rendered = template.replace(/\{\{([A-Z_]+)\}\}/g, (whole, name: string) => {
    const value = values[name];
    if (value === undefined) throw new Error(`No value for the placeholder ${whole}.`);
    return value;
  });
  return rendered;
}

/** The example's nginx.conf for these ports. */
export function renderGatewayConfig(ports: GatewayPorts): string {
  const template = readFileSync(join(GATEWAY_EXAMPLE_DIR, 'nginx.conf.template'), 'utf8');
  return renderTemplate(template, {
    LISTEN: `127.0.0.1:${ports.listenPort}`,
    TESSERA_SERVERS: ports.tessera.map((address) => `server ${address};`).join('\n        '),
    HEADERS_SERVICE: ports.headersService,
    TOKEN_SERVICE: ports.tokenService,
  });
}

/** A running nginx. */
export interface RunningNginx {
  /** `http://127.0.0.1:<port>` */
  readonly url: string;
  readonly prefix: string;
  readonly process: ManagedProcess;
  /** nginx's error log so far (for failure messages). */
  errorLog(): string;
  /** Stops nginx and removes its directory; idempotent. */
  stop(): Promise<void>;
}

/** Writes the config into a fresh prefix, checks it with `nginx -t`, starts nginx and waits until it answers. */
export async function startNginx(ports: GatewayPorts): Promise<RunningNginx> {
  const nginx = findNginx();
  const prefix = mkdtempSync(join(tmpdir(), 'tessera-nginx-'));
  // nginx's workers may run as an unprivileged user (when the tests run as root): let them
  // reach the temp directories inside the prefix.
  chmodSync(prefix, 0o755);
  for (const dir of ['logs', 'tmp']) mkdirSync(join(prefix, dir), { mode: 0o755 });
  const conf = join(prefix, 'nginx.conf');
  writeFileSync(conf, renderGatewayConfig(ports));
  copyFileSync(join(GATEWAY_EXAMPLE_DIR, 'protected.conf'), join(prefix, 'protected.conf'));
  const errorLogPath = join(prefix, 'logs/error.log');
  const globals = `daemon off; master_process on; pid ${join(prefix, 'nginx.pid')};`;
  const args = ['-p', `${prefix}/`, '-c', conf, '-e', errorLogPath, '-g', globals];
  try {
    execFileSync(nginx, [...args, '-t', '-q'], { stdio: 'pipe' });
  } catch (error) {
    const detail = (error as { stderr?: Buffer }).stderr?.toString() ?? String(error);
    rmSync(prefix, { recursive: true, force: true });
    throw new Error(`nginx -t refused the rendered gateway config:\n${detail}`, { cause: error });
  }
  const child = spawnProcess({ name: 'nginx', command: nginx, args });
  const url = `http://127.0.0.1:${ports.listenPort}`;
  const errorLog = (): string => (existsSync(errorLogPath) ? readFileSync(errorLogPath, 'utf8') : '');
  let stopped: Promise<void> | null = null;
  const stop = (): Promise<void> => {
    stopped ??= (async () => {
      // SIGTERM is nginx's fast shutdown; its workers exit with the master.
      await child.stop(3_000);
      rmSync(prefix, { recursive: true, force: true });
    })();
    return stopped;
  };
  try {
    // Any HTTP answer means it listens (the default location answers 404).
    await pollUntil(
      async () => {
        if (!child.running) throw new Error(`nginx exited: ${child.logs()}\n${errorLog()}`);
        const response = await fetch(`${url}/`, { signal: AbortSignal.timeout(1_000) });
        await response.arrayBuffer();
        return response.status === 404;
      },
      10_000,
      `nginx on ${url}`,
    );
  } catch (error) {
    const log = errorLog();
    await stop();
    throw new Error(`${(error as Error).message}\n${log}`, { cause: error });
  }
  return { url, prefix, process: child, errorLog, stop };
}
