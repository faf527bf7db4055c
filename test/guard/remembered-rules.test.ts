// "Approve and remember": a decision that also approves what comes next from the same caller and model with the
// same prompt template (or, scoped to a conversation, that conversation's next turns), listed and revocable.
import type OpenAI from 'openai';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { RememberedRule, RememberScope } from '../../gateway/api/types.js';
import { queued, startRig, type Rig } from '../gateway/callers.js';

let rig: Rig;
let openai: OpenAI;

beforeAll(async () => {
  rig = await startRig();
  openai = rig.openai();
});
afterAll(() => rig.close());
beforeEach(() => rig.upstream.reset());

const SYSTEM = 'You are the release-notes writer. Answer in Markdown.';
type Message = OpenAI.ChatCompletionMessageParam;
const ask = (messages: Message[], model = 'gpt-4o') => openai.chat.completions.create({ model, messages });
const withSystem = (text: string, system = SYSTEM): Message[] => [
  { role: 'system', content: system },
  { role: 'user', content: text },
];

const rules = async () => (await rig.gw.api.call<{ items: RememberedRule[] }>('GET', '/rules')).body.items;
const approveAndRemember = (id: string, remember: RememberScope) => rig.gw.api.call('POST', `/requests/${id}/approve`, { remember });

/** Runs a call that the policy holds, approves it (remembering `scope`), and returns the request id. */
async function heldThenApproved(messages: Message[], remember: RememberScope = 'request'): Promise<string> {
  const call = ask(messages);
  const [pending] = await queued(rig.gw);
  const decision = await approveAndRemember(pending.id, remember);
  expect(decision.status).toBe(200);
  await call;
  return pending.id;
}

/** A call that goes through without anyone deciding: no pending request, the upstream called, the rule named. */
async function autoApproved(messages: Message[], ruleId: string): Promise<void> {
  const before = rig.upstream.requests.length;
  const { response } = await ask(messages).withResponse();
  expect(rig.upstream.requests).toHaveLength(before + 1);
  const detail = await rig.gw.api.get(response.headers.get('x-airlock-request-id')!);
  expect(detail.policy).toBe(`remembered:${ruleId}`);
  expect(detail.decisions).toEqual([]);
}

/** A call the policy holds: it shows up pending. Rejected here to end it. */
async function held(messages: Message[], model?: string): Promise<void> {
  const call = ask(messages, model).catch((e) => e);
  const [pending] = await queued(rig.gw);
  expect(pending.status).toBe('pending');
  await rig.gw.api.reject(pending.id, 'checked: held as expected');
  await call;
}

describe('a remembered rule (same caller, model and system prompt)', () => {
  let rule: RememberedRule;

  it('approving with remember creates a listed rule and the next matching request goes through without a reviewer', async () => {
    const source = await heldThenApproved(withSystem('Notes for v1.2'), '1h');
    const listed = await rules();
    expect(listed).toHaveLength(1);
    rule = listed[0];
    expect(rule).toMatchObject({ caller: 'test-app', model: 'gpt-4o', scope: '1h', createdBy: 'alice', sourceRequest: source, revokedAt: null });
    expect(Date.parse(rule.expiresAt!) - Date.parse(rule.createdAt)).toBe(3_600_000);

    await autoApproved(withSystem('Notes for v1.3, with the new exporter'), rule.id);
  });

  it('does not cover another system prompt, another model, or another caller', async () => {
    await held(withSystem('Notes for v1.3', 'You are a pirate.'));
    await held(withSystem('Notes for v1.3'), 'gpt-4.1');

    const other = rig.openai({ apiKey: await rig.gw.gateway.issueCallerKey('other-app') });
    const call = other.chat.completions.create({ model: 'gpt-4o', messages: withSystem('Notes for v1.3') }).catch((e) => e);
    const [pending] = await queued(rig.gw);
    expect(pending.caller).toBe('other-app');
    await rig.gw.api.reject(pending.id, 'not covered');
    await call;
  });

  it('stops after it is revoked: the next matching request is held again', async () => {
    const revoked = await rig.gw.api.call('DELETE', `/rules/${rule.id}`);
    expect(revoked.status).toBe(204);
    const [listed] = await rules();
    expect(listed).toMatchObject({ id: rule.id, revokedBy: 'alice' });
    expect(listed.revokedAt).not.toBeNull();

    await held(withSystem('Notes for v1.4'));
    expect(rig.upstream.requests).toHaveLength(0);
    expect((await rig.gw.api.call('DELETE', `/rules/${rule.id}`)).status).toBe(204); // revoking twice is harmless
  });

  it('remember: request (the default) leaves no rule behind', async () => {
    const before = (await rules()).length;
    await heldThenApproved(withSystem('one-off'));
    expect(await rules()).toHaveLength(before);
    await held(withSystem('one-off, again'));
  });
});

describe('a conversation-scoped rule', () => {
  const turn1: Message[] = [{ role: 'user', content: 'Plan the migration of the billing DB.' }];
  const turn2: Message[] = [...turn1, { role: 'assistant', content: 'Step 1: snapshot.' }, { role: 'user', content: 'And step 2?' }];
  const turn3: Message[] = [...turn2, { role: 'assistant', content: 'Step 2: replicate.' }, { role: 'user', content: 'And step 3?' }];

  it("follows the conversation's next turns, and nothing else", async () => {
    await heldThenApproved(turn1, 'conversation');
    const rule = (await rules()).find((r) => r.scope === 'conversation' && r.revokedAt === null)!;
    expect(rule).toBeDefined();

    await autoApproved(turn2, rule.id);
    await autoApproved(turn3, rule.id);

    // A new conversation, even with the same opening words later on, is held.
    await held([{ role: 'user', content: 'Plan the migration of the search cluster.' }]);
    await held([{ role: 'user', content: 'Something else first.' }, ...turn2]);
  });
});

describe('with a two-person rule', () => {
  it('an approval cannot be remembered: one reviewer may not stand in for two', async () => {
    const two = await startRig({ config: { policies: [{ name: 'prod', action: 'review', approvals: 2 }] } });
    try {
      const call = two.openai().chat.completions.create({ model: 'gpt-4o', messages: [{ role: 'user', content: 'deploy it' }] }).catch((err: Error) => err);
      const [pending] = await queued(two.gw);
      const refused = await two.gw.api.call<{ error: { message: string } }>('POST', `/requests/${pending.id}/approve`, { remember: 'always' });
      expect(refused.status).toBe(400);
      expect(refused.body.error.message).toContain('2 approvals');
      expect((await two.gw.api.call<{ items: RememberedRule[] }>('GET', '/rules')).body.items).toEqual([]);
      const still = await two.gw.api.get(pending.id);
      expect(still.status).toBe('pending');
      expect(still.approvalsNeeded).toBe(2);
      await two.gw.api.reject(pending.id, 'done');
      expect(await call).toMatchObject({ status: 403 });
    } finally {
      await two.close();
    }
  });
});
