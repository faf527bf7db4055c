// The console's live feed: queue changes as Server-Sent Events, fanned out to every open console.
import type { Request, Response } from 'express';
import type { EventEmitter } from 'node:events';
import { SSE_HEADERS } from '../flow/caller-reply.js';
import { encodeSse } from '../protocols/adapter.js';
import type { QueueEvent, QueueEventType, RequestSummary } from './types.js';

export const QUEUE_EVENTS: QueueEventType[] = ['request.pending', 'request.updated', 'request.decided', 'request.completed'];

export function eventStream(events: EventEmitter, heartbeatMs = 15_000) {
  return (req: Request, res: Response): void => {
    res.writeHead(200, SSE_HEADERS);
    res.write('retry: 2000\n\n');
    const listeners = QUEUE_EVENTS.map((type) => {
      const listener = (request: RequestSummary) => {
        const payload: QueueEvent = { type, request };
        res.write(encodeSse({ event: type, data: JSON.stringify(payload) }));
      };
      events.on(type, listener);
      return [type, listener] as const;
    });
    const heartbeat = setInterval(() => res.write(': ping\n\n'), heartbeatMs);
    heartbeat.unref();
    req.once('close', () => {
      clearInterval(heartbeat);
      for (const [type, listener] of listeners) events.off(type, listener);
    });
  };
}
