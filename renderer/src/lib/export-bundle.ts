// What the Export screen works out without the DOM: the bundle's file name, the rough size it will reach (the
// progress bar's total) and how counts and sizes read.

/**
 * Rough zipped bytes per exported session (its JSON line, chain entry, CSV row and report.html entry, deflated),
 * plus the fixed part (manifest, README, the report's own page). Only a guess for the bar: it never claims done
 * before the last byte arrives.
 */
export const BYTES_PER_SESSION = 1_500;
export const BUNDLE_BASE_BYTES = 12_000;

export function expectedBytes(sessions: number | null): number | null {
  return sessions === null ? null : BUNDLE_BASE_BYTES + sessions * BYTES_PER_SESSION;
}

/** 0–99 while the bundle streams (the guess may run short), 100 only once it has all arrived; null when unknown. */
export function progressPercent(received: number, expected: number | null, finished: boolean): number | null {
  if (finished) return 100;
  if (expected === null || expected <= 0) return null;
  return Math.min(99, Math.floor((received / expected) * 100));
}

const SAFE_NAME = /^airlock-audit-[\w.-]+$/;

/** The gateway's own name for the file (Content-Disposition) when it gives a plain one, else airlock-audit-<date>.zip(.age). */
export function bundleFileName(disposition: string | null, encrypted: boolean, now = new Date()): string {
  const given = disposition ? /filename="([^"]+)"/.exec(disposition)?.[1] : undefined;
  if (given && SAFE_NAME.test(given)) return given;
  return `airlock-audit-${now.toISOString().slice(0, 10)}.zip${encrypted ? '.age' : ''}`;
}

export function formatSessions(n: number): string {
  return `${n.toLocaleString('en-US')} ${n === 1 ? 'session' : 'sessions'}`;
}

export function formatBytes(n: number): string {
  if (n < 1024) return `${n} B`;
  if (n < 1024 * 1024) return `${(n / 1024).toFixed(1)} KB`;
  return `${(n / (1024 * 1024)).toFixed(1)} MB`;
}
