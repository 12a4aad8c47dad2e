/**
 * Reads a response body with a hard size cap. The JWKS is fetched over the network and parsed
 * in memory; without a cap, a misbehaving or hostile endpoint could stream gigabytes into every
 * verifier of every service.
 */
import { scopedReader } from './abort-scope.js';
import type { AbortScope } from './abort-scope.js';

/** Reads `response`'s body as UTF-8 text of at most `maxBytes` bytes; throws when larger or aborted. */
export async function readBoundedText(
  response: Response,
  maxBytes: number,
  what: string,
  scope: AbortScope,
): Promise<string> {
  const declared = response.headers.get('content-length');
  if (declared !== null && Number(declared) > maxBytes) {
    await response.body?.cancel().catch(() => undefined);
    throw new Error(`${what} is larger than ${maxBytes} bytes.`);
  }
  if (response.body === null) return '';
  const reader = scopedReader(response.body, scope);
  const chunks: Uint8Array[] = [];
  let total = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    total += value.byteLength;
    // Checked as the bytes arrive: a missing or lying Content-Length does not get past it.
    if (total > maxBytes) {
      await reader.cancel().catch(() => undefined);
      throw new Error(`${what} is larger than ${maxBytes} bytes.`);
    }
    chunks.push(value);
  }
  // A read cut short by the timeout or close() ends "done" too; it is not a complete body.
  scope.throwIfAborted();
  // fatal: a body that is not UTF-8 is refused rather than patched with U+FFFD.
  return new TextDecoder('utf-8', { fatal: true }).decode(Buffer.concat(chunks, total));
}
