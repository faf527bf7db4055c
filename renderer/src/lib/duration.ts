// Human durations for waits, countdowns and replay positions.

/** 45s, 3m 12s, 2h 05m, 3d 4h. */
export function formatDuration(ms: number): string {
  const s = Math.max(0, Math.floor(ms / 1000));
  if (s < 60) return `${s}s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m}m ${String(s % 60).padStart(2, '0')}s`;
  const h = Math.floor(m / 60);
  if (h < 24) return `${h}h ${String(m % 60).padStart(2, '0')}m`;
  return `${Math.floor(h / 24)}d ${h % 24}h`;
}

/** A player position: 0:03.2, 12:40.0, 1:02:03. */
export function formatClock(ms: number): string {
  const tenths = Math.max(0, Math.floor(ms / 100));
  const s = Math.floor(tenths / 10);
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const sec = s % 60;
  if (h > 0) return `${h}:${String(m).padStart(2, '0')}:${String(sec).padStart(2, '0')}`;
  return `${m}:${String(sec).padStart(2, '0')}.${tenths % 10}`;
}

/** Milliseconds shown compactly for stats: 850 ms, 12.3 s, 4m 10s. */
export function formatWait(ms: number): string {
  if (ms < 1000) return `${Math.round(ms)} ms`;
  if (ms < 60_000) return `${(ms / 1000).toFixed(1)} s`;
  return formatDuration(ms);
}

export interface Countdown {
  remainingMs: number;
  text: string;
  /** Less than a minute left: the row and a notification warn. */
  warning: boolean;
  expired: boolean;
}

export const WARNING_MS = 60_000;

export function countdown(timeoutAt: string | null, now: number): Countdown | null {
  if (!timeoutAt) return null;
  const remainingMs = Date.parse(timeoutAt) - now;
  if (Number.isNaN(remainingMs)) return null;
  return {
    remainingMs,
    text: remainingMs <= 0 ? 'timing out' : formatDuration(remainingMs),
    warning: remainingMs < WARNING_MS,
    expired: remainingMs <= 0,
  };
}
