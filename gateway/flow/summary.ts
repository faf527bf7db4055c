// A flow as the console sees it, without a trip to the store.
import type { RequestSummary } from '../api/types.js';
import type { RequestFlow } from './request-flow.js';

export function summaryOf(flow: RequestFlow): RequestSummary {
  return {
    id: flow.id,
    status: flow.status ?? 'pending',
    caller: flow.caller.name,
    protocol: flow.adapter.protocol,
    model: flow.model,
    stream: flow.stream,
    createdAt: new Date(flow.arrivedAt).toISOString(),
    updatedAt: new Date().toISOString(),
    policy: flow.policy?.rule ?? null,
    preview: flow.preview,
    tokens: flow.tokens,
    timeoutAt: flow.status === 'pending' && flow.timeoutAt ? new Date(flow.timeoutAt).toISOString() : null,
    claim: null,
    duplicates: 0,
    groupOf: null,
    shredded: false,
    escalated: flow.escalated,
    escalateTo: flow.policy?.escalateTo ?? [],
    approvalsNeeded: flow.status === 'pending' ? Math.max(0, (flow.policy?.approvals ?? 1) - flow.approvers.size) : 0,
    phase: flow.phase,
    extendable: flow.policy?.extendable ?? true,
  };
}
