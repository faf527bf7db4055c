// Builders for the reviewer API's objects in renderer tests.
import type { RequestDetail, RequestSummary } from '../../gateway/api/types.js';

let counter = 0;

export function summary(over: Partial<RequestSummary> = {}): RequestSummary {
  counter++;
  const at = new Date(Date.UTC(2026, 10, 20, 10, 0, counter)).toISOString();
  return {
    id: `req_${counter}`,
    status: 'pending',
    caller: 'ci-bot',
    protocol: 'openai-chat',
    model: 'gpt-4o',
    stream: false,
    createdAt: at,
    updatedAt: at,
    policy: 'review-all',
    preview: 'Summarise the deployment log',
    tokens: 42,
    timeoutAt: new Date(Date.now() + 10 * 60_000).toISOString(),
    claim: null,
    duplicates: 0,
    groupOf: null,
    shredded: false,
    escalated: false,
    escalateTo: [],
    approvalsNeeded: 1,
    phase: 'request',
    extendable: true,
    ...over,
  };
}

export function detail(over: Partial<RequestDetail> = {}): RequestDetail {
  return {
    ...summary(),
    path: '/v1/chat/completions',
    body: {
      model: 'gpt-4o',
      messages: [
        { role: 'system', content: 'You are terse.' },
        { role: 'user', content: 'Summarise the deployment log' },
      ],
    },
    editedBody: null,
    decisions: [],
    previousId: null,
    response: null,
    error: null,
    ...over,
  };
}
