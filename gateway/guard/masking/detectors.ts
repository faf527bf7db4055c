// Turns masking settings into the ordered list of compiled detectors, each with its placeholder.
// Order breaks ties between matches of equal start and length: secrets, then custom, then personal data.
import { compilePattern, type CompiledPattern, type PatternSpec } from './pattern.js';
import { patternOptions, type DetectorName, type MaskingSettings } from './config.js';
import { piiPatterns } from './pii.js';
import { secretPatterns } from './secrets.js';

export interface Detector extends CompiledPattern {
  /** The detector as the config names it: `email`, `secrets`, or a custom name. */
  name: string;
  /** What was found: the detector name, or the kind of secret (`openai`, `aws`, …). */
  kind: string;
  placeholder: string;
  accept?: (match: string) => number;
}

const PII_ORDER: Exclude<DetectorName, 'secrets'>[] = ['card', 'iban', 'ssn', 'phone', 'ip', 'email'];

export function buildDetectors(settings: MaskingSettings): Detector[] {
  const enabled = new Set(settings.detectors);
  const { placeholders } = settings;
  const detectors: Detector[] = [];
  const add = (name: string, spec: PatternSpec, placeholder: string) => {
    detectors.push({ name, kind: spec.kind, placeholder, accept: spec.accept, ...compilePattern(spec.pattern, patternOptions) });
  };

  if (enabled.has('secrets')) {
    for (const spec of secretPatterns) {
      add('secrets', spec, placeholders[`secrets.${spec.kind}`] ?? placeholders.secrets ?? `[SECRET:${spec.kind}]`);
    }
  }
  for (const custom of settings.custom) {
    const placeholder = custom.replacement ?? placeholders[custom.name] ?? `[${custom.name.toUpperCase()}]`;
    add(custom.name, { kind: custom.name, pattern: custom.pattern }, placeholder);
  }
  for (const name of PII_ORDER) {
    if (!enabled.has(name)) continue;
    for (const spec of piiPatterns[name]) add(name, spec, placeholders[name] ?? `[${name.toUpperCase()}]`);
  }
  return detectors;
}
