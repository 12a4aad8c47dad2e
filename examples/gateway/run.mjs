#!/usr/bin/env node
// One command for the whole gateway example: Tessera (the built dist/, SQLite in a temporary
// data directory), the two example services and nginx in front of them, each on 127.0.0.1.
// It builds nothing: run `npm run build` first. Ctrl-C stops everything and removes the
// temporary files.
//
//   node examples/gateway/run.mjs [--port 8080]
//
// Environment: GATEWAY_PORT (default 8080; 0 = any free port), NGINX_BIN (default: nginx on
// PATH, else /usr/sbin/nginx).

import { execFileSync, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chmodSync, copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { delimiter, dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

const here = dirname(fileURLToPath(import.meta.url));
const root = resolve(here, '../..');
const cli = join(root, 'dist/cli/main.js');

const { values } = parseArgs({ options: { port: { type: 'string' }, help: { type: 'boolean', short: 'h' } } });
if (values.help) {
  console.log('Usage: node examples/gateway/run.mjs [--port N]   (run `npm run build` first)');
  process.exit(0);
}
if (!existsSync(cli) || !existsSync(join(root, 'dist/verifier/index.js'))) {
  console.error('dist/ is missing: run `npm run build` first.');
  process.exit(1);
}

function findNginx() {
  const candidates = [process.env.NGINX_BIN, ...(process.env.PATH ?? '').split(delimiter).map((dir) => join(dir, 'nginx')), '/usr/sbin/nginx'];
  const found = candidates.find((path) => path && existsSync(path));
  if (!found) {
    console.error('nginx is not installed (Debian: apt-get install nginx), or set NGINX_BIN.');
    process.exit(1);
  }
  return found;
}

function freePort() {
  return new Promise((resolvePort, reject) => {
    const probe = createServer();
    probe.once('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const { port } = probe.address();
      probe.close(() => resolvePort(port));
    });
  });
}

function portIsFree(port) {
  return new Promise((resolveFree) => {
    const probe = createServer();
    probe.once('error', () => resolveFree(false));
    probe.listen(port, '127.0.0.1', () => probe.close(() => resolveFree(true)));
  });
}

const children = [];
const temporary = [];
let stopping = false;

/** Spawns a child with its output prefixed, resolving when `ready` appears in its output. */
function start(name, command, args, env, ready) {
  const child = spawn(command, args, { cwd: root, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  children.push({ name, child });
  return new Promise((resolveStart, reject) => {
    let seen = '';
    const onOutput = (chunk) => {
      const text = chunk.toString('utf8');
      for (const line of text.split('\n')) if (line.trim()) console.log(`[${name}] ${line}`);
      seen += text;
      const match = ready && ready.exec(seen);
      if (match) resolveStart(match);
    };
    child.stdout.on('data', onOutput);
    child.stderr.on('data', onOutput);
    child.once('error', reject);
    child.once('exit', (code, signal) => {
      if (!stopping) {
        console.error(`[${name}] exited (${signal ?? code}); stopping the example.`);
        void shutdown(1);
      }
      reject(new Error(`${name} exited before it was ready`));
    });
    if (!ready) resolveStart(null);
  });
}

async function shutdown(code) {
  if (stopping) return;
  stopping = true;
  // Reverse order: the gateway first, so nothing reaches a half-stopped backend.
  for (const { child } of children.slice().reverse()) {
    if (child.exitCode === null && child.signalCode === null) {
      const exited = new Promise((done) => child.once('exit', done));
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 5_000);
      await exited;
      clearTimeout(timer);
    }
  }
  for (const dir of temporary) rmSync(dir, { recursive: true, force: true });
  process.exit(code);
}
process.on('SIGINT', () => void shutdown(0));
process.on('SIGTERM', () => void shutdown(0));

try {
  const nginx = findNginx();
  const gatewayPort = Number(values.port ?? process.env.GATEWAY_PORT ?? 8080) || (await freePort());
  if (!(await portIsFree(gatewayPort))) throw new Error(`port ${gatewayPort} is taken: pass --port N (or 0 for any free port)`);
  const gateway = `http://127.0.0.1:${gatewayPort}`;
  const tesseraPort = await freePort();
  const tesseraUrl = `http://127.0.0.1:${tesseraPort}`;
  const dataDir = mkdtempSync(join(tmpdir(), 'tessera-gateway-data-'));
  temporary.push(dataDir);
  const clientSecret = randomBytes(32).toString('base64url');

  // Tessera: its public URL is the gateway (cookies, CSRF origin and the tokens' issuer all
  // name what the browser sees), and it trusts X-Forwarded-For because only nginx reaches it.
  await start('tessera', process.execPath, [cli, 'serve'], {
    HOST: '127.0.0.1',
    PORT: String(tesseraPort),
    TESSERA_DATA_DIR: dataDir,
    TESSERA_PUBLIC_URL: gateway,
    TESSERA_TRUST_PROXY: 'true',
    TESSERA_SECRET: randomBytes(32).toString('base64url'),
    TESSERA_CLIENTS: `token-service:${clientSecret}`,
  }, /Tessera listening on/);

  const [, headersUrl] = await start('headers-service', process.execPath, [join(here, 'services/headers-service.mjs')], { PORT: '0' }, /listening on (http:\/\/\S+)/);
  const [, tokenUrl] = await start('token-service', process.execPath, [join(here, 'services/token-service.mjs')], {
    PORT: '0',
    TESSERA_URL: tesseraUrl,
    TESSERA_ISSUER: gateway,
    TESSERA_CLIENT_ID: 'token-service',
    TESSERA_CLIENT_SECRET: clientSecret,
  }, /listening on (http:\/\/\S+)/);

  const prefix = mkdtempSync(join(tmpdir(), 'tessera-gateway-nginx-'));
  temporary.push(prefix);
  chmodSync(prefix, 0o755);
  for (const dir of ['logs', 'tmp']) mkdirSync(join(prefix, dir), { mode: 0o755 });
  const hostPort = (url) => new URL(url).host;
  const config = readFileSync(join(here, 'nginx.conf.template'), 'utf8').replace(/\{\{([A-Z_]+)\}\}/g, (whole, name) => {
    const value = {
      LISTEN: `127.0.0.1:${gatewayPort}`,
      TESSERA_SERVERS: `server 127.0.0.1:${tesseraPort};`,
      HEADERS_SERVICE: hostPort(headersUrl),
      TOKEN_SERVICE: hostPort(tokenUrl),
    }[name];
    if (value === undefined) throw new Error(`no value for ${whole}`);
    return value;
  });
  writeFileSync(join(prefix, 'nginx.conf'), config);
  copyFileSync(join(here, 'protected.conf'), join(prefix, 'protected.conf'));
  const nginxArgs = ['-p', `${prefix}/`, '-c', join(prefix, 'nginx.conf'), '-e', join(prefix, 'logs/error.log'), '-g', `daemon off; pid ${join(prefix, 'nginx.pid')};`];
  execFileSync(nginx, [...nginxArgs, '-t', '-q'], { stdio: 'inherit' });
  await start('nginx', nginx, nginxArgs, {}, null);

  console.log(`
Gateway example running (Ctrl-C stops it):
  gateway          ${gateway}           <- use this one
    ${gateway}/auth/...     Tessera's API (register, login, logout, ...)
    ${gateway}/headers/...  headers-service: trusts X-Auth-User-Id from the gateway
    ${gateway}/token/...    token-service: verifies X-Auth-Token with tessera/verifier
  tessera          ${tesseraUrl}  (data in ${dataDir})
  headers-service  ${headersUrl}
  token-service    ${tokenUrl}
  nginx prefix     ${prefix}  (config, logs)

Try it:
  curl -i ${gateway}/headers/hello                       # 401: no credential
  curl -s -H 'content-type: application/json' -d '{"email":"ada@example.com","password":"correct horse battery staple"}' ${gateway}/auth/register
  curl -s -H 'content-type: application/json' -d '{"email":"ada@example.com","password":"correct horse battery staple","carrier":"bearer"}' ${gateway}/auth/login
  curl -s -H "authorization: Bearer <access_token>" ${gateway}/token/hello   # 200 with the user's id
`);
} catch (error) {
  console.error(`run.mjs: ${error instanceof Error ? error.message : String(error)}`);
  await shutdown(1);
}
