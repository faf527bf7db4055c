import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { compilePattern, PatternError } from '../../../gateway/guard/masking/pattern.js';
import { buildDetectors } from '../../../gateway/guard/masking/detectors.js';
import { maskingConfigSchema, patternOptions } from '../../../gateway/guard/masking/config.js';
import { fixed, groupsOf4 } from './samples.js';

const compile = (source: string) => compilePattern(source, patternOptions);
const prefixes = (text: string) => Array.from({ length: text.length + 1 }, (_, i) => text.slice(0, i));
const isPrefix = (prefixSource: string, text: string) => new RegExp(`^(?:${prefixSource})$`, 'u').test(text);

describe('compilePattern', () => {
  it('derives a regex for every prefix of a match, and only those', () => {
    const { prefixSource } = compile('TKT-[0-9]+');
    for (const text of prefixes('TKT-1234')) expect(isPrefix(prefixSource, text), text).toBe(true);
    for (const text of ['TX', 'KT-', 'TKT-1a', ' TKT']) expect(isPrefix(prefixSource, text), text).toBe(false);
  });

  it('keeps the text a look-ahead reads as part of what may be held', () => {
    const { prefixSource } = compile(String.raw`\d{3}(?!\.\d)`);
    expect(isPrefix(prefixSource, '123.')).toBe(true);
    expect(isPrefix(prefixSource, '123.4')).toBe(true);
    expect(isPrefix(prefixSource, '123x')).toBe(false);
  });

  it('bounds matches: unbounded repeats are capped, lengths counted in UTF-16 units', () => {
    expect(compile('TKT-[0-9]+')).toMatchObject({ maxLength: 4 + 256, holdLength: 4 + 256, lookbehindLength: 0 });
    expect(compile('a.{2}').maxLength).toBe(5); // . may match a surrogate pair
    expect(compile(String.raw`(?<=id=)\d{4}(?=;)`)).toMatchObject({ maxLength: 4, holdLength: 5, lookbehindLength: 3 });
    expect(compile('TKT-[0-9]+').matcher.exec('TKT-' + '1'.repeat(300))![0]).toHaveLength(260);
  });

  it('refuses what a stream cannot bound or place', () => {
    for (const [source, reason] of [
      ['(a)\\1', /back-references/],
      ['^TKT', /not supported/],
      ['a*', /empty string/],
      ['(?<=.+)x', /look-behind/],
      ['[unclosed', /not a valid regular expression/],
    ] as const) {
      expect(() => compile(source)).toThrow(PatternError);
      expect(() => compile(source)).toThrow(reason);
    }
  });

  it('accepts every prefix of random matches of random-ish patterns', () => {
    const sources = [String.raw`[A-Z]{2}-\d{3,5}(?:\.[a-z]+)?`, '(?:ab|cd)+x{2,3}', 'TKT-[0-9]+', String.raw`(?:\+\d{1,3} )?\(?\d{3}\)?[ -]\d{4}`];
    for (const source of sources) {
      const { prefixSource, maxLength } = compile(source);
      fc.assert(
        fc.property(fc.stringMatching(new RegExp(`^(?:${source})$`)), (text) => {
          fc.pre(text.length <= maxLength);
          for (const prefix of prefixes(text)) expect(isPrefix(prefixSource, prefix), `${source}: ${prefix}`).toBe(true);
        }),
        { numRuns: 100 },
      );
    }
  });

  it("accepts every prefix of each built-in detector's samples", () => {
    const detectors = buildDetectors(maskingConfigSchema.parse({}));
    const samples: [kind: string, value: string][] = [
      ['email', fixed.email], ['phone', fixed.phoneIntl], ['phone', fixed.phoneNanp], ['card', fixed.card], ['card', groupsOf4(fixed.card)],
      ['iban', fixed.iban], ['iban', groupsOf4(fixed.iban)], ['ssn', fixed.ssn], ['ip', fixed.ipv4], ['ip', fixed.ipv6], ['openai', fixed.openai],
      ['anthropic', fixed.anthropic], ['aws', fixed.awsKeyId], ['aws', fixed.awsSecret], ['github', fixed.github], ['github', fixed.githubPat],
      ['slack', fixed.slack], ['stripe', fixed.stripe], ['private_key', fixed.privateKey], ['jwt', fixed.jwt], ['bearer', fixed.bearer],
      ['gitlab', fixed.gitlab], ['npm', fixed.npm], ['password', fixed.password],
    ];
    for (const [kind, value] of samples) {
      const ofKind = detectors.filter((d) => d.kind === kind);
      for (const prefix of prefixes(value)) expect(ofKind.some((d) => isPrefix(d.prefixSource, prefix)), `${kind}: ${prefix}`).toBe(true);
    }
  });

  it('keeps every built-in detector bounded', () => {
    const detectors = buildDetectors(maskingConfigSchema.parse({}));
    for (const d of detectors) {
      expect(d.maxLength, d.kind).toBeLessThanOrEqual(8400);
      expect(d.lookbehindLength, d.kind).toBeLessThanOrEqual(256);
    }
  });
});
