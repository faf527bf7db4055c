// The review queue: pending flows, their timers and claims, and the decisions that resume them.
import type { Claim, Decision, ReviewerRole, RequestSummary } from '../api/types.js';
import { AirlockError } from '../errors.js';
import type { ProtocolAdapter } from '../protocols/adapter.js';
import type { HoldOutcome, RequestFlow } from './request-flow.js';

export const CLAIM_MS = 60_000;

export interface DecisionInput {
  action: 'approve' | 'reject';
  reviewer: string;
  role: ReviewerRole;
  reason?: string;
  note?: string;
  body?: unknown;
  force?: boolean;
}

interface Held {
  flow: RequestFlow;
  timers: NodeJS.Timeout[];
  resolveRetry?: () => void;
}

export interface QueueHooks {
  /** A decision or claim changed a flow that is still pending. */
  updated(flow: RequestFlow): void;
  /** A decision to record (before the flow resumes). */
  decided(flow: RequestFlow, decision: Decision): Promise<void>;
  escalated(flow: RequestFlow, to: string[]): void;
}

export class ReviewQueue {
  private readonly held = new Map<string, Held>();
  private readonly groups = new Map<string, Set<RequestFlow>>();
  private readonly claims = new Map<string, Claim>();
  /** Approved while its caller was away: the caller's identical retry picks it up. */
  private readonly awaitingRetry = new Map<string, Held>();
  private deciding: Promise<unknown> = Promise.resolve();

  constructor(private readonly hooks: QueueHooks) {}

  get size(): number {
    return this.held.size;
  }

  pending(): RequestFlow[] {
    return [...this.held.values()].map((h) => h.flow);
  }

  get(id: string): RequestFlow | undefined {
    return this.held.get(id)?.flow ?? this.awaitingRetry.get(id)?.flow;
  }

  /** Holds `flow` until a decision, its timeout, the caller leaving, or shutdown. */
  hold(flow: RequestFlow): Promise<HoldOutcome> {
    const verdict = flow.policy!;
    const entry: Held = { flow, timers: [] };
    this.held.set(flow.id, entry);
    const group = this.groups.get(flow.dedupeKey) ?? new Set();
    group.add(flow);
    this.groups.set(flow.dedupeKey, group);
    flow.timeoutAt = Date.now() + verdict.timeoutMs;
    entry.timers.push(setTimeout(() => flow.resume({ kind: 'timeout' }), verdict.timeoutMs));
    if (verdict.escalateAfterMs !== null) {
      entry.timers.push(
        setTimeout(() => {
          flow.escalated = true;
          flow.mark('escalated', { detail: verdict.escalateTo.join(', ') });
          this.hooks.escalated(flow, verdict.escalateTo);
          this.hooks.updated(flow);
        }, verdict.escalateAfterMs),
      );
    }
    return flow.hold().finally(() => this.release(entry));
  }

  private release(entry: Held): void {
    for (const timer of entry.timers) clearTimeout(timer);
    const { flow } = entry;
    this.held.delete(flow.id);
    this.claims.delete(flow.id);
    const group = this.groups.get(flow.dedupeKey);
    group?.delete(flow);
    if (group?.size === 0) this.groups.delete(flow.dedupeKey);
    for (const other of group ?? []) this.hooks.updated(other);
  }

  /** A pending (or approved-and-waiting) flow that an identical request from the same caller should join. */
  joinable(dedupeKey: string, isRetry: boolean): RequestFlow | undefined {
    for (const entry of this.awaitingRetry.values()) if (entry.flow.dedupeKey === dedupeKey) return entry.flow;
    for (const flow of this.groups.get(dedupeKey) ?? []) {
      if (isRetry || !flow.reply.open) return flow;
    }
    return undefined;
  }

  /** After approval with nobody listening: wait for the caller's retry, up to `windowMs`. */
  awaitRetry(flow: RequestFlow, windowMs: number): Promise<boolean> {
    return new Promise((resolve) => {
      const entry: Held = { flow, timers: [] };
      entry.timers.push(
        setTimeout(() => {
          this.awaitingRetry.delete(flow.id);
          resolve(false);
        }, windowMs),
      );
      entry.resolveRetry = () => {
        for (const timer of entry.timers) clearTimeout(timer);
        this.awaitingRetry.delete(flow.id);
        resolve(true);
      };
      this.awaitingRetry.set(flow.id, entry);
    });
  }

  /** The caller came back: resumes a flow waiting in `awaitRetry`. */
  retryArrived(flow: RequestFlow): void {
    this.awaitingRetry.get(flow.id)?.resolveRetry?.();
  }

  claim(id: string, reviewer: string, editing = false): Claim {
    const flow = this.held.get(id)?.flow;
    if (!flow) throw new AirlockError('not_pending', { message: 'This request is no longer pending.' });
    const current = this.liveClaim(id);
    if (current && current.reviewer !== reviewer) return current;
    const claim: Claim = { reviewer, until: new Date(Date.now() + CLAIM_MS).toISOString(), ...(editing ? { editing: true } : {}) };
    const first = !current;
    this.claims.set(id, claim);
    if (first) flow.mark('claimed', { by: reviewer });
    if (editing && !current?.editing) flow.mark('edited', { by: reviewer, detail: 'started editing' });
    this.hooks.updated(flow);
    return claim;
  }

  unclaim(id: string, reviewer: string): void {
    const current = this.liveClaim(id);
    if (current?.reviewer !== reviewer) return;
    this.claims.delete(id);
    const flow = this.held.get(id)?.flow;
    if (flow) this.hooks.updated(flow);
  }

  private liveClaim(id: string): Claim | null {
    const claim = this.claims.get(id);
    if (!claim) return null;
    if (Date.parse(claim.until) < Date.now()) {
      this.claims.delete(id);
      return null;
    }
    return claim;
  }

  /**
   * The identical requests (same caller, same body) waiting for their request's decision with `flow`, oldest first,
   * itself included when it waits so: one group, decided as one, listed as its oldest.
   */
  private groupOf(flow: RequestFlow): RequestFlow[] {
    if (flow.phase !== 'request') return [];
    return [...(this.groups.get(flow.dedupeKey) ?? [])].filter((f) => f.held && f.phase === 'request');
  }

  /**
   * Applies a reviewer's decision; throws an AirlockError (409 / 403) when it cannot. Identical requests waiting with
   * it (same caller, same body) are one group: the decision, edit included, goes to each of them too.
   */
  decide(id: string, input: DecisionInput): Promise<RequestFlow> {
    // One decision at a time: each is checked against the state the previous one left (two reviewers deciding the
    // same request, or two copies of one group, at the same moment: the second finds it no longer pending).
    const run = this.deciding.then(() => this.decideGroup(id, input));
    this.deciding = run.catch(() => undefined);
    return run;
  }

  private async decideGroup(id: string, input: DecisionInput): Promise<RequestFlow> {
    const flow = await this.decideOne(id, input);
    for (const other of this.groupOf(flow)) {
      if (other === flow) continue; // still waiting: a two-person rule wants another approval
      // A copy another reviewer holds (claimed, or being edited) stays for them, as its own row.
      await this.decideOne(other.id, { ...input, force: false }).catch(() => undefined);
    }
    return flow;
  }

  private async decideOne(id: string, input: DecisionInput): Promise<RequestFlow> {
    const entry = this.held.get(id);
    if (!entry || !entry.flow.held) throw new AirlockError('not_pending', { message: 'This request is no longer pending; it was decided, timed out or withdrawn.' });
    const { flow } = entry;
    if (input.role === 'auditor') throw new AirlockError('forbidden', { message: 'Auditors have read-only access.' });
    const claim = this.liveClaim(id);
    if (claim && claim.reviewer !== input.reviewer && !input.force) {
      throw new AirlockError('claimed', { message: `${claim.reviewer} is reviewing this request.` });
    }
    const at = new Date().toISOString();
    if (input.action === 'reject') {
      const reason = input.reason?.trim() || 'Rejected by a reviewer.';
      const decision: Decision = { action: 'reject', reviewer: input.reviewer, reason, note: input.note ?? null, edited: false, at };
      await this.recordDecision(flow, decision, () => undefined);
      flow.resume({ kind: 'reject', reviewer: input.reviewer, reason });
      return flow;
    }
    if (flow.caller.owner && flow.caller.owner === input.reviewer) {
      throw new AirlockError('forbidden', { message: `${input.reviewer} owns the caller key "${flow.caller.name}" and cannot approve its requests.` });
    }
    if (flow.approvers.has(input.reviewer)) {
      throw new AirlockError('not_pending', { message: `${input.reviewer} has already approved; another reviewer must approve too.` });
    }
    const editedBefore = flow.editedBody;
    if (input.body !== undefined) {
      const adapter: ProtocolAdapter = flow.adapter;
      const body: unknown = input.body;
      adapter.validate(body);
      flow.editedBody = body;
      flow.mark('edited', { by: input.reviewer });
    }
    flow.approvers.add(input.reviewer);
    const decision: Decision = { action: 'approve', reviewer: input.reviewer, reason: null, note: input.note ?? null, edited: input.body !== undefined, at };
    await this.recordDecision(flow, decision, () => {
      flow.approvers.delete(input.reviewer);
      flow.editedBody = editedBefore;
    });
    if (flow.approvers.size >= (flow.policy?.approvals ?? 1)) flow.resume({ kind: 'approve', reviewer: input.reviewer });
    else this.hooks.updated(flow);
    return flow;
  }

  /** A decision goes on record before it takes effect; one the store refuses is taken back, as if never made. */
  private async recordDecision(flow: RequestFlow, decision: Decision, undo: () => void): Promise<void> {
    flow.decisions.push(decision);
    try {
      await this.hooks.decided(flow, decision);
    } catch (err) {
      flow.decisions.splice(flow.decisions.indexOf(decision), 1);
      undo();
      throw err;
    }
  }

  /** Extends the hold's timeout when the policy allows it (for the copies in its group too: they wait as one). */
  extend(id: string, reviewer: string, ms: number): RequestFlow {
    const entry = this.held.get(id);
    if (!entry) throw new AirlockError('not_pending', { message: 'This request is no longer pending.' });
    if (!entry.flow.policy?.extendable) throw new AirlockError('forbidden', { message: 'The policy for this request does not allow extending its wait.' });
    for (const other of this.groupOf(entry.flow)) {
      const copy = other !== entry.flow ? this.held.get(other.id) : undefined;
      if (copy) this.extendOne(copy, reviewer, ms);
    }
    return this.extendOne(entry, reviewer, ms);
  }

  private extendOne(entry: Held, reviewer: string, ms: number): RequestFlow {
    const flow = entry.flow;
    const [timeout] = entry.timers;
    clearTimeout(timeout);
    flow.timeoutAt = (flow.timeoutAt ?? Date.now()) + ms;
    entry.timers[0] = setTimeout(() => flow.resume({ kind: 'timeout' }), flow.timeoutAt - Date.now());
    flow.mark('claimed', { by: reviewer, detail: `extended by ${Math.round(ms / 1000)} s` });
    this.hooks.updated(flow);
    return flow;
  }

  /** Live facts the store does not keep: claims, duplicates, escalation, approvals still needed. */
  overlay = (summary: RequestSummary): RequestSummary => {
    const flow = this.held.get(summary.id)?.flow;
    if (!flow) return summary;
    const group = this.groupOf(flow);
    return {
      ...summary,
      timeoutAt: flow.timeoutAt ? new Date(flow.timeoutAt).toISOString() : null,
      claim: this.liveClaim(flow.id),
      duplicates: Math.max(0, group.length - 1),
      groupOf: group.length > 0 && group[0] !== flow ? group[0].id : null,
      escalated: flow.escalated,
      escalateTo: flow.policy?.escalateTo ?? [],
      approvalsNeeded: Math.max(0, (flow.policy?.approvals ?? 1) - flow.approvers.size),
      phase: flow.phase,
      extendable: flow.policy?.extendable ?? true,
    };
  };

  /** Stops every hold: the gateway is shutting down. */
  shutdown(): void {
    for (const entry of [...this.held.values()]) entry.flow.resume({ kind: 'shutdown' });
    for (const entry of [...this.awaitingRetry.values()]) entry.resolveRetry?.();
  }
}
