// The request's status machine: every status change goes through `transition`, which also says what the world hears.
import type { QueueEventType, RequestStatus } from '../api/types.js';

const NEXT: Record<RequestStatus, readonly RequestStatus[]> = {
  pending: ['approved', 'rejected', 'timed_out', 'cancelled', 'interrupted'],
  // An approved answer (`review: response`) is released and completes.
  approved: ['forwarding', 'completed', 'failed', 'cancelled', 'interrupted'],
  // A timeout whose policy says approve goes on to the upstream.
  timed_out: ['forwarding', 'completed', 'failed', 'cancelled'],
  // `review: response`: the answer waits for a reviewer before it is released.
  forwarding: ['pending', 'completed', 'failed', 'cancelled', 'interrupted'],
  rejected: [],
  cancelled: [],
  interrupted: [],
  completed: [],
  failed: [],
};

export const TERMINAL: ReadonlySet<RequestStatus> = new Set(['rejected', 'cancelled', 'interrupted', 'completed', 'failed']);

export class StatusError extends Error {}

export function checkTransition(from: RequestStatus | null, to: RequestStatus): void {
  if (from === null) {
    if (to === 'pending' || to === 'approved' || to === 'rejected') return;
    throw new StatusError(`a request cannot start as ${to}`);
  }
  if (!NEXT[from].includes(to)) throw new StatusError(`a request cannot go from ${from} to ${to}`);
}

/** The console's event for a status: arrival in the queue, a decision, the end. */
export function eventFor(to: RequestStatus): QueueEventType {
  if (to === 'pending') return 'request.pending';
  if (to === 'approved' || to === 'rejected' || to === 'timed_out') return 'request.decided';
  if (TERMINAL.has(to)) return 'request.completed';
  return 'request.updated';
}
