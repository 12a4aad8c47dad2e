import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { PLAYGROUND_RENDER_JS } from './assets/playground-render.js';
import { PLAYGROUND_JS } from './assets/playground-script.js';
import { STYLES_CSS } from './assets/styles.js';

/**
 * Static assets of the pages: the stylesheet and the playground modules (TypeScript string
 * constants, since tsc copies no .css/.js files), and the compiled client SDK from
 * dist/client/, served at /assets/client/*.js so the playground runs the real SDK. Assets are
 * revalidated (ETag) rather than cached blindly, so a deploy is seen at once.
 */

interface Asset {
  readonly type: string;
  readonly body: string;
  readonly etag: string;
}

const JS = 'text/javascript; charset=utf-8';
const FAVICON_SVG =
  '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 16 16"><rect width="16" height="16" rx="3" fill="#0b57d0"/>' +
  '<path d="M4 4h8v2H9v6H7V6H4z" fill="#fff"/></svg>';
const asset = (type: string, body: string): Asset => ({ type, body, etag: `"${createHash('sha256').update(body).digest('base64url').slice(0, 22)}"` });

/** Only plain module names: no path separators, no dot segments, nothing but the SDK's files. */
const CLIENT_FILE = /^[a-z][a-z0-9-]{0,40}\.js$/;

/** The directory of the compiled SDK: dist/client next to dist/server, or the repo's dist/ when running from src/. */
function findClientDirectory(): string | null {
  for (const candidate of ['../../client/', '../../../dist/client/']) {
    const directory = fileURLToPath(new URL(candidate, import.meta.url));
    if (existsSync(join(directory, 'index.js'))) return directory;
  }
  return null;
}

/** Adds the asset routes. */
export function registerAssetRoutes(scope: FastifyInstance): void {
  const fixed: Record<string, Asset> = {
    '/assets/styles.css': asset('text/css; charset=utf-8', STYLES_CSS),
    '/assets/playground.js': asset(JS, PLAYGROUND_JS),
    '/assets/playground-render.js': asset(JS, PLAYGROUND_RENDER_JS),
    // Without an icon, browsers ask for /favicon.ico on every page.
    '/assets/favicon.svg': asset('image/svg+xml', FAVICON_SVG),
  };
  const send = (request: FastifyRequest, reply: FastifyReply, file: Asset): FastifyReply => {
    reply.header('cache-control', 'no-cache').header('etag', file.etag);
    if (request.headers['if-none-match'] === file.etag) return reply.code(304).send();
    return reply.type(file.type).send(file.body);
  };
  for (const [path, file] of Object.entries(fixed)) scope.get(path, (request, reply) => send(request, reply, file));

  const clientDirectory = findClientDirectory();
  const clientFiles = new Map<string, Asset | null>();
  scope.get<{ Params: { file: string } }>('/assets/client/:file', (request, reply) => {
    const { file } = request.params;
    if (!clientFiles.has(file)) {
      const path = CLIENT_FILE.test(file) && clientDirectory ? join(clientDirectory, file) : null;
      clientFiles.set(file, path && existsSync(path) ? asset(JS, readFileSync(path, 'utf8')) : null);
      if (clientFiles.size > 64) clientFiles.clear(); // unknown names must not grow the cache
    }
    const found = clientFiles.get(file);
    if (!found) return reply.code(404).type('text/plain; charset=utf-8').send('Not found.');
    return send(request, reply, found);
  });
}
