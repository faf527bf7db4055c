// A stand-in for the reviewer API client and the event stream, for store and component tests.
import { vi } from 'vitest';
import type { QueueEvent } from '../../gateway/api/types.js';
import type { EventStreamHandlers } from '../../renderer/src/api/events.js';

export const apiMock = {
  login: vi.fn(),
  logout: vi.fn(),
  me: vi.fn(),
  listRequests: vi.fn(),
  getRequest: vi.fn(),
  approve: vi.fn(),
  reject: vi.fn(),
  claim: vi.fn(),
  release: vi.fn(),
  extend: vi.fn(),
  getSession: vi.fn(),
  getStats: vi.fn(),
  reveal: vi.fn(),
  listRules: vi.fn(),
  revokeRule: vi.fn(),
  getSigningKey: vi.fn(),
  estimateExport: vi.fn(),
  startExport: vi.fn(),
};

export const stream: { handlers: EventStreamHandlers | null; closed: number } = { handlers: null, closed: 0 };

export function emit(event: QueueEvent): void {
  stream.handlers?.onEvent(event);
}

export function resetApiMock(): void {
  for (const fn of Object.values(apiMock)) fn.mockReset();
  apiMock.listRequests.mockResolvedValue({ items: [], next: null });
  apiMock.release.mockResolvedValue(undefined);
  apiMock.logout.mockResolvedValue(undefined);
  stream.handlers = null;
  stream.closed = 0;
}

/** vi.mock factories (hoisted by vitest, so they import this module lazily). */
export async function clientModule(original: () => Promise<unknown>) {
  const real = (await original()) as Record<string, unknown>;
  return { ...real, api: apiMock };
}

export function eventsModule() {
  return {
    EVENT_TYPES: ['request.pending', 'request.updated', 'request.decided', 'request.completed'],
    connectEvents: (handlers: EventStreamHandlers) => {
      stream.handlers = handlers;
      return { close: () => void stream.closed++ };
    },
  };
}
