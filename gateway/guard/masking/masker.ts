// The masking engine's entry point: builds the detectors once from config, then masks whole texts and
// opens stream maskers that give the same result chunk by chunk.
import { maskingConfigSchema, type MaskingConfig } from './config.js';
import { buildDetectors } from './detectors.js';
import { Scanner, toFinding, type Finding } from './scanner.js';
import { StreamMasker } from './stream-masker.js';

export interface Masker {
  mask(text: string): { text: string; findings: Finding[] };
  stream(): StreamMasker;
  /** The most characters a stream masker ever holds back. */
  readonly maxHoldBack: number;
}

/** Throws a ZodError when the config is invalid (e.g. a custom pattern that cannot be bounded). */
export function createMasker(config: MaskingConfig = {}): Masker {
  const scanner = new Scanner(buildDetectors(maskingConfigSchema.parse(config)));
  return {
    maxHoldBack: scanner.maxHoldBack,
    stream: () => new StreamMasker(scanner),
    mask(text) {
      const findings: Finding[] = [];
      let out = '';
      let cursor = 0;
      scanner.scan(text, 0, Infinity, (match) => {
        out += text.slice(cursor, match.start) + match.detector.placeholder;
        cursor = match.end;
        findings.push(toFinding(match, 0));
      });
      return { text: findings.length ? out + text.slice(cursor) : text, findings };
    },
  };
}
