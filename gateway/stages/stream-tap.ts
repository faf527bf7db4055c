// What the answer passes through on its way to the caller: whole SSE events are seen, recorded, and (with guardrails) rewritten.
import { createParser } from 'eventsource-parser';
import { encodeSse, type SseEvent } from '../protocols/adapter.js';
import type { RequestFlow } from '../flow/request-flow.js';

/** Turns upstream bytes into the bytes the caller gets. */
export interface StreamTap {
  push(chunk: Buffer): Buffer | string;
  end(): string;
  /** The answer text as the caller received it. */
  readonly text: string;
}

/** Rewrites event text; returning the same text means "unchanged". */
export interface TextTransform {
  push(text: string): string;
  flush(): string;
}

/**
 * Pass-through: the caller receives exactly the upstream's bytes; events are parsed only to record their text.
 * With a transform, events whose text changes are re-encoded, and text held back is released at the end.
 */
export function streamTap(flow: RequestFlow, transform?: () => TextTransform): StreamTap {
  const adapter = flow.adapter;
  let text = '';
  let chunkText = '';
  let out = '';
  let lastTextEvent: SseEvent | null = null;
  const masker = transform?.();
  const flushInto = (template: SseEvent) => {
    const rest = masker!.flush();
    if (rest) {
      chunkText += rest;
      out += encodeSse(adapter.withText(template, rest));
    }
  };
  const parser = createParser({
    onEvent(message) {
      const event: SseEvent = { event: message.event, data: message.data, id: message.id };
      const delta = adapter.textOf(event);
      if (!masker) {
        chunkText += delta;
        return;
      }
      if (delta === '') {
        // Held-back text must reach the caller before the events that close its block.
        if (lastTextEvent && event.event !== 'ping') flushInto(lastTextEvent);
        out += encodeSse(event);
        return;
      }
      const safe = masker.push(delta);
      lastTextEvent = event;
      chunkText += safe;
      if (safe !== '') out += encodeSse(adapter.withText(event, safe));
    },
    onComment() {
      if (masker) out += ':\n\n';
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
      if (!masker) {
        record(raw);
        return chunk;
      }
      const emitted = out;
      out = '';
      record(emitted);
      return emitted;
    },
    end() {
      if (!masker) return '';
      if (lastTextEvent) flushInto(lastTextEvent);
      const frame = out;
      out = '';
      if (frame) record(frame);
      return frame;
    },
    get text() {
      return text;
    },
  };
}
