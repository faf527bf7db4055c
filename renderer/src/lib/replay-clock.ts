// Replay of a recorded session: the track (what text was visible when, where the markers sit,
// optionally with long idle gaps squeezed) and a clock that plays it at a speed. No DOM here.
import type { TimelineEvent, TimelineType } from '../../../gateway/api/types.js';

export type Speed = 1 | 2 | 4 | 8 | 10 | 16 | 'instant';
export const SPEEDS: readonly Speed[] = [1, 2, 4, 8, 10, 16, 'instant'];

/** With "skip idle" on, any quiet stretch longer than this plays as this long. */
export const IDLE_LIMIT_MS = 2000;

export interface ReplayMarker {
  /** Position on the (possibly squeezed) track. */
  at: number;
  /** Recorded milliseconds since arrival. */
  t: number;
  type: TimelineType;
  label: string;
  by: string | null;
}

interface Chunk {
  at: number;
  /** Length of the answer text once this chunk has been shown. */
  end: number;
}

export interface ReplayTrack {
  duration: number;
  markers: ReplayMarker[];
  chunks: Chunk[];
  text: string;
  /** Recorded time and track position of every event, for mapping between the two. */
  points: { t: number; at: number }[];
}

const LABELS: Record<TimelineType, string> = {
  arrived: 'Arrived',
  pending: 'Held for review',
  notified: 'Notified',
  claimed: 'Claimed',
  edited: 'Edited',
  approved: 'Approved',
  rejected: 'Rejected',
  timed_out: 'Timed out',
  escalated: 'Escalated',
  cancelled: 'Caller left',
  interrupted: 'Interrupted',
  forwarding: 'Forwarded upstream',
  first_byte: 'First byte',
  chunk: 'Chunk',
  completed: 'Completed',
  failed: 'Failed',
};

/** The gateway marks a reviewer opening the editor as `edited` with this detail; the edit itself comes with the approval. */
const STARTED_EDITING = 'started editing';

export function markerLabel(type: TimelineType, by: string | null, detail?: string): string {
  const label = type === 'edited' && detail === STARTED_EDITING ? 'Started editing' : LABELS[type];
  return by ? `${label} by ${by}` : label;
}

/**
 * Builds the track from the recorded timeline. `fallbackText` covers answers recorded without
 * chunks (non-streamed): it appears whole at completion.
 */
export function buildTrack(timeline: readonly TimelineEvent[], options: { idleLimitMs?: number | null; fallbackText?: string } = {}): ReplayTrack {
  const limit = options.idleLimitMs ?? null;
  const events = [...timeline].sort((a, b) => a.t - b.t);
  const points: { t: number; at: number }[] = [];
  const markers: ReplayMarker[] = [];
  const chunks: Chunk[] = [];
  let text = '';
  let at = 0;
  let lastT = 0;
  for (const e of events) {
    const gap = Math.max(0, e.t - lastT);
    at += limit === null ? gap : Math.min(gap, limit);
    lastT = Math.max(lastT, e.t);
    points.push({ t: e.t, at });
    if (e.type === 'chunk') {
      if (e.text) {
        text += e.text;
        chunks.push({ at, end: text.length });
      }
      continue;
    }
    markers.push({ at, t: e.t, type: e.type, label: markerLabel(e.type, e.by ?? null, e.detail), by: e.by ?? null });
  }
  if (chunks.length === 0 && options.fallbackText) {
    const done = markers.find((m) => m.type === 'completed') ?? markers[markers.length - 1];
    text = options.fallbackText;
    chunks.push({ at: done ? done.at : at, end: text.length });
  }
  return { duration: at, markers, chunks, text, points };
}

/** Index of the last item whose `at` is at or before the position (-1 when none). */
function lastAtOrBefore(items: readonly { at: number }[], position: number): number {
  let lo = 0;
  let hi = items.length - 1;
  let found = -1;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    if (items[mid].at <= position) {
      found = mid;
      lo = mid + 1;
    } else hi = mid - 1;
  }
  return found;
}

/** The answer text the caller had seen at this track position. */
export function textAt(track: ReplayTrack, position: number): string {
  const i = lastAtOrBefore(track.chunks, position);
  return i < 0 ? '' : track.text.slice(0, track.chunks[i].end);
}

/** Track position at which `query` first became visible, or null (case-insensitive). */
export function findText(track: ReplayTrack, query: string): number | null {
  if (!query) return null;
  const index = track.text.toLowerCase().indexOf(query.toLowerCase());
  if (index < 0) return null;
  const needed = index + query.length;
  const chunk = track.chunks.find((c) => c.end >= needed);
  return chunk ? chunk.at : null;
}

/** Recorded time at a track position (interpolated between events). */
export function recordedTime(track: ReplayTrack, position: number): number {
  const i = lastAtOrBefore(track.points, position);
  if (i < 0) return 0;
  const p = track.points[i];
  const next = track.points[i + 1];
  if (!next || next.at === p.at) return p.t;
  return p.t + ((position - p.at) / (next.at - p.at)) * (next.t - p.t);
}

/** Track position of a recorded time: the inverse of recordedTime. */
export function trackPosition(track: ReplayTrack, t: number): number {
  const pts = track.points;
  if (pts.length === 0 || t <= pts[0].t) return 0;
  for (let i = 0; i < pts.length - 1; i++) {
    const a = pts[i];
    const b = pts[i + 1];
    if (t <= b.t) return b.t === a.t ? b.at : a.at + ((t - a.t) / (b.t - a.t)) * (b.at - a.at);
  }
  return track.duration;
}

/** Plays a track of `duration` ms at a speed; `now` is injectable so tests need no real time. */
export class ReplayClock {
  private anchorPosition = 0;
  private anchorTime = 0;
  private rate = 1;
  private running = false;

  constructor(
    private duration: number,
    private readonly now: () => number = () => performance.now(),
  ) {}

  get playing(): boolean {
    return this.running && this.position() < this.duration;
  }

  get speed(): number {
    return this.rate;
  }

  get length(): number {
    return this.duration;
  }

  position(): number {
    if (!this.running) return this.anchorPosition;
    return Math.min(this.duration, this.anchorPosition + (this.now() - this.anchorTime) * this.rate);
  }

  play(): void {
    if (this.position() >= this.duration) this.anchorPosition = 0;
    else this.anchorPosition = this.position();
    this.anchorTime = this.now();
    this.running = true;
  }

  pause(): void {
    this.anchorPosition = this.position();
    this.running = false;
  }

  toggle(): void {
    if (this.playing) this.pause();
    else this.play();
  }

  /** Moves the play head; keeps playing only if it was playing (a finished replay stays stopped). */
  seek(position: number): void {
    this.running = this.playing;
    this.anchorPosition = Math.min(this.duration, Math.max(0, position));
    this.anchorTime = this.now();
  }

  setSpeed(speed: Speed): void {
    if (speed === 'instant') {
      this.seek(this.duration);
      this.running = false;
      return;
    }
    this.anchorPosition = this.position();
    this.anchorTime = this.now();
    this.rate = speed;
  }

  /** A new track (skip idle toggled): keep the place by recorded time via the caller's mapping. */
  setDuration(duration: number, position: number): void {
    this.duration = duration;
    this.seek(position);
  }
}
