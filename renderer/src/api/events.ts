// The live queue: one EventSource on /api/v1/events (cookie auth). The browser reconnects by itself
// after a dropped connection; when the server refuses (readyState CLOSED) we retry with backoff.
import type { QueueEvent, QueueEventType } from '../../../gateway/api/types.js';
import { API_BASE } from './client.js';

export const EVENT_TYPES: readonly QueueEventType[] = ['request.pending', 'request.updated', 'request.decided', 'request.completed'];

export interface EventStreamHandlers {
  onEvent(event: QueueEvent): void;
  /** Connected (first time or again): the caller resynchronises what it may have missed. */
  onOpen(): void;
  /** The server closed the stream for good (e.g. 401); return false to stop retrying. */
  onRefused(): Promise<boolean> | boolean;
  onStateChange?(connected: boolean): void;
}

export interface EventStream {
  close(): void;
}

export type EventSourceFactory = (url: string) => EventSource;

const MAX_BACKOFF_MS = 15_000;
const CLOSED = 2; // EventSource.CLOSED, spelled out so tests need no EventSource global

export function connectEvents(handlers: EventStreamHandlers, factory: EventSourceFactory = (url) => new EventSource(url)): EventStream {
  let source: EventSource | null = null;
  let retry: ReturnType<typeof setTimeout> | null = null;
  let backoff = 500;
  let closed = false;

  const open = () => {
    if (closed) return;
    source = factory(`${API_BASE}/events`);
    source.onopen = () => {
      backoff = 500;
      handlers.onStateChange?.(true);
      handlers.onOpen();
    };
    for (const type of EVENT_TYPES) {
      source.addEventListener(type, (e) => {
        try {
          const data = JSON.parse((e as MessageEvent<string>).data) as QueueEvent;
          handlers.onEvent({ ...data, type: data.type ?? type });
        } catch {
          // A malformed event is dropped; the next resync corrects the view.
        }
      });
    }
    source.onerror = () => {
      handlers.onStateChange?.(false);
      if (!source || source.readyState !== CLOSED) return; // the browser is retrying
      source = null;
      void Promise.resolve(handlers.onRefused()).then((again) => {
        if (!again || closed) return;
        retry = setTimeout(open, backoff);
        backoff = Math.min(MAX_BACKOFF_MS, backoff * 2);
      });
    };
  };

  open();
  return {
    close() {
      closed = true;
      if (retry) clearTimeout(retry);
      source?.close();
      source = null;
    },
  };
}
