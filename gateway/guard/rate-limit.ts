// Rate limits per caller (and per rule): requests and estimated tokens per minute, as token buckets.
import type { AirlockConfig } from '../config/schema.js';
import { AirlockError } from '../errors.js';
import type { RequestFlow } from '../flow/request-flow.js';
import { compileMatch, subjectOf, type ContainsCheck } from '../stages/policy.js';

interface Bucket {
  level: number;
  updated: number;
}

export class RateLimiter {
  private readonly buckets = new Map<string, Bucket>();

  constructor(
    private readonly config: AirlockConfig,
    private readonly contains: ContainsCheck,
    private readonly now: () => number = Date.now,
  ) {}

  /** Throws a 429 AirlockError with retry-after when `flow` would exceed a limit; otherwise takes its share. */
  admit(flow: RequestFlow): void {
    if (this.config.rateLimits.length === 0) return;
    const subject = subjectOf(flow);
    const takes: { key: string; perMinute: number; cost: number; what: string }[] = [];
    this.config.rateLimits.forEach((limit, index) => {
      if (!compileMatch(limit.match)(subject, this.contains)) return;
      const scope = `${index}:${flow.caller.name}`;
      if (limit.requestsPerMinute) takes.push({ key: `${scope}:req`, perMinute: limit.requestsPerMinute, cost: 1, what: `${limit.requestsPerMinute} requests per minute` });
      if (limit.tokensPerMinute) takes.push({ key: `${scope}:tok`, perMinute: limit.tokensPerMinute, cost: flow.tokens, what: `${limit.tokensPerMinute} tokens per minute` });
    });
    const now = this.now();
    let wait = 0;
    let reason = '';
    for (const take of takes) {
      const bucket = this.refill(take.key, take.perMinute, now);
      if (take.cost > take.perMinute) {
        throw new AirlockError('rate_limited', {
          message: `This request's estimated ${take.cost} tokens exceed the limit of ${take.what} for caller "${flow.caller.name}".`,
          retryAfterSeconds: 60,
        });
      }
      if (bucket.level < take.cost) {
        const seconds = ((take.cost - bucket.level) / take.perMinute) * 60;
        if (seconds > wait) {
          wait = seconds;
          reason = take.what;
        }
      }
    }
    if (wait > 0) {
      throw new AirlockError('rate_limited', {
        message: `Rate limit reached for caller "${flow.caller.name}": ${reason}. Try again in ${Math.ceil(wait)} s.`,
        retryAfterSeconds: wait,
      });
    }
    for (const take of takes) this.buckets.get(take.key)!.level -= take.cost;
  }

  private refill(key: string, perMinute: number, now: number): Bucket {
    let bucket = this.buckets.get(key);
    if (!bucket) {
      bucket = { level: perMinute, updated: now };
      this.buckets.set(key, bucket);
    }
    bucket.level = Math.min(perMinute, bucket.level + ((now - bucket.updated) / 60_000) * perMinute);
    bucket.updated = now;
    return bucket;
  }
}
