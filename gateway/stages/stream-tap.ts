// What the answer passes through on its way to the caller: whole SSE events are seen, recorded, and (with guardrails)
// rewritten. Events leave in the order and framing they came in; only an event whose text a guardrail changed is re-encoded.
import { createParser } from 'eventsource-parser';
import { encodeSse, type SseEvent } from '../protocols/adapter.js';
import { parseJson } from '../protocols/validate.js';
import type { RequestFlow } from '../flow/request-flow.js';

/** Turns upstream bytes into the bytes the caller gets. */
export interface StreamTap {
  push(chunk: Buffer): Buffer | string;
  end(): string;
  /** The answer text as the caller received it. */
  readonly text: string;
  /** The answer text as the upstream sent it (differs only when a guardrail rewrote it). */
  readonly rawText: string;
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
  /** Offsets of this event's text in the current run's input; null for events without text. */
  span: { start: number; end: number } | null;
}

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

  const emit = (event: SseEvent, delta: string, masked: string) => {
    chunkText += masked;
    out += masked === delta ? encodeSse(event) : encodeSse(adapter.withText(event, masked));
  };

  /** Sends every queued event whose text the transform has fully answered, in order. */
  const drain = () => {
    const answered = transform ? runIn - transform.held : Infinity;
    while (queue.length > 0) {
      const next = queue[0];
      if (next.span) {
        if (next.span.end > answered) return;
        const from = outOffset(next.span.start) - runOutBase;
        const to = outOffset(next.span.end) - runOutBase;
        emit(next.event, adapter.textOf(next.event), runOut.slice(from, to));
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
        queue.push({ event: masked !== data ? { ...event, data: JSON.stringify(masked) } : event, span: null });
        drain();
        return;
      }
      if (!transform) {
        transform = guards.text();
        runIn = 0;
        runOut = '';
        runOutBase = 0;
      }
      queue.push({ event, span: { start: runIn, end: runIn + delta.length } });
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

  return {
    push(chunk) {
      const raw = chunk.toString('utf8');
      parser.feed(raw);
      if (!guards) {
        record(raw);
        return chunk;
      }
      const emitted = out;
      out = '';
      record(emitted);
      return emitted;
    },
    end() {
      if (!guards) return '';
      endRun();
      drain();
      const frame = out;
      out = '';
      if (frame) record(frame);
      return frame;
    },
    get text() {
      return text;
    },
    get rawText() {
      return rawText;
    },
  };
}
