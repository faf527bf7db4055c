// Shapes the gateway's stats for the dashboard's charts: the server lists only hours that had
// requests; the chart shows every hour of the window, empty ones as zero.
import type { Stats } from '../../../gateway/api/types.js';

export type HourBucket = Stats['perHour'][number];

const HOUR = 3_600_000;

export function fillHours(perHour: readonly HourBucket[], hours: number, now: number): HourBucket[] {
  const byHour = new Map<number, HourBucket>();
  for (const b of perHour) byHour.set(Math.floor(Date.parse(b.hour) / HOUR) * HOUR, b);
  const last = Math.floor(now / HOUR) * HOUR;
  const out: HourBucket[] = [];
  for (let at = last - (hours - 1) * HOUR; at <= last; at += HOUR) {
    out.push(byHour.get(at) ?? { hour: new Date(at).toISOString(), total: 0, approved: 0, rejected: 0 });
  }
  return out;
}
