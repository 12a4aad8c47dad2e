import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { send } from '../helpers/http.js';
import { type StoreKind, type TestServer } from '../helpers/server.js';
import { accessCookie, newBearerUser, newHybridUser, startTokenServer } from '../security/token-support.js';

/**
 * Property tests of forward-auth (`GET /auth/verify`) against hostile access tokens, sent as
 * `Authorization: Bearer …` and as the hybrid access cookie: only the untouched original ever
 * gets 200; everything else is 401 (400 for a malformed header), never a 5xx.
 */

const NUM_RUNS = 300;
const B64URL = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
/** Characters a mutation may introduce: base64url, the JWS separator and near-misses. */
const MUTATION_CHARS = [...B64URL, '.', '=', '+', '/', '~', '%', '!', '*'];
const PRINTABLE = Array.from({ length: 0x7f - 0x20 }, (_, i) => String.fromCharCode(0x20 + i));

type Transport = 'bearer' | 'cookie';

/** A mutation of a compact JWS, described as data so fast-check can shrink and print it. */
type Mutation =
  | { kind: 'flip'; segment: number; at: number; char: string }
  | { kind: 'insert'; segment: number; at: number; char: string }
  | { kind: 'delete'; segment: number; at: number }
  | { kind: 'swap'; order: [number, number, number] }
  | { kind: 'pad'; segment: number; padding: string }
  | { kind: 'alphabet' }
  | { kind: 'trailingBits'; segment: number; bits: number }
  | { kind: 'segments'; change: 'drop' | 'extra' | 'empty-signature' | 'double-dot' }
  | { kind: 'truncate'; keep: number }
  | { kind: 'case'; segment: number; at: number };

const segmentArb = fc.integer({ min: 0, max: 2 });
const charArb = fc.constantFrom(...MUTATION_CHARS);
const mutationArb: fc.Arbitrary<Mutation> = fc.oneof(
  fc.record({ kind: fc.constant('flip' as const), segment: segmentArb, at: fc.nat(), char: charArb }),
  fc.record({ kind: fc.constant('insert' as const), segment: segmentArb, at: fc.nat(), char: charArb }),
  fc.record({ kind: fc.constant('delete' as const), segment: segmentArb, at: fc.nat() }),
  fc.record({
    kind: fc.constant('swap' as const),
    order: fc.constantFrom<[number, number, number]>([0, 2, 1], [1, 0, 2], [1, 2, 0], [2, 0, 1], [2, 1, 0], [0, 0, 2], [0, 1, 1]),
  }),
  fc.record({ kind: fc.constant('pad' as const), segment: segmentArb, padding: fc.constantFrom('=', '==', '===') }),
  fc.constant({ kind: 'alphabet' as const }),
  fc.record({ kind: fc.constant('trailingBits' as const), segment: segmentArb, bits: fc.integer({ min: 1, max: 15 }) }),
  fc.record({ kind: fc.constant('segments' as const), change: fc.constantFrom('drop' as const, 'extra' as const, 'empty-signature' as const, 'double-dot' as const) }),
  fc.record({ kind: fc.constant('truncate' as const), keep: fc.nat() }),
  fc.record({ kind: fc.constant('case' as const), segment: segmentArb, at: fc.nat() }),
);

function replaceSegment(token: string, index: number, edit: (segment: string) => string): string {
  const parts = token.split('.');
  parts[index] = edit(parts[index] ?? '');
  return parts.join('.');
}

/** Applies a mutation; the result may equal the input (then it must still be accepted). */
function applyMutation(token: string, m: Mutation): string {
  switch (m.kind) {
    case 'flip':
      return replaceSegment(token, m.segment, (s) => {
        if (s.length === 0) return m.char;
        const i = m.at % s.length;
        return s.slice(0, i) + m.char + s.slice(i + 1);
      });
    case 'insert':
      return replaceSegment(token, m.segment, (s) => {
        const i = m.at % (s.length + 1);
        return s.slice(0, i) + m.char + s.slice(i);
      });
    case 'delete':
      return replaceSegment(token, m.segment, (s) => {
        if (s.length === 0) return s;
        const i = m.at % s.length;
        return s.slice(0, i) + s.slice(i + 1);
      });
    case 'swap': {
      const parts = token.split('.');
      return m.order.map((i) => parts[i]).join('.');
    }
    case 'pad':
      return replaceSegment(token, m.segment, (s) => s + m.padding);
    case 'alphabet':
      return token.replace(/-/g, '+').replace(/_/g, '/');
    case 'trailingBits':
      // Changes only the unused low bits of the last character where the segment length leaves
      // some: the decoded bytes stay the same, so only a strict decoder notices.
      return replaceSegment(token, m.segment, (s) => {
        const tail = s.length % 4;
        if (tail === 0 || s.length === 0) return s;
        const unusedMask = tail === 2 ? 0x0f : 0x03;
        const value = B64URL.indexOf(s[s.length - 1] as string);
        const changed = (value & ~unusedMask) | (m.bits & unusedMask);
        return s.slice(0, -1) + (B64URL[changed] as string);
      });
    case 'segments': {
      const [h, p, s] = token.split('.') as [string, string, string];
      if (m.change === 'drop') return `${h}.${p}`;
      if (m.change === 'extra') return `${token}.${s}`;
      if (m.change === 'empty-signature') return `${h}.${p}.`;
      return `${h}..${p}.${s}`;
    }
    case 'truncate':
      return token.slice(0, m.keep % token.length);
    case 'case':
      return replaceSegment(token, m.segment, (s) => {
        if (s.length === 0) return s;
        const i = m.at % s.length;
        const c = s[i] as string;
        const swapped = c === c.toLowerCase() ? c.toUpperCase() : c.toLowerCase();
        return s.slice(0, i) + swapped + s.slice(i + 1);
      });
  }
}

/** A header re-encoded with other values (the signature stays the original one). */
const headerChangeArb = fc.record(
  {
    alg: fc.constantFrom('none', 'None', 'HS256', 'HS512', 'RS256', 'PS256', 'ES384', 'ES512', 'EdDSA', 'ES256', 'es256', ''),
    typ: fc.constantFrom('JWT', 'at+jwt', 'AT+JWT', 'application/at+jwt', 'dpop+jwt', 'at+jwt ', null),
    kid: fc.constantFrom('unknown', '../../dev/null', "' OR '1'='1", 'x'.repeat(2000), '', null),
    crit: fc.constantFrom(['exp'], ['b64'], []),
    jku: fc.constantFrom('http://127.0.0.1:1/jwks.json'),
    jwk: fc.constantFrom({ kty: 'oct', k: 'AAAA' }),
    x5u: fc.constantFrom('http://127.0.0.1:1/cert.pem'),
    b64: fc.constant(false),
    zip: fc.constant('DEF'),
    keepKid: fc.boolean(),
  },
  { requiredKeys: ['keepKid'] },
);

function reencodeHeader(token: string, change: Record<string, unknown>): string {
  const [h, p, s] = token.split('.') as [string, string, string];
  const header = JSON.parse(Buffer.from(h, 'base64url').toString('utf8')) as Record<string, unknown>;
  const { keepKid, ...rest } = change;
  const next: Record<string, unknown> = { ...header };
  for (const [key, value] of Object.entries(rest)) {
    if (key === 'kid' && keepKid) continue;
    if (value === null) delete next[key];
    else next[key] = value;
  }
  return `${Buffer.from(JSON.stringify(next)).toString('base64url')}.${p}.${s}`;
}

describe.each<StoreKind>(['memory', 'sqlite'])('forward-auth verification fuzz (%s store)', (store) => {
  let server: TestServer;
  const originals: Record<Transport, string> = { bearer: '', cookie: '' };
  beforeAll(async () => {
    server = await startTokenServer(store);
    originals.bearer = (await newBearerUser(server, 'fuzz-b')).accessToken;
    originals.cookie = (await newHybridUser(server, 'fuzz-h')).accessToken;
  });
  afterAll(async () => server.close());

  /** Sends `token` the way `transport` does and returns the status (and checks the invariants). */
  const judge = async (transport: Transport, token: string): Promise<number> => {
    const headers: Record<string, string> =
      transport === 'bearer' ? { authorization: `Bearer ${token}` } : { cookie: accessCookie(server, token) };
    const response = await send(server, 'GET', '/auth/verify', { headers });
    if (response.status !== 200) {
      // No identity leaks out of a refusal.
      expect(response.headers.get('x-auth-user-id')).toBeNull();
      expect(response.headers.get('x-auth-token')).toBeNull();
    }
    return response.status;
  };

  /** The verdict a token must get: 200 only for the untouched original. */
  const expectVerdict = (transport: Transport, token: string, status: number): void => {
    const accepted = status === 200;
    const expected = token === originals[transport];
    // Equal first so fast-check prints the counterexample with the status.
    expect({ token, status, accepted }).toEqual({ token, status, accepted: expected });
    if (!expected) expect([400, 401]).toContain(status);
  };

  it('the originals are accepted (sanity: a refusal below is about the mutation)', async () => {
    expect(await judge('bearer', originals.bearer)).toBe(200);
    expect(await judge('cookie', originals.cookie)).toBe(200);
  });

  for (const transport of ['bearer', 'cookie'] as const) {
    it(`random strings as ${transport} get 401 (or 400), never 200 or 5xx`, async () => {
      await fc.assert(
        fc.asyncProperty(
          fc.oneof(
            fc.string({ unit: fc.constantFrom(...PRINTABLE), maxLength: 300 }),
            fc.string({ unit: fc.constantFrom(...B64URL, '.'), minLength: 3, maxLength: 600 }),
            fc
              .tuple(
                fc.string({ unit: fc.constantFrom(...B64URL), maxLength: 120 }),
                fc.string({ unit: fc.constantFrom(...B64URL), maxLength: 200 }),
                fc.string({ unit: fc.constantFrom(...B64URL), maxLength: 120 }),
              )
              .map(([a, b, c]) => `${a}.${b}.${c}`),
          ),
          async (candidate) => {
            const status = await judge(transport, candidate);
            expectVerdict(transport, candidate, status);
          },
        ),
        { numRuns: NUM_RUNS },
      );
    });

    it(`mutated valid tokens as ${transport}: only the untouched original gets 200`, async () => {
      await fc.assert(
        fc.asyncProperty(fc.array(mutationArb, { minLength: 1, maxLength: 3 }), async (mutations) => {
          const mutated = mutations.reduce(applyMutation, originals[transport]);
          const status = await judge(transport, mutated);
          expectVerdict(transport, mutated, status);
        }),
        { numRuns: NUM_RUNS },
      );
    });

    it(`re-encoded headers (alg, typ, kid, crit, jku, jwk, …) as ${transport} get 401`, async () => {
      await fc.assert(
        fc.asyncProperty(headerChangeArb, async (change) => {
          const mutated = reencodeHeader(originals[transport], change);
          const status = await judge(transport, mutated);
          expectVerdict(transport, mutated, status);
        }),
        { numRuns: NUM_RUNS },
      );
    });
  }

  it('the server is still healthy afterwards and the originals still verify', async () => {
    const health = await send(server, 'GET', '/healthz');
    expect(health.status).toBe(200);
    expect(await judge('bearer', originals.bearer)).toBe(200);
    expect(await judge('cookie', originals.cookie)).toBe(200);
    // No request above made the server log an internal error.
    expect(server.logs.filter((line) => line.includes('"level":50') || line.includes('request failed'))).toEqual([]);
  });
});
