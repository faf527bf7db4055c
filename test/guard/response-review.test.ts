// `review: response`: the request goes upstream at once, and the model's answer waits for a reviewer before the
// caller gets any of it (a stream meanwhile carries only keep-alive comments); approve releases it, reject refuses.
import Anthropic from '@anthropic-ai/sdk';
import OpenAI from 'openai';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { collect, collectUntilError, openaiHeaders, queued, reader, startRig, user, type Rig } from '../gateway/callers.js';
import { fixed } from './masking/samples.js';

let rig: Rig;
let openai: OpenAI;

beforeAll(async () => {
  rig = await startRig({
    config: {
      policies: [{ name: 'check-answers', action: 'review', review: 'response', timeout: '10s' }],
      hold: { keepAlive: '100ms' },
    },
  });
  openai = rig.openai();
});
afterAll(() => rig.close());
beforeEach(() => rig.upstream.reset());

/** Waits for the held answer: pending again, in the response phase, after the upstream answered. */
async function heldAnswer() {
  const [listed] = await queued(rig.gw);
  expect(listed).toMatchObject({ status: 'pending', phase: 'response' });
  const pending = await rig.gw.api.get(listed.id);
  expect(pending).toMatchObject({ status: 'pending', phase: 'response' });
  expect(rig.upstream.requests).toHaveLength(1);
  return pending;
}

describe('a JSON answer', () => {
  it('is held until approved; the reviewer sees it (masked) first', async () => {
    rig.upstream.next({ kind: 'text', text: `The customer is ${fixed.email}.` });
    let settled = false;
    const call = openai.chat.completions.create({ model: 'gpt-4o', messages: user('who is the customer?') }).finally(() => (settled = true));
    const pending = await heldAnswer();
    const detail = await rig.gw.api.get(pending.id);
    expect(detail.response?.text).toBe('The customer is [EMAIL].');
    await new Promise((r) => setTimeout(r, 150));
    expect(settled).toBe(false);

    expect((await rig.gw.api.approve(pending.id)).status).toBe(200);
    const answer = await call;
    expect(answer.choices[0].message.content).toBe('The customer is [EMAIL].');
    expect(rig.upstream.requests).toHaveLength(1); // released, not asked again
    await rig.gw.api.waitForStatus(pending.id, 'completed');
  });

  it('a reject gives the SDK a 403 with the reason, and none of the answer', async () => {
    rig.upstream.next({ kind: 'text', text: 'The launch codes are 0000.' });
    const call = openai.chat.completions.create({ model: 'gpt-4o', messages: user('launch codes?') }).catch((e) => e);
    const pending = await heldAnswer();
    expect((await rig.gw.api.reject(pending.id, 'the answer discloses internal codes')).status).toBe(200);
    const error = await call;
    expect(error).toBeInstanceOf(OpenAI.PermissionDeniedError);
    expect(error.status).toBe(403);
    expect(error.message).toContain('the answer discloses internal codes');
    expect(JSON.stringify(error.error)).not.toContain('launch codes are');
  });

  it('is not in the pending queue while the upstream is still answering, only once the answer is held', async () => {
    rig.upstream.next({ kind: 'text', text: 'slow answer', delayMs: 300, firstDelayMs: 300 });
    const call = openai.chat.completions.create({ model: 'gpt-4o', messages: user('take your time') });
    const forwarding = await rig.gw.api.waitFor(async () => (await rig.gw.api.list()).find((r) => r.status === 'forwarding'), 5000, 'the request to be forwarding');
    expect(await rig.gw.api.list('status=pending')).toEqual([]);

    const pending = await heldAnswer();
    expect(pending.id).toBe(forwarding.id);
    expect((await rig.gw.api.approve(pending.id)).status).toBe(200);
    await call;
  });

  it('Anthropic: held, then released on approve', async () => {
    const anthropic = rig.anthropic();
    const call = anthropic.messages.create({ model: 'claude-haiku-4-5', max_tokens: 64, messages: user('status report') });
    const pending = await heldAnswer();
    expect((await rig.gw.api.approve(pending.id)).status).toBe(200);
    const message = await call;
    expect(message.content).toEqual([expect.objectContaining({ type: 'text', text: 'Echo: status report' })]);
  });
});

describe('a streamed answer', () => {
  it('sends only keep-alive comments while held, then the whole stream on approve', async () => {
    rig.upstream.next({ kind: 'text', chunks: ['Held ', 'until ', 'a ', 'reviewer ', 'says ', 'so.'] });
    const res = await fetch(`${rig.gw.url}/v1/chat/completions`, {
      method: 'POST',
      headers: openaiHeaders(rig.gw.callerKey),
      body: JSON.stringify({ model: 'gpt-4o', messages: user('stream it'), stream: true }),
    });
    expect(res.status).toBe(200);
    const body = reader(res);
    const pending = await heldAnswer();
    expect((await rig.gw.api.get(pending.id)).response?.text).toBe('Held until a reviewer says so.');
    // Several keep-alive intervals pass: comments only, not a byte of the answer.
    await body.until((t) => t.split(': pending approval').length > 3);
    const whileHeld = body.text;
    expect(whileHeld.split('\n').filter((line) => line !== '' && !line.startsWith(':'))).toEqual([]);

    expect((await rig.gw.api.approve(pending.id)).status).toBe(200);
    const all = await body.all();
    const released = all.slice(whileHeld.length);
    const text = released
      .split('\n')
      .filter((line) => line.startsWith('data: {'))
      .map((line) => JSON.parse(line.slice(6)).choices[0]?.delta?.content ?? '')
      .join('');
    expect(text).toBe('Held until a reviewer says so.');
    expect(released.trimEnd().endsWith('data: [DONE]')).toBe(true);
  });

  it('the openai SDK gets the released stream as usual', async () => {
    const call = (async () => collect(await openai.chat.completions.create({ model: 'gpt-4o', messages: user('stream with the sdk'), stream: true })))();
    const pending = await heldAnswer();
    expect((await rig.gw.api.approve(pending.id)).status).toBe(200);
    const chunks = await call;
    expect(chunks.map((c) => c.choices[0]?.delta.content ?? '').join('')).toBe('Echo: stream with the sdk');
  });

  it('a reject ends the stream with an error carrying the reason, in the SDK', async () => {
    const anthropic = rig.anthropic();
    const call = (async () => collect(await anthropic.messages.create({ model: 'claude-haiku-4-5', max_tokens: 64, messages: user('secret plans'), stream: true })))().catch((e) => e);
    const pending = await heldAnswer();
    expect((await rig.gw.api.reject(pending.id, 'not for this caller')).status).toBe(200);
    const error = await call;
    expect(error).toBeInstanceOf(Anthropic.APIError);
    expect(error.message).toContain('not for this caller');
    expect(error.message).not.toContain('Echo: secret plans');
  });

  it('an answer the upstream ends with an in-stream error is not held: the SDK gets the error, none of the unreviewed text', async () => {
    rig.upstream.next({ kind: 'stream_error', afterChunks: 2, message: 'The model fell over.' });
    const { items, error } = await collectUntilError(await openai.chat.completions.create({ model: 'gpt-4o', messages: user('one two three'), stream: true }));
    expect(items).toEqual([]);
    expect(error).toBeInstanceOf(OpenAI.APIError);
    expect(error.message).toContain('The model fell over.');
    const [record] = await rig.gw.api.list();
    expect(await rig.gw.api.waitForStatus(record.id, 'failed')).toMatchObject({ error: { code: 'upstream_error', message: 'The model fell over.' } });
    expect(await rig.gw.api.list('status=pending')).toEqual([]);
  });
});
