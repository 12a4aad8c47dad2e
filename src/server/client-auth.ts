import { createHash, timingSafeEqual } from 'node:crypto';
import { AuthenticationError } from '../core/errors.js';
import { type RequestHeaders, singleHeader } from '../core/request.js';

/**
 * Client authentication for the machine endpoints (introspection, revocation, the revocation
 * feed): HTTP Basic (RFC 6749 §2.3.1) or `client_id`/`client_secret` in a form body. Never a
 * cookie: these endpoints must not be reachable with a user's ambient credential.
 */
export interface ClientAuthenticator {
  /** The authenticated client id; throws 401 `invalid_client`. */
  authenticate(headers: RequestHeaders, form?: Readonly<Record<string, string>>): string;
}

/** Creates the authenticator over the configured clients. */
export function createClientAuthenticator(clients: readonly { id: string; secret: string }[]): ClientAuthenticator {
  // Compare SHA-256 digests in constant time: equal lengths always, so neither the secret's
  // length nor a matching prefix shows in the timing.
  const digest = (value: string): Buffer => createHash('sha256').update(value, 'utf8').digest();
  const table = new Map(clients.map((client) => [client.id, digest(client.secret)]));
  const refuse = (): AuthenticationError => new AuthenticationError('invalid_client', 'Client authentication failed.');
  return {
    authenticate(headers, form) {
      let id: string | undefined;
      let secret: string | undefined;
      const authorization = singleHeader(headers, 'authorization');
      if (authorization !== null && /^basic /i.test(authorization)) {
        const decoded = Buffer.from(authorization.slice(6).trim(), 'base64').toString('utf8');
        const colon = decoded.indexOf(':');
        if (colon > 0) {
          id = safeDecode(decoded.slice(0, colon));
          secret = safeDecode(decoded.slice(colon + 1));
        }
      } else if (form?.client_id !== undefined) {
        id = form.client_id;
        secret = form.client_secret;
      }
      const expected = id === undefined ? undefined : table.get(id);
      const presented = digest(secret ?? '');
      if (!expected || !timingSafeEqual(expected, presented)) throw refuse();
      return id as string;
    },
  };
}

function safeDecode(value: string): string {
  try {
    return decodeURIComponent(value.replace(/\+/g, ' '));
  } catch {
    return value;
  }
}
