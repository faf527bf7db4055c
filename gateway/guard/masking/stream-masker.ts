// Masks an answer that arrives in deltas. Each push returns the text that can no longer become part of
// a match, masked; it holds back only a tail that may still grow into one (see Scanner.partialStart).
// Whatever the chunking, the concatenated output plus flush() equals masking the whole text at once.
import type { Scanner, Finding } from './scanner.js';
import { toFinding } from './scanner.js';

export class StreamMasker {
  /** What was masked so far, with offsets in the whole streamed text. */
  readonly findings: Finding[] = [];
  // The original text from #offset on: up to #emitted it is already answered and kept only as
  // look-behind context; after it is the held tail.
  #buffer = '';
  #offset = 0;
  #emitted = 0;
  #flushed = false;

  constructor(private readonly scanner: Scanner) {}

  /** Characters received but not yet emitted. */
  get held(): number {
    return this.#buffer.length - this.#emitted;
  }

  push(delta: string): string {
    if (this.#flushed) throw new Error('StreamMasker: push() after flush()');
    if (!delta) return '';
    this.#buffer += delta;
    let out = '';
    for (;;) {
      const settled = this.scanner.partialStart(this.#buffer, this.#emitted);
      out += this.#maskMatches(settled);
      // A match that began before `settled` may end after it; look again from its end.
      if (this.#emitted > settled) continue;
      out += this.#buffer.slice(this.#emitted, settled);
      this.#emitted = settled;
      break;
    }
    this.#dropEmitted();
    return out;
  }

  /** Ends the stream: the held tail, masked. */
  flush(): string {
    if (this.#flushed) return '';
    this.#flushed = true;
    const out = this.#maskMatches(Infinity) + this.#buffer.slice(this.#emitted);
    this.#offset += this.#buffer.length;
    this.#buffer = '';
    this.#emitted = 0;
    return out;
  }

  /** Emits text and placeholders for the matches starting before `limit`; #emitted moves to the last one's end. */
  #maskMatches(limit: number): string {
    if (limit <= this.#emitted) return '';
    const buffer = this.#buffer;
    let out = '';
    let cursor = this.#emitted;
    this.scanner.scan(buffer, cursor, limit, (match) => {
      out += buffer.slice(cursor, match.start) + match.detector.placeholder;
      cursor = match.end;
      this.findings.push(toFinding(match, this.#offset));
    });
    this.#emitted = cursor;
    return out;
  }

  #dropEmitted(): void {
    const drop = this.#emitted - this.scanner.context;
    if (drop <= 0) return;
    this.#buffer = this.#buffer.slice(drop);
    this.#offset += drop;
    this.#emitted -= drop;
  }
}
