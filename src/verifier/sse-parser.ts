/**
 * An incremental Server-Sent Events parser (WHATWG HTML §9.2.6, "event stream interpretation"),
 * only as much of it as the revocation feed needs: `event:` and `data:` fields, multi-line data,
 * comments, and all three line endings (CRLF, LF, CR), including a CRLF split across chunks.
 * `id:` and `retry:` are accepted and ignored: on reconnect the feed sends a full snapshot, so
 * there is nothing to resume from, and the reconnect pace is ours to choose.
 */

/** One dispatched event. */
export interface SseEvent {
  /** The `event:` field, or "message" when none was given. */
  readonly type: string;
  /** The `data:` lines joined with "\n". */
  readonly data: string;
}

/** Feeds decoded text to the parser; events are dispatched synchronously from push(). */
export interface SseParser {
  /** Parses the next chunk of decoded text; throws when an event grows past the size cap. */
  push(text: string): void;
}

/** Creates a parser calling `onEvent` for each complete event; `maxEventChars` bounds memory. */
export function createSseParser(onEvent: (event: SseEvent) => void, maxEventChars: number): SseParser {
  let pending = ''; // text after the last line terminator
  let skipLeadingLf = false; // the previous chunk ended in CR, which may be half of a CRLF
  let atStreamStart = true;
  let eventType = '';
  let dataLines: string[] = [];
  let eventChars = 0;

  function dispatch(): void {
    const type = eventType === '' ? 'message' : eventType;
    const lines = dataLines;
    eventType = '';
    dataLines = [];
    eventChars = 0;
    // An event with no data field is not dispatched (spec: "if the data buffer is empty").
    if (lines.length === 0) return;
    onEvent({ type, data: lines.join('\n') });
  }

  function processLine(line: string): void {
    if (line === '') {
      dispatch();
      return;
    }
    if (line.startsWith(':')) return; // a comment, often used as a keep-alive
    const colon = line.indexOf(':');
    const field = colon === -1 ? line : line.slice(0, colon);
    let value = colon === -1 ? '' : line.slice(colon + 1);
    if (value.startsWith(' ')) value = value.slice(1);
    if (field === 'event') {
      eventType = value;
    } else if (field === 'data') {
      dataLines.push(value);
    }
    // id, retry and unknown fields are ignored, as the spec says for unknown ones.
  }

  function checkSize(extra: number): void {
    // The cap covers the event being assembled plus an unterminated line, so neither an endless
    // line nor an endless event can grow memory without bound.
    if (eventChars + extra > maxEventChars) {
      throw new Error(`An SSE event is larger than ${maxEventChars} characters.`);
    }
  }

  return {
    push(text) {
      let chunk = text;
      if (atStreamStart && chunk.length > 0) {
        atStreamStart = false;
        if (chunk.charCodeAt(0) === 0xfeff) chunk = chunk.slice(1); // a leading BOM is dropped
      }
      if (skipLeadingLf && chunk.length > 0) {
        skipLeadingLf = false;
        if (chunk[0] === '\n') chunk = chunk.slice(1);
      }
      let buffer = pending + chunk;
      let start = 0;
      for (let i = 0; i < buffer.length; i++) {
        const ch = buffer[i];
        if (ch !== '\n' && ch !== '\r') continue;
        const line = buffer.slice(start, i);
        checkSize(line.length);
        eventChars += line.length;
        processLine(line);
        if (ch === '\r') {
          if (i + 1 < buffer.length) {
            if (buffer[i + 1] === '\n') i++;
          } else {
            skipLeadingLf = true;
          }
        }
        start = i + 1;
      }
      buffer = buffer.slice(start);
      checkSize(buffer.length);
      pending = buffer;
    },
  };
}
