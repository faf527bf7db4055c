// The config file's schema: the one source of the gateway's configuration types.
import ms from 'ms';
import { z } from 'zod';
import { maskingConfigSchema } from '../guard/masking/config.js';

const duration = z
  .union([z.string(), z.number()])
  .transform((value, ctx) => {
    const parsed = typeof value === 'number' ? value : ms(value as ms.StringValue);
    if (typeof parsed !== 'number' || !Number.isFinite(parsed) || parsed < 0) {
      ctx.addIssue({ code: 'custom', message: `"${value}" is not a duration (use e.g. 30s, 10m, 2h, 90d)` });
      return z.NEVER;
    }
    return parsed;
  });

const byteSize = z.union([z.number().int().positive(), z.string().regex(/^\d+(\.\d+)?\s*(b|kb|mb|gb)$/i, 'a size such as 10mb')]).transform((value) => {
  if (typeof value === 'number') return value;
  const match = /^(\d+(?:\.\d+)?)\s*(b|kb|mb|gb)$/i.exec(value)!;
  const unit = { b: 1, kb: 1024, mb: 1024 ** 2, gb: 1024 ** 3 }[match[2].toLowerCase() as 'b' | 'kb' | 'mb' | 'gb'];
  return Math.round(Number(match[1]) * unit);
});

export const protocolFamily = z.enum(['openai', 'anthropic']);

export const upstreamSchema = z.strictObject({
  name: z.string().min(1),
  url: z.url(),
  protocol: protocolFamily,
  keyEnv: z.string().optional(),
});

/** Rules use `(?i)` for case-insensitive, as in Go and Python; JavaScript wants it as a flag. */
export function compileRegex(source: string): RegExp {
  const insensitive = source.startsWith('(?i)');
  return new RegExp(insensitive ? source.slice(4) : source, insensitive ? 'iu' : 'u');
}

/** A `prompt:` regular expression, compiled once here so a bad one stops the start instead of every request. */
const promptRegex = z.string().superRefine((source, ctx) => {
  try {
    compileRegex(source);
  } catch (err) {
    ctx.addIssue({ code: 'custom', message: `${JSON.stringify(source)} is not a valid regular expression (${(err as Error).message.replace(/^Invalid regular expression: /, '')})` });
  }
});

export const matchSchema = z.strictObject({
  caller: z.union([z.string(), z.array(z.string())]).optional(),
  model: z.union([z.string(), z.array(z.string())]).optional(),
  path: z.union([z.string(), z.array(z.string())]).optional(),
  protocol: z.union([protocolFamily, z.enum(['openai-chat', 'openai-responses', 'openai-embeddings', 'anthropic-messages'])]).optional(),
  prompt: promptRegex.optional(),
  contains: z.string().optional(),
  tokens: z.strictObject({ over: z.number().int().nonnegative().optional(), under: z.number().int().positive().optional() }).optional(),
  time: z.strictObject({ from: z.string().regex(/^\d{2}:\d{2}$/), to: z.string().regex(/^\d{2}:\d{2}$/) }).optional(),
});

export const policySchema = z.strictObject({
  name: z.string().min(1),
  match: matchSchema.default({}),
  action: z.enum(['approve', 'review', 'reject']),
  reason: z.string().optional(),
  timeout: duration.optional(),
  onTimeout: z.enum(['reject', 'approve']).default('reject'),
  escalateAfter: duration.optional(),
  escalateTo: z.array(z.string()).optional(),
  approvals: z.number().int().min(1).max(10).default(1),
  extendable: z.boolean().default(true),
  /** What a reviewer sees before it goes on: the request, the model's answer, or both. */
  review: z.enum(['request', 'response', 'both']).default('request'),
});

export const rateLimitSchema = z.strictObject({
  match: matchSchema.default({}),
  requestsPerMinute: z.number().int().positive().optional(),
  tokensPerMinute: z.number().int().positive().optional(),
});

export const holdSchema = z.strictObject({
  /** How long a streaming request waits before the gateway sends 200 and keep-alive comments. */
  streamGrace: duration.default(20_000),
  keepAlive: duration.default(15_000),
  /** Answer a held non-streaming request before HTTP clients give up (Node's fetch: 300 s). */
  httpLimit: duration.default(290_000),
  /** An approved request's identical retry by the same caller goes through within this window. */
  retryWindow: duration.default(600_000),
  /** The default wait for a decision when a policy names none. */
  timeout: duration.default(600_000),
});

export const configSchema = z.strictObject({
  server: z
    .strictObject({
      port: z.number().int().min(0).max(65535).optional(),
      host: z.string().optional(),
      bodyLimit: byteSize.default(10 * 1024 * 1024),
      upstreamTimeout: duration.default(600_000),
    })
    .default({ bodyLimit: 10 * 1024 * 1024, upstreamTimeout: 600_000 }),
  upstreams: z.array(upstreamSchema).default([]),
  policies: z.array(policySchema).default([]),
  rateLimits: z.array(rateLimitSchema).default([]),
  hold: holdSchema.default({ streamGrace: 20_000, keepAlive: 15_000, httpLimit: 290_000, retryWindow: 600_000, timeout: 600_000 }),
  /** Answer masking; default: every detector on answers. `false` turns it off. */
  masking: z.union([z.literal(false), maskingConfigSchema]).optional(),
  recording: z.strictObject({ answers: z.enum(['masked', 'raw']).default('masked') }).default({ answers: 'masked' }),
  retention: duration.optional(),
});

export type AirlockConfig = z.output<typeof configSchema>;
export type AirlockConfigInput = z.input<typeof configSchema>;
export type Policy = z.output<typeof policySchema>;
export type PolicyMatch = z.output<typeof matchSchema>;
export type Upstream = z.output<typeof upstreamSchema>;
export type ProtocolFamily = z.output<typeof protocolFamily>;

export function defaultConfig(): AirlockConfig {
  return configSchema.parse({});
}
