// Finds what to mask, for whole texts and streamed buffers alike. Matching is a left-to-right scan:
// the match starting first wins, the longer on a tie, then the earlier detector; the scan resumes at its end.
//
// For a stream, `partialStart` gives the first position whose tail may still grow into a match. A match
// starting before it cannot change with more text (all its matcher reads, look-aheads included, is already
// in the buffer), so the stream masks and emits up to there and holds the rest: the same result as masking
// the whole text at once, whatever the chunking.
import type { Detector } from './detectors.js';

export interface Match {
  start: number;
  end: number;
  detector: Detector;
}

export interface Finding {
  /** The detector as the config names it: `email`, `secrets`, or a custom pattern's name. */
  detector: string;
  /** What was found: the detector name, or for secrets the kind (`openai`, `aws`, `private_key`, …). */
  kind: string;
  placeholder: string;
  /** Offsets in the original text, end exclusive. */
  start: number;
  end: number;
}

/** A match as reported to callers; `offset` places a buffer's positions in the whole text. */
export function toFinding({ detector, start, end }: Match, offset: number): Finding {
  return { detector: detector.name, kind: detector.kind, placeholder: detector.placeholder, start: start + offset, end: end + offset };
}

export class Scanner {
  /** Most text a stream can hold back: the longest prefix any detector may still complete. */
  readonly maxHoldBack: number;
  /** Already-emitted text a stream keeps so look-behinds see what precedes a match. */
  readonly context: number;
  // Prefixes that may span whitespace are searched from the start of the held tail; the others (most)
  // only from its last whitespace on, which keeps the search to about one word per chunk.
  private readonly spanningPrefix: RegExp | null;
  private readonly wordPrefix: RegExp | null;

  constructor(readonly detectors: readonly Detector[]) {
    this.maxHoldBack = Math.max(0, ...detectors.map((d) => d.holdLength));
    this.context = Math.max(0, ...detectors.map((d) => d.lookbehindLength));
    this.spanningPrefix = prefixRegex(detectors.filter((d) => d.prefixSpansWhitespace));
    this.wordPrefix = prefixRegex(detectors.filter((d) => !d.prefixSpansWhitespace));
  }

  /** Calls `visit` for each match starting at or after `from` and before `limit`; returns where scanning stopped. */
  scan(text: string, from: number, limit: number, visit: (match: Match) => void): number {
    const next: (Match | null | undefined)[] = new Array(this.detectors.length);
    let position = from;
    for (;;) {
      let best: Match | null = null;
      for (let i = 0; i < this.detectors.length; i++) {
        let candidate = next[i];
        if (candidate === undefined || (candidate !== null && candidate.start < position)) {
          candidate = next[i] = firstMatch(this.detectors[i], text, position);
        }
        if (candidate && candidate.start < limit && (!best || candidate.start < best.start || (candidate.start === best.start && candidate.end > best.end))) {
          best = candidate;
        }
      }
      if (!best) return position;
      visit(best);
      position = best.end;
    }
  }

  /** The first position at or after `from` from which the rest of `text` is a prefix of some match. */
  partialStart(text: string, from: number): number {
    let start = text.length;
    if (from >= start) return start;
    if (this.spanningPrefix) start = firstIndex(this.spanningPrefix, text, from);
    if (this.wordPrefix) {
      let wordStart = text.length;
      while (wordStart > from && !WHITESPACE.test(text[wordStart - 1])) wordStart--;
      if (wordStart < start) start = Math.min(start, firstIndex(this.wordPrefix, text, wordStart));
    }
    return start;
  }
}

const WHITESPACE = /\s/;

function prefixRegex(detectors: readonly Detector[]): RegExp | null {
  if (detectors.length === 0) return null;
  return new RegExp(`(?:${detectors.map((d) => `(?:${d.prefixSource})`).join('|')})$`, 'gu');
}

function firstIndex(regex: RegExp, text: string, from: number): number {
  regex.lastIndex = from;
  return regex.exec(text)?.index ?? text.length;
}

/**
 * The detector's first accepted match starting at or after `from`. A rejected match (bad checksum) lets
 * the search go on from the next character, so the result does not depend on where an earlier scan began.
 */
function firstMatch(detector: Detector, text: string, from: number): Match | null {
  const { matcher, accept } = detector;
  matcher.lastIndex = from;
  for (;;) {
    const found = matcher.exec(text);
    if (!found) return null;
    const length = accept ? accept(found[0]) : found[0].length;
    if (length > 0) return { start: found.index, end: found.index + length, detector };
    matcher.lastIndex = found.index + (text.codePointAt(found.index)! > 0xffff ? 2 : 1);
  }
}
