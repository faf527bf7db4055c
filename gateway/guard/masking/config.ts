// The `masking:` section of the config file. Custom patterns are compiled here, so a pattern the
// stream masker cannot bound fails at start-up with the reason, not on the first answer.
import { z } from 'zod';
import { compilePattern, PatternError } from './pattern.js';
import { secretKinds } from './secrets.js';

export const detectorNames = ['email', 'phone', 'card', 'iban', 'ssn', 'ip', 'secrets'] as const;
export type DetectorName = (typeof detectorNames)[number];

/** Unbounded repeats in custom patterns (+, *, {n,}) match at most this many times. */
export const CUSTOM_REPEAT_CAP = 256;
/** Left context a stream keeps for look-behinds; a pattern looking further back is refused. */
export const MAX_LOOKBEHIND = 256;

export const patternOptions = { repeatCap: CUSTOM_REPEAT_CAP, maxLookbehind: MAX_LOOKBEHIND };

const customPatternSchema = z.strictObject({
  name: z.string().regex(/^[A-Za-z][A-Za-z0-9_-]*$/, 'a name of letters, digits, _ and -, starting with a letter'),
  pattern: z.string().superRefine((pattern, ctx) => {
    try {
      compilePattern(pattern, patternOptions);
    } catch (error) {
      if (!(error instanceof PatternError)) throw error;
      ctx.addIssue({ code: 'custom', message: `pattern ${JSON.stringify(pattern)}: ${error.message}` });
    }
  }),
  /** The placeholder; default the upper-cased name in brackets, e.g. [TICKET]. */
  replacement: z.string().optional(),
});

export const maskingConfigSchema = z
  .strictObject({
    detectors: z.array(z.enum(detectorNames)).default([...detectorNames]),
    custom: z.array(customPatternSchema).default([]),
    /** Placeholder overrides, keyed by detector (`email`), custom name, `secrets` or one kind (`secrets.openai`). */
    placeholders: z.record(z.string(), z.string()).default({}),
    /** Mask prompts too, not only answers. */
    requests: z.boolean().default(false),
  })
  .superRefine((config, ctx) => {
    const names = new Set<string>(detectorNames);
    config.custom.forEach((custom, index) => {
      if (names.has(custom.name)) {
        ctx.addIssue({ code: 'custom', path: ['custom', index, 'name'], message: `"${custom.name}" is already a detector name` });
      }
      names.add(custom.name);
    });
    for (const kind of secretKinds) names.add(`secrets.${kind}`);
    for (const key of Object.keys(config.placeholders)) {
      if (!names.has(key)) {
        ctx.addIssue({ code: 'custom', path: ['placeholders', key], message: `"${key}" is not a detector, custom pattern or secrets.<kind>` });
      }
    }
  });

/** The section as written (every field optional). */
export type MaskingConfig = z.input<typeof maskingConfigSchema>;
/** The section after defaults. */
export type MaskingSettings = z.output<typeof maskingConfigSchema>;
