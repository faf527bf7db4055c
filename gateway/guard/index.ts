// Guardrails: what decides or transforms a request besides a reviewer — masking, content checks, rate limits.
import type { AirlockConfig } from '../config/schema.js';
import type { RequestFlow } from '../flow/request-flow.js';
import type { ContainsCheck } from '../stages/policy.js';
import type { TextTransform } from '../stages/stream-tap.js';
import { createMasker, maskJsonStrings, maskingConfigSchema, type Masker } from './masking/index.js';
import { RateLimiter } from './rate-limit.js';

export class Guardrails {
  readonly masker: Masker | null;
  /** Any-detector masker for `contains:` rules, even when answer masking is off. */
  private readonly detector: Masker;
  readonly maskRequests: boolean;
  readonly rateLimiter: RateLimiter;

  constructor(config: AirlockConfig) {
    const masking = config.masking === false ? null : (config.masking ?? maskingConfigSchema.parse({}));
    this.masker = masking && (masking.detectors.length > 0 || masking.custom.length > 0) ? createMasker(masking) : null;
    this.maskRequests = masking?.requests ?? false;
    this.detector = createMasker(masking ? { custom: masking.custom } : {});
    this.rateLimiter = new RateLimiter(config, this.contains);
  }

  /** `contains: card` — a detector (or one kind of secret, `secrets.aws`) finds something in the text. */
  contains: ContainsCheck = (name, text) => this.detector.mask(text).findings.some((f) => f.detector === name || `${f.detector}.${f.kind}` === name || f.kind === name);

  /** Masks streamed answer text across chunk boundaries. */
  streamTransform = (_flow: RequestFlow): (() => TextTransform) | undefined => {
    const masker = this.masker;
    return masker ? () => masker.stream() : undefined;
  };

  /** Masks every string of a whole JSON answer (and the text repeated in a stream's closing events). */
  bodyTransform = (_flow: RequestFlow, body: unknown): unknown => (this.masker ? maskJsonStrings(body, this.masker) : body);

  /** With `masking.requests`, prompts are masked before they leave. */
  requestTransform = (_flow: RequestFlow, body: Record<string, unknown>): Record<string, unknown> =>
    this.maskRequests && this.masker ? maskJsonStrings(body, this.masker) : body;
}
