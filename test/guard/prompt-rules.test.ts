// Rules on the prompt, decided before any reviewer or upstream sees it: content rules that reject with a reason the
// caller's SDK shows, and `masking.requests`, which masks personal data in the prompt before it leaves.
import Anthropic from '@anthropic-ai/sdk';
import OpenAI from 'openai';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { startRig, user, type Rig } from '../gateway/callers.js';
import { fixed } from './masking/samples.js';

describe('content rules', () => {
  let rig: Rig;
  const PASSWORDS = 'Prompts must not carry passwords; use the vault.';
  const CARDS = 'Card numbers never leave this network.';

  beforeAll(async () => {
    rig = await startRig({
      config: {
        policies: [
          { name: 'no-passwords', match: { prompt: '(?i)password' }, action: 'reject', reason: PASSWORDS },
          { name: 'no-cards', match: { contains: 'card' }, action: 'reject', reason: CARDS },
        ],
      },
    });
  });
  afterAll(() => rig.close());
  beforeEach(() => rig.upstream.reset());

  /** The refusal is final: nothing reached the upstream, nobody was asked, and the record says the policy did it. */
  async function expectRefusedByPolicy(rule: string, reason: string): Promise<void> {
    expect(rig.upstream.requests).toHaveLength(0);
    expect(await rig.gw.api.list('status=pending')).toEqual([]);
    const [latest] = await rig.gw.api.list();
    expect(latest).toMatchObject({ status: 'rejected', policy: rule });
    const detail = await rig.gw.api.get(latest.id);
    expect(detail.decisions).toEqual([expect.objectContaining({ action: 'policy_reject', reviewer: null, reason })]);
  }

  it('a case-insensitive prompt regex rejects with 403 and its reason, and the SDK does not retry', async () => {
    const openai = rig.openai({ maxRetries: 2 });
    const error = await openai.chat.completions.create({ model: 'gpt-4o', messages: user('My PassWord is hunter2, remember it') }).catch((e) => e);
    expect(error).toBeInstanceOf(OpenAI.PermissionDeniedError);
    expect(error.status).toBe(403);
    expect(error.message).toContain(PASSWORDS);
    expect(error.message).toContain('no-passwords');
    expect(await rig.gw.api.list()).toHaveLength(1); // one attempt, not three
    await expectRefusedByPolicy('no-passwords', PASSWORDS);
  });

  it('the regex sees the system prompt too, and a streaming request is refused before any stream starts', async () => {
    const openai = rig.openai();
    const error = await openai.responses
      .create({ model: 'gpt-4.1', instructions: 'The admin password is in the notes.', input: 'summarise the notes', stream: true })
      .catch((e) => e);
    expect(error).toBeInstanceOf(OpenAI.PermissionDeniedError);
    expect(error.message).toContain(PASSWORDS);
    await expectRefusedByPolicy('no-passwords', PASSWORDS);
  });

  it('`contains: card` rejects a Luhn-valid card number, in the Anthropic shape', async () => {
    const anthropic = rig.anthropic();
    const grouped = fixed.card.match(/.{4}/g)!.join(' ');
    const error = await anthropic.messages
      .create({ model: 'claude-haiku-4-5', max_tokens: 64, messages: user(`Charge ${grouped} for the order.`) })
      .catch((e) => e);
    expect(error).toBeInstanceOf(Anthropic.PermissionDeniedError);
    expect(error.status).toBe(403);
    expect(error.message).toContain(CARDS);
    expect(error.error).toMatchObject({ type: 'error', error: { type: 'permission_error' } });
    await expectRefusedByPolicy('no-cards', CARDS);
  });

  it('a number that fails the Luhn check is not a card, and goes on to review', async () => {
    const openai = rig.openai();
    const notACard = fixed.card.slice(0, -1) + String((Number(fixed.card.at(-1)) + 1) % 10);
    const pending = openai.chat.completions.create({ model: 'gpt-4o', messages: user(`Order ${notACard} shipped.`) });
    pending.catch(() => undefined);
    const [held] = await rig.gw.api.waitForPending(1);
    expect(held.policy).toBeNull();
    expect((await rig.gw.api.approve(held.id)).status).toBe(200);
    await pending;
    expect(rig.upstream.requests).toHaveLength(1);
  });
});

describe('masking.requests', () => {
  let rig: Rig;

  beforeAll(async () => {
    rig = await startRig({ config: { masking: { requests: true }, policies: [{ name: 'let-through', action: 'approve' }] } });
  });
  afterAll(() => rig.close());
  beforeEach(() => rig.upstream.reset());

  it('masks an email in the prompt before it reaches the upstream, and the record notes it', async () => {
    const openai = rig.openai();
    const prompt = `Draft a reply to ${fixed.email} about the invoice.`;
    const { response } = await openai.chat.completions.create({ model: 'gpt-4o', messages: user(prompt) }).withResponse();
    expect(rig.upstream.requests).toHaveLength(1);
    const sent = rig.upstream.requests[0];
    expect(sent.raw).not.toContain(fixed.email);
    expect(sent.body.messages).toEqual(user('Draft a reply to [EMAIL] about the invoice.'));
    expect(sent.body.model).toBe('gpt-4o');

    const id = response.headers.get('x-airlock-request-id')!;
    await rig.gw.api.waitForStatus(id, 'completed');
    const session = await rig.gw.api.session(id);
    expect(session.timeline).toContainEqual(expect.objectContaining({ type: 'edited', by: 'masking' }));
  });

  it('masks an Anthropic system prompt and messages alike', async () => {
    const anthropic = rig.anthropic();
    await anthropic.messages.create({
      model: 'claude-haiku-4-5',
      max_tokens: 64,
      system: `You work for ${fixed.email}.`,
      messages: user(`Card on file: ${fixed.card}`),
    });
    const sent = rig.upstream.requests[0];
    expect(sent.raw).not.toContain(fixed.email);
    expect(sent.raw).not.toContain(fixed.card);
    expect(sent.body).toMatchObject({ system: 'You work for [EMAIL].', messages: user('Card on file: [CARD]') });
  });

  it('leaves a prompt with nothing to mask byte for byte as sent', async () => {
    const openai = rig.openai();
    await openai.chat.completions.create({ model: 'gpt-4o', messages: user('nothing personal here') });
    expect(rig.upstream.requests[0].body).toEqual({ model: 'gpt-4o', messages: user('nothing personal here') });
  });
});
