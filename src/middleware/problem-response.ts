import type { ServerResponse } from 'node:http';
import { RateLimitedError } from '../core/errors.js';
import type { Tessera } from '../core/tessera.js';
import { serializeClearedCookie } from '../server/cookies.js';
import { toProblem } from '../server/problem.js';

/**
 * A refused request, framework-neutral: every adapter sends exactly what the Tessera server
 * would (RFC 9457 problem document, same codes and headers), so a client cannot tell a route
 * behind the middleware from one of Tessera's own.
 */

/** Status, headers and serialised body of a problem response. */
export interface ProblemResponse {
  readonly status: number;
  readonly headers: Readonly<Record<string, string>>;
  readonly body: string;
}

/** Maps a thrown value to the problem response; unknown errors become a generic 500. */
export function toProblemResponse(error: unknown, tessera: Tessera): ProblemResponse {
  const problem = toProblem(error);
  // The answer depends on the credential, so no cache may keep it.
  const headers: Record<string, string> = {
    'content-type': 'application/problem+json; charset=utf-8',
    'cache-control': 'no-store',
  };
  if (error instanceof RateLimitedError) headers['retry-after'] = String(error.retryAfterSeconds);
  if (problem.status === 401) headers['www-authenticate'] = 'Bearer realm="tessera", Cookie';
  // Like the server: a dead session cookie is cleared so the browser stops sending it.
  if (problem.code === 'invalid_session') {
    headers['set-cookie'] = serializeClearedCookie(tessera.cookieNames.session, tessera.config);
  }
  return { status: problem.status, headers, body: JSON.stringify(problem) };
}

/** Writes a problem response to a Node response (node:http, connect, Express). */
export function writeNodeProblem(res: ServerResponse, response: ProblemResponse): void {
  // Something upstream already answered: the only safe thing left is to not add to it.
  if (res.headersSent) {
    if (!res.writableEnded) res.end();
    return;
  }
  res.writeHead(response.status, { ...response.headers, 'content-length': String(Buffer.byteLength(response.body)) });
  res.end(response.body);
}
