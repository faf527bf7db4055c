// Policy: decides, before any reviewer sees a request, whether it is approved, held for review or rejected.
import picomatch from 'picomatch';
import { compileRegex, type AirlockConfig, type Policy, type PolicyMatch } from '../config/schema.js';
import type { RequestFlow } from '../flow/request-flow.js';

export interface PolicyVerdict {
  rule: string | null;
  action: 'approve' | 'review' | 'reject';
  reason: string | null;
  timeoutMs: number;
  onTimeout: 'reject' | 'approve';
  approvals: number;
  escalateAfterMs: number | null;
  escalateTo: string[];
  extendable: boolean;
  review: 'request' | 'response' | 'both';
}

/** Facts about a request that rules match on. */
export interface MatchSubject {
  caller: string;
  model: string;
  path: string;
  protocol: string;
  family: string;
  promptText: () => string;
  tokens: () => number;
  now: Date;
}

/** Detector lookup for `contains:` (provided by the masking guardrail). */
export type ContainsCheck = (detector: string, text: string) => boolean;

const compiled = new WeakMap<PolicyMatch, (s: MatchSubject, contains: ContainsCheck) => boolean>();

function list(value: string | string[] | undefined): string[] | undefined {
  return value === undefined ? undefined : Array.isArray(value) ? value : [value];
}

function minutes(hhmm: string): number {
  const [h, m] = hhmm.split(':').map(Number);
  return h * 60 + m;
}

export function compileMatch(match: PolicyMatch): (s: MatchSubject, contains: ContainsCheck) => boolean {
  const existing = compiled.get(match);
  if (existing) return existing;
  const callers = list(match.caller)?.map((c) => picomatch(c));
  const models = list(match.model)?.map((m) => picomatch(m, { nocase: true }));
  const paths = list(match.path)?.map((p) => picomatch(p));
  const prompt = match.prompt ? compileRegex(match.prompt) : undefined;
  const fn = (s: MatchSubject, contains: ContainsCheck): boolean => {
    if (callers && !callers.some((m) => m(s.caller))) return false;
    if (models && !models.some((m) => m(s.model))) return false;
    if (paths && !paths.some((m) => m(s.path))) return false;
    if (match.protocol && match.protocol !== s.protocol && match.protocol !== s.family) return false;
    if (match.tokens) {
      const tokens = s.tokens();
      if (match.tokens.over !== undefined && !(tokens > match.tokens.over)) return false;
      if (match.tokens.under !== undefined && !(tokens < match.tokens.under)) return false;
    }
    if (match.time) {
      const now = s.now.getHours() * 60 + s.now.getMinutes();
      const from = minutes(match.time.from);
      const to = minutes(match.time.to);
      const inside = from <= to ? now >= from && now < to : now >= from || now < to;
      if (!inside) return false;
    }
    if (prompt && !prompt.test(s.promptText())) return false;
    if (match.contains && !contains(match.contains, s.promptText())) return false;
    return true;
  };
  compiled.set(match, fn);
  return fn;
}

export function verdictOf(rule: Policy | null, config: AirlockConfig): PolicyVerdict {
  return {
    rule: rule?.name ?? null,
    action: rule?.action ?? 'review',
    reason: rule?.reason ?? null,
    timeoutMs: rule?.timeout ?? config.hold.timeout,
    onTimeout: rule?.onTimeout ?? 'reject',
    approvals: rule?.approvals ?? 1,
    escalateAfterMs: rule?.escalateAfter ?? null,
    escalateTo: rule?.escalateTo ?? [],
    extendable: rule?.extendable ?? true,
    review: rule?.review ?? 'request',
  };
}

/** First matching rule wins; with no rule every request is reviewed. Listing models carries no prompt and passes. */
export function decidePolicy(flow: RequestFlow, config: AirlockConfig, contains: ContainsCheck): PolicyVerdict {
  if (flow.adapter.method === 'GET') return { ...verdictOf(null, config), rule: 'builtin:list-models', action: 'approve' };
  const subject = subjectOf(flow);
  for (const rule of config.policies) {
    if (compileMatch(rule.match)(subject, contains)) return verdictOf(rule, config);
  }
  return verdictOf(null, config);
}

export function subjectOf(flow: RequestFlow): MatchSubject {
  return {
    caller: flow.caller.name,
    model: flow.model,
    path: flow.adapter.path,
    protocol: flow.adapter.protocol,
    family: flow.adapter.family,
    promptText: () => flow.promptText,
    tokens: () => flow.tokens,
    now: new Date(),
  };
}
