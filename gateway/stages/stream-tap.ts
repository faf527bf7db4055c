// What the answer passes through on its way to the caller: whole SSE events are seen, recorded, and (with guardrails)
// rewritten. Events leave in the order and framing they came in; only an event whose text a guardrail changed is re-encoded.
import { StringDecoder } from 'node:string_decoder';
import { createParser } from 'eventsource-parser';
import { encodeSse, type SseEvent } from '../protocols/adapter.js';
import { parseJson } from '../protocols/validate.js';
import type { RequestFlow } from '../flow/request-flow.js';

/** Turns upstream bytes into the bytes the caller gets. */
export interface StreamTap {
  push(chunk: Buffer): Buffer | string;
  end(): Buffer | string;
  /** The answer text as the caller received it. */
  readonly text: string;
  /** The answer text as the upstream sent it (differs only when a guardrail rewrote it). */
  readonly rawText: string;
  /** The first error the upstream reported inside the stream (its message), if any. */
  readonly upstreamError: string | null;
  /** The event that completes the answer has arrived (what follows it waits for end()). */
  readonly complete: boolean;
}

/** Rewrites streamed text with a bounded hold-back (the streaming masker). */
export interface TextTransform {
  push(text: string): string;
  flush(): string;
  /** Characters of input received but not yet answered. */
  readonly held: number;
  /** What was replaced, with offsets in this transform's input. */
  readonly findings: readonly { start: number; end: number; placeholder: string }[];
}

export interface TapGuards {
  /** A fresh text transform per run of text (a new one after each block ends). */
  text: () => TextTransform;
  /** Rewrites the JSON of events without delta text (e.g. `response.output_text.done` repeats the whole text). */
  json: (value: unknown) => unknown;
}

interface Queued {
  event: SseEvent;
  /** Its text as the upstream sent it, and whether it completes the answer (both as the parser saw it). */
  delta: string;
  last: boolean;
  /** Offsets of this event's text in the current run's input; null for events without text. */
  span: { start: number; end: number } | null;
}

/** The end of an SSE frame: a blank line, in any of the three line endings. */
const FRAME_END = /\r\n\r\n|\n\n|\r\r/g;
const EMPTY = Buffer.alloc(0);

/**
 * Without guards the caller receives exactly the upstream's bytes; events are parsed only to record their text.
 * With guards, a text event waits until the masker has answered all of its text (the hold-back), then leaves
 * unchanged when its text is unchanged, or re-encoded with the masked text when it is not.
 */
export function streamTap(flow: RequestFlow, guards?: TapGuards): StreamTap {
  const adapter = flow.adapter;
  let text = '';
  let rawText = '';
  let chunkText = '';
  let out = '';
  // The current run of text: its transform, what went in, and what came out.
  let transform: TextTransform | null = null;
  let runIn = 0;
  let runOut = '';
  let runOutBase = 0;
  const queue: Queued[] = [];
  // From the event that completes the answer on, bytes wait in `held` for end(): the caller gets them once the session
  // is on record. `lastSeen`: the parser has reported that event; `lastAt`: where it starts in `out` (guards).
  let held = '';
  let upstreamError: string | null = null;
  let lastSeen = false;
  let lastAt = -1;

  /** Where input offset `x` of the run lands in its output: a match belongs to the event where it starts. */
  const outOffset = (x: number): number => {
    let shift = 0;
    for (const f of transform!.findings) {
      if (f.end <= x) shift += f.placeholder.length - (f.end - f.start);
      else if (f.start < x) return f.start + shift + f.placeholder.length;
      else break;
    }
    return x + shift;
  };

  const emit = ({ event, delta }: Queued, masked: string) => {
    chunkText += masked;
    out += masked === delta ? encodeSse(event) : encodeSse(adapter.withText(event, masked));
  };

  /** Sends every queued event whose text the transform has fully answered, in order. */
  const drain = () => {
    const answered = transform ? runIn - transform.held : Infinity;
    while (queue.length > 0) {
      const next = queue[0];
      if (lastAt < 0 && next.last && (!next.span || next.span.end <= answered)) lastAt = out.length;
      if (next.span) {
        if (next.span.end > answered) return;
        const from = outOffset(next.span.start) - runOutBase;
        const to = outOffset(next.span.end) - runOutBase;
        emit(next, runOut.slice(from, to));
        runOut = runOut.slice(to);
        runOutBase += to;
      } else {
        out += encodeSse(next.event);
      }
      queue.shift();
    }
  };

  const endRun = () => {
    if (!transform) return;
    runOut += transform.flush();
    runIn = Infinity;
    drain();
    transform = null;
  };

  const parser = createParser({
    onEvent(message) {
      const event: SseEvent = { event: message.event, data: message.data, id: message.id };
      const last = adapter.isLast?.(event) ?? false;
      if (last) lastSeen = true;
      upstreamError ??= adapter.errorOf?.(event) ?? null;
      const delta = adapter.textOf(event);
      rawText += delta;
      if (!guards) {
        chunkText += delta;
        return;
      }
      if (delta === '') {
        // A block ends: its held-back text goes out before the events that close it.
        if (event.event !== 'ping') endRun();
        const data = parseJson(event.data);
        const masked = data ? guards.json(data) : data;
        queue.push({ event: masked !== data ? { ...event, data: JSON.stringify(masked) } : event, delta, last, span: null });
        drain();
        return;
      }
      if (!transform) {
        transform = guards.text();
        runIn = 0;
        runOut = '';
        runOutBase = 0;
      }
      queue.push({ event, delta, last, span: { start: runIn, end: runIn + delta.length } });
      runIn += delta.length;
      runOut += transform.push(delta);
      drain();
    },
  });

  const record = (raw: string) => {
    text += chunkText;
    flow.mark('chunk', { text: chunkText, raw });
    chunkText = '';
  };

  // Upstream bytes become text through one decoder, so a character split between two reads stays whole.
  const decoder = new StringDecoder('utf8');
  const heldBytes: Buffer[] = [];

  /** Feeds `bytes` to the parser; returns the text it held. */
  const feed = (bytes: Buffer): string => {
    const decoded = decoder.write(bytes);
    parser.feed(decoded);
    return decoded;
  };

  /**
   * Without guards: passes the upstream's bytes on as they are, up to the frame that holds the answer's last event
   * (frame ends are found in the bytes: their ASCII never occurs inside a multi-byte character). Returns what goes out
   * now and the chunk's text.
   */
  const passRaw = (chunk: Buffer): { pass: Buffer; text: string } => {
    if (lastSeen) {
      heldBytes.push(chunk);
      return { pass: EMPTY, text: feed(chunk) };
    }
    let text = '';
    let sent = 0;
    for (const frameEnd of chunk.toString('latin1').matchAll(FRAME_END)) {
      const end = frameEnd.index + frameEnd[0].length;
      text += feed(chunk.subarray(sent, end));
      if (lastSeen) {
        heldBytes.push(chunk.subarray(sent));
        return { pass: chunk.subarray(0, sent), text: text + feed(chunk.subarray(end)) };
      }
      sent = end;
    }
    text += feed(chunk.subarray(sent));
    if (lastSeen) {
      heldBytes.push(chunk.subarray(sent));
      return { pass: chunk.subarray(0, sent), text };
    }
    return { pass: chunk, text };
  };

  return {
    push(chunk) {
      if (!guards) {
        const { pass, text: raw } = passRaw(chunk);
        record(raw);
        return pass;
      }
      const raw = decoder.write(chunk);
      parser.feed(raw);
      let emitted = out;
      out = '';
      let waiting = '';
      if (lastAt >= 0) {
        waiting = emitted.slice(lastAt);
        emitted = emitted.slice(0, lastAt);
        held += waiting;
        lastAt = 0; // everything after it waits too
      }
      record(emitted + waiting);
      return emitted;
    },
    end() {
      parser.feed(decoder.end());
      if (!guards) return heldBytes.length > 0 ? Buffer.concat(heldBytes) : '';
      endRun();
      drain();
      if (out) record(out);
      held += out;
      out = '';
      const rest = held;
      held = '';
      return rest;
    },
    get text() {
      return text;
    },
    get rawText() {
      return rawText;
    },
    get upstreamError() {
      return upstreamError;
    },
    get complete() {
      return lastSeen;
    },
  };
}
