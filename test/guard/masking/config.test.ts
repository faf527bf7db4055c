import { describe, expect, it } from 'vitest';
import { createMasker, maskingConfigSchema } from '../../../gateway/guard/masking/index.js';
import { fixed } from './samples.js';

describe('maskingConfigSchema', () => {
  it('defaults to every detector, no custom patterns, answers only', () => {
    expect(maskingConfigSchema.parse({})).toEqual({
      detectors: ['email', 'phone', 'card', 'iban', 'ssn', 'ip', 'secrets'],
      custom: [],
      placeholders: {},
      requests: false,
    });
  });

  it('reads the documented example', () => {
    const config = maskingConfigSchema.parse({
      detectors: ['email', 'secrets'],
      custom: [{ name: 'ticket', pattern: 'TKT-[0-9]+' }],
      placeholders: { email: '<redacted email>' },
      requests: false,
    });
    expect(config.custom).toEqual([{ name: 'ticket', pattern: 'TKT-[0-9]+' }]);
  });

  it('refuses unknown detectors and keys, bad custom patterns and unknown placeholder keys, saying why', () => {
    const problems = (input: unknown) => maskingConfigSchema.safeParse(input).error?.issues.map((issue) => `${issue.path.join('.')}: ${issue.message}`);
    expect(problems({ detectors: ['passport'] })?.[0]).toMatch(/^detectors\.0/);
    expect(problems({ enabled: true })?.[0]).toMatch(/enabled/);
    expect(problems({ custom: [{ name: 'ref', pattern: '(a)\\1' }] })).toEqual(['custom.0.pattern: pattern "(a)\\\\1": back-references are not supported']);
    expect(problems({ custom: [{ name: 'ref', pattern: '^REF' }] })?.[0]).toMatch(/custom\.0\.pattern: .*\^ is not supported/);
    expect(problems({ custom: [{ name: 'ref', pattern: 'x*' }] })?.[0]).toMatch(/empty string/);
    expect(problems({ custom: [{ name: 'email', pattern: 'x' }] })).toEqual(['custom.0.name: "email" is already a detector name']);
    expect(problems({ custom: [{ name: '9lives', pattern: 'x' }] })?.[0]).toMatch(/^custom\.0\.name/);
    expect(problems({ placeholders: { passport: '[P]' } })).toEqual(['placeholders.passport: "passport" is not a detector, custom pattern or secrets.<kind>']);
  });
});

describe('createMasker config', () => {
  it('runs only the detectors listed', () => {
    const masker = createMasker({ detectors: ['email'] });
    expect(masker.mask(`${fixed.email} ${fixed.ssn} ${fixed.github}`).text).toBe(`[EMAIL] ${fixed.ssn} ${fixed.github}`);
  });

  it('overrides placeholders per detector, for all secrets, or per kind of secret', () => {
    const masker = createMasker({ placeholders: { email: '<redacted email>', secrets: '[REDACTED]', 'secrets.github': '[GH TOKEN]' } });
    expect(masker.mask(`${fixed.email} ${fixed.github} ${fixed.awsKeyId}`).text).toBe('<redacted email> [GH TOKEN] [REDACTED]');
  });

  it('masks custom patterns as [NAME], or with their replacement', () => {
    const masker = createMasker({
      custom: [
        { name: 'ticket', pattern: 'TKT-[0-9]+' },
        { name: 'project-code', pattern: String.raw`(?<![A-Z])PRJ_[A-Z]{3}\b`, replacement: '<project>' },
      ],
    });
    const { text, findings } = masker.mask('see TKT-1234 in PRJ_ABC, not XPRJ_ABC');
    expect(text).toBe('see [TICKET] in <project>, not XPRJ_ABC');
    expect(findings.map((f) => [f.detector, f.kind])).toEqual([['ticket', 'ticket'], ['project-code', 'project-code']]);
  });

  it('throws on an invalid config', () => {
    expect(() => createMasker({ custom: [{ name: 'bad', pattern: '(' }] })).toThrow(/not a valid regular expression/);
  });
});
