// What the answer passes through on its way to the caller: whole SSE events are seen, recorded, and (with guardrails) rewritten.
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

/** Rewrites streamed text; what it holds back comes out of flush(). */
export interface TextTransform {
  push(text: string): string;
  flush(): string;
}

export interface TapGuards {
  /** A fresh text transform per run of text (a new one after each flush). */
  text: () => TextTransform;
  /** Rewrites the JSON of events without delta text (e.g. `response.output_text.done` repeats the whole text). */
  json: (value: unknown) => unknown;
}

/**
 * Without guards the caller receives exactly the upstream's bytes; events are parsed only to record their text.
 * With guards, events are re-encoded where their text changed, and held-back text is released before the events
 * that close its block.
 */
export function streamTap(flow: RequestFlow, guards?: TapGuards): StreamTap {
  const adapter = flow.adapter;
  let text = '';
  let rawText = '';
  let chunkText = '';
  let out = '';
  let transform: TextTransform | null = null;
  let lastTextEvent: SseEvent | null = null;

  const flushInto = () => {
    if (!transform || !lastTextEvent) return;
    const rest = transform.flush();
    transform = null;
    if (rest) {
      chunkText += rest;
      out += encodeSse(adapter.withText(lastTextEvent, rest));
    }
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
        // Held-back text must reach the caller before the events that close its block.
        if (event.event !== 'ping') flushInto();
        const data = parseJson(event.data);
        const masked = data ? guards.json(data) : data;
        out += encodeSse(masked !== data ? { ...event, data: JSON.stringify(masked) } : event);
        return;
      }
      transform ??= guards.text();
      const safe = transform.push(delta);
      lastTextEvent = event;
      chunkText += safe;
      if (safe === delta) out += encodeSse(event);
      else if (safe !== '') out += encodeSse(adapter.withText(event, safe));
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
      flushInto();
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
