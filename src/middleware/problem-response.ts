import type { ServerResponse } from 'node:http';
import type { Tessera } from '../core/tessera.js';
import { serializeClearedCookie } from '../server/cookies.js';
import { problemHeaders, toProblem } from '../server/problem.js';

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
  const headers = problemHeaders(problem, error, serializeClearedCookie(tessera.cookieNames.session, tessera.config));
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
