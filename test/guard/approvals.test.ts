// Who may let a request through: `approvals: 2` needs two distinct reviewers (the same one twice is not two, one
// reject ends it), and a reviewer may not approve requests made with a caller key linked to themselves.
import OpenAI from 'openai';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { ApiErrorBody, RequestDetail } from '../../gateway/api/types.js';
import { ReviewerClient } from '../support/gateway.js';
import { queued, startRig, user, type Rig } from '../gateway/callers.js';

let rig: Rig;
let alice: ReviewerClient;
let bob: ReviewerClient;
let carol: ReviewerClient;
const keys: Record<string, string> = {};

beforeAll(async () => {
  rig = await startRig({
    config: {
      policies: [
        { name: 'two-person', match: { caller: 'payments' }, action: 'review', approvals: 2 },
        { name: 'agents', match: { caller: '*-agent' }, action: 'review' },
      ],
    },
  });
  alice = rig.gw.api;
  bob = new ReviewerClient(rig.gw.url, await rig.gw.gateway.issueReviewerToken('bob', 'reviewer'));
  carol = new ReviewerClient(rig.gw.url, await rig.gw.gateway.issueReviewerToken('carol', 'reviewer'));
  keys.payments = await rig.gw.gateway.issueCallerKey('payments');
  keys.bobAgent = await rig.gw.gateway.issueCallerKey('bob-agent', 'bob');
});
afterAll(() => rig.close());
beforeEach(() => rig.upstream.reset());

const errorOf = (res: { body: unknown }) => (res.body as ApiErrorBody).error;

/** Starts a call and reports whether it has settled yet, without letting a rejection go unhandled. */
function track<T>(call: Promise<T>) {
  const state = { settled: false, value: undefined as T | undefined, error: undefined as any };
  const done = call.then(
    (v) => ((state.value = v), (state.settled = true)),
    (e) => ((state.error = e), (state.settled = true)),
  );
  return { state, done };
}

describe('two-person rule', () => {
  it('one approval is not enough, the same reviewer twice is not two, a second reviewer lets it through', async () => {
    const openai = rig.openai({ apiKey: keys.payments });
    const call = track(openai.chat.completions.create({ model: 'gpt-4o', messages: user('refund order 1234') }));
    const [pending] = await queued(rig.gw);
    expect(pending.approvalsNeeded).toBe(2);

    const first = await alice.approve(pending.id);
    expect(first.status).toBe(200);
    expect(first.body).toMatchObject({ status: 'pending', approvalsNeeded: 1 });

    const again = await alice.approve(pending.id);
    expect(again.status).toBe(409);
    expect(errorOf(again)).toMatchObject({ code: 'not_pending', message: expect.stringMatching(/alice has already approved/) });

    expect(await alice.get(pending.id)).toMatchObject({ status: 'pending', approvalsNeeded: 1 });
    await new Promise((r) => setTimeout(r, 100));
    expect(call.state.settled).toBe(false);
    expect(rig.upstream.requests).toHaveLength(0);

    expect((await bob.approve(pending.id)).status).toBe(200);
    await call.done;
    expect(call.state.value?.choices[0].message.content).toBe('Echo: refund order 1234');
    expect(rig.upstream.requests).toHaveLength(1);
    const detail = await alice.waitForStatus(pending.id, 'completed');
    expect(detail.decisions.map((d) => [d.action, d.reviewer])).toEqual([
      ['approve', 'alice'],
      ['approve', 'bob'],
    ]);
  });

  it('one reject ends it, even after an approval', async () => {
    const openai = rig.openai({ apiKey: keys.payments });
    const call = track(openai.chat.completions.create({ model: 'gpt-4o', messages: user('refund order 5678') }));
    const [pending] = await queued(rig.gw);
    expect((await alice.approve(pending.id)).status).toBe(200);
    expect((await carol.reject(pending.id, 'no refunds over 500')).status).toBe(200);

    await call.done;
    expect(call.state.error).toBeInstanceOf(OpenAI.PermissionDeniedError);
    expect(call.state.error.message).toContain('no refunds over 500');
    expect(rig.upstream.requests).toHaveLength(0);
    const late = await bob.approve(pending.id);
    expect(late.status).toBe(409);
    expect((await alice.get(pending.id)).status).toBe('rejected');
  });

  it('a policy without approvals needs one', async () => {
    const openai = rig.openai();
    const call = openai.chat.completions.create({ model: 'gpt-4o', messages: user('routine') });
    const [pending] = await queued(rig.gw);
    expect(pending.approvalsNeeded).toBe(1);
    expect((await carol.approve(pending.id)).status).toBe(200);
    await call;
  });
});

describe('owner of the caller key', () => {
  it('bob cannot approve what bob-agent asks; another reviewer can', async () => {
    const openai = rig.openai({ apiKey: keys.bobAgent });
    const call = track(openai.chat.completions.create({ model: 'gpt-4o', messages: user('deploy to prod') }));
    const [pending] = await queued(rig.gw);
    expect(pending.caller).toBe('bob-agent');

    const own = await bob.approve(pending.id);
    expect(own.status).toBe(403);
    expect(errorOf(own)).toMatchObject({ code: 'forbidden', message: expect.stringMatching(/bob owns the caller key "bob-agent"/) });
    const after: RequestDetail = await alice.get(pending.id);
    expect(after.status).toBe('pending');
    expect(after.decisions).toEqual([]);
    expect(call.state.settled).toBe(false);

    expect((await carol.approve(pending.id)).status).toBe(200);
    await call.done;
    expect(call.state.value?.choices[0].message.content).toBe('Echo: deploy to prod');
  });
});
