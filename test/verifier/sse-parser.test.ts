/**
 * The verifier's SSE parser against the parts of the WHATWG event-stream grammar the revocation
 * feed relies on, fed whole and in every possible two-chunk split.
 */
import { describe, expect, it } from 'vitest';
import { createSseParser } from '../../src/verifier/sse-parser.js';
import type { SseEvent } from '../../src/verifier/sse-parser.js';
import { checkRevocation as parseRevocation } from '../../src/core/revocation-codec.js';

function parseAll(chunks: readonly string[], max = 1_000_000): SseEvent[] {
  const events: SseEvent[] = [];
  const parser = createSseParser((event) => events.push(event), max);
  for (const chunk of chunks) parser.push(chunk);
  return events;
}

/** Every way of cutting `text` in two, plus one character at a time. */
function splits(text: string): string[][] {
  const out: string[][] = [[text], [...text]];
  for (let i = 1; i < text.length; i++) out.push([text.slice(0, i), text.slice(i)]);
  return out;
}

describe('createSseParser', () => {
  const stream =
    '\uFEFF: a comment\r\n' +
    'event: snapshot\r\n' +
    'data: {"now":1,\r\n' +
    'data:"revocations":[]}\r\n' +
    '\r\n' +
    'event:heartbeat\rdata: {"now":2}\r\r' +
    'id: 7\nretry: 10\nunknown: x\ndata\n\n' +
    'event: revocation\ndata: a\n\n' +
    'event: no-data\n\n' +
    'data: trailing, never dispatched';

  const expected: SseEvent[] = [
    { type: 'snapshot', data: '{"now":1,\n"revocations":[]}' },
    { type: 'heartbeat', data: '{"now":2}' },
    { type: 'message', data: '' },
    { type: 'revocation', data: 'a' },
  ];

  it('handles CRLF, CR, LF, comments, multi-line data, a BOM and unknown fields', () => {
    expect(parseAll([stream])).toEqual(expected);
  });

  it('gives the same events however the stream is chunked (CRLF split across chunks included)', () => {
    for (const chunks of splits(stream)) expect(parseAll(chunks)).toEqual(expected);
  });

  it('strips exactly one space after the colon', () => {
    expect(parseAll(['data:  two spaces\n\n'])).toEqual([{ type: 'message', data: ' two spaces' }]);
  });

  it('bounds an endless line and an endless event', () => {
    expect(() => parseAll(['data: ' + 'x'.repeat(200)], 100)).toThrow(/larger than 100 characters/);
    expect(() => parseAll([Array.from({ length: 30 }, () => 'data: xxxxx\n').join('')], 100)).toThrow(/larger than/);
  });
});

describe('checkRevocation (the one wire format of revocations)', () => {
  it('accepts the three kinds and refuses anything else', () => {
    expect(parseRevocation({ kind: 'sid', value: 's', expiresAt: 1 })).toEqual({ kind: 'sid', value: 's', expiresAt: 1 });
    expect(parseRevocation({ kind: 'jti', value: 'j', expiresAt: 1 })).toEqual({ kind: 'jti', value: 'j', expiresAt: 1 });
    // Exactly its own fields: anything else on the wire is not an entry Tessera wrote.
    expect(parseRevocation({ kind: 'jti', value: 'j', expiresAt: 1, extra: true })).toBeNull();
    expect(parseRevocation({ kind: 'sub', value: 'u', notBefore: 5, expiresAt: 9 })).toEqual({ kind: 'sub', value: 'u', notBefore: 5, expiresAt: 9 });
    for (const bad of [null, 'sid', { kind: 'sub', value: 'u', expiresAt: 9 }, { kind: 'sid', value: '', expiresAt: 1 }, { kind: 'sid', value: 's', expiresAt: '1' }, { kind: 'all', value: 'x', expiresAt: 1 }]) {
      expect(parseRevocation(bad)).toBeNull();
    }
  });
});
