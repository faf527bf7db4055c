// Turns a stream of "request waiting" arrivals into few notifications: a burst becomes one
// ("7 requests waiting from ci-bot"), and a steady trickle at most one per cool-down.

export interface PendingNotice {
  id: string;
  caller: string;
  model: string;
  preview: string;
}

export interface BatchedNotice {
  title: string;
  body: string;
  /** The request a click opens: the newest in the batch. */
  focusId: string;
  ids: string[];
}

export interface BatchTimers {
  now(): number;
  setTimeout(fn: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

export interface BatcherOptions {
  /** How long to gather a burst before notifying. */
  windowMs?: number;
  /** Least time between two notifications. */
  cooldownMs?: number;
  timers?: BatchTimers;
}

const PREVIEW_WORDS = 16;

export function firstWords(text: string, words = PREVIEW_WORDS): string {
  const parts = text.trim().split(/\s+/).filter(Boolean);
  return parts.length > words ? `${parts.slice(0, words).join(' ')}…` : parts.join(' ');
}

function listCallers(callers: string[]): string {
  if (callers.length === 1) return callers[0];
  if (callers.length === 2) return `${callers[0]} and ${callers[1]}`;
  const others = callers.length - 2;
  return `${callers[0]}, ${callers[1]} and ${others} other${others === 1 ? '' : 's'}`;
}

export function summarize(items: readonly PendingNotice[]): BatchedNotice {
  const newest = items[items.length - 1];
  const ids = items.map((i) => i.id);
  if (items.length === 1) {
    return {
      title: `${newest.caller} · ${newest.model} is waiting`,
      body: firstWords(newest.preview) || 'A request is waiting for review.',
      focusId: newest.id,
      ids,
    };
  }
  // Callers by how many they sent, most first.
  const counts = new Map<string, number>();
  for (const i of items) counts.set(i.caller, (counts.get(i.caller) ?? 0) + 1);
  const callers = [...counts.entries()].sort((a, b) => b[1] - a[1]).map(([c]) => c);
  return {
    title: `${items.length} requests waiting from ${listCallers(callers)}`,
    body: `Newest: ${newest.model}: ${firstWords(newest.preview)}`,
    focusId: newest.id,
    ids,
  };
}

const browserTimers: BatchTimers = {
  now: () => Date.now(),
  setTimeout: (fn, ms) => setTimeout(fn, ms),
  clearTimeout: (h) => clearTimeout(h as ReturnType<typeof setTimeout>),
};

export class NotificationBatcher {
  private items: PendingNotice[] = [];
  private timer: unknown = null;
  private nextAllowedAt = 0;
  private readonly windowMs: number;
  private readonly cooldownMs: number;
  private readonly timers: BatchTimers;

  constructor(
    private readonly emit: (notice: BatchedNotice) => void,
    options: BatcherOptions = {},
  ) {
    this.windowMs = options.windowMs ?? 400;
    this.cooldownMs = options.cooldownMs ?? 4000;
    this.timers = options.timers ?? browserTimers;
  }

  add(item: PendingNotice): void {
    if (this.items.some((i) => i.id === item.id)) return;
    this.items.push(item);
    if (this.timer !== null) return;
    const now = this.timers.now();
    const at = Math.max(now + this.windowMs, this.nextAllowedAt);
    this.timer = this.timers.setTimeout(() => this.flush(), at - now);
  }

  /** Drops a request that was decided before its notification went out. */
  remove(id: string): void {
    this.items = this.items.filter((i) => i.id !== id);
  }

  flush(): void {
    if (this.timer !== null) this.timers.clearTimeout(this.timer);
    this.timer = null;
    if (this.items.length === 0) return;
    const batch = this.items;
    this.items = [];
    this.nextAllowedAt = this.timers.now() + this.cooldownMs;
    this.emit(summarize(batch));
  }

  dispose(): void {
    if (this.timer !== null) this.timers.clearTimeout(this.timer);
    this.timer = null;
    this.items = [];
  }
}
