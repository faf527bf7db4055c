// Refusals as callers see them: a reviewer's rejection, a policy's, and a timeout's, each a final 403 in the route's shape.
import Anthropic from '@anthropic-ai/sdk';
import OpenAI from 'openai';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { anthropicHeaders, openaiHeaders, queued, send, startRig, user, type Rig } from './callers.js';

let rig: Rig;

beforeAll(async () => {
  rig = await startRig({
    config: {
      policies: [
        { name: 'retired-models', match: { model: 'gpt-3.5*' }, action: 'reject', reason: 'legacy models are retired' },
        { name: 'impatient', match: { model: 'quick-reject' }, action: 'review', timeout: 300, onTimeout: 'reject' },
        { name: 'lenient', match: { model: 'quick-approve' }, action: 'review', timeout: 300, onTimeout: 'approve' },
      ],
    },
  });
});
afterAll(() => rig.close());
beforeEach(() => rig.upstream.reset());

/** Starts `call`, rejects the request it queues with `reason`, and returns what the call threw. */
async function rejectedWith(reason: string, call: () => Promise<unknown>): Promise<{ error: any; id: string }> {
  const outcome = call().then(
    () => {
      throw new Error('the call succeeded');
    },
    (e) => e,
  );
  const [request] = await queued(rig.gw, 1);
  expect((await rig.gw.api.reject(request.id, reason)).status).toBe(200);
  return { error: await outcome, id: request.id };
}

describe('a reviewer rejects', () => {
  it('the openai SDK gets a 403 permission_error, approval_rejected, not to be retried, with the reason', async () => {
    const { error, id } = await rejectedWith('contains customer data', () => rig.openai().chat.completions.create({ model: 'gpt-4o', messages: user('send the customer list') }));
    expect(error).toBeInstanceOf(OpenAI.PermissionDeniedError);
    expect(error.status).toBe(403);
    expect(error.headers.get('x-should-retry')).toBe('false');
    expect(error.message).toContain('contains customer data');
    expect(error.type).toBe('permission_error');
    expect(error.code).toBe('approval_rejected');
    expect(rig.upstream.requests).toHaveLength(0);

    const detail = await rig.gw.api.waitForStatus(id, 'rejected');
    expect(detail.decisions).toEqual([expect.objectContaining({ action: 'reject', reviewer: 'alice', reason: 'contains customer data' })]);
    expect(detail.error).toMatchObject({ code: 'approval_rejected' });
  });

  it('the same body in the OpenAI shape reaches a plain fetch', async () => {
    const { error: answer } = await rejectedWith('not today', () =>
      send(`${rig.gw.url}/v1/responses`, { headers: openaiHeaders(rig.gw.callerKey), body: JSON.stringify({ model: 'gpt-4.1', input: 'hi' }) }).then((a) => Promise.reject(a)),
    );
    expect(answer.status).toBe(403);
    expect(answer.headers['x-should-retry']).toBe('false');
    expect(JSON.parse(answer.text)).toEqual({ error: { message: expect.stringContaining('not today'), type: 'permission_error', param: null, code: 'approval_rejected' } });
  });

  it('the Anthropic SDK gets a 403 permission_error with the reason', async () => {
    const { error, id } = await rejectedWith('wrong project', () => rig.anthropic().messages.create({ model: 'claude-haiku-4-5', max_tokens: 32, messages: user('hi') }));
    expect(error).toBeInstanceOf(Anthropic.PermissionDeniedError);
    expect(error.status).toBe(403);
    expect(error.headers.get('x-should-retry')).toBe('false');
    expect(error.type).toBe('permission_error');
    expect(error.message).toContain('wrong project');
    expect(error.error).toMatchObject({ type: 'error', error: { type: 'permission_error', message: expect.stringContaining('wrong project') } });
    await rig.gw.api.waitForStatus(id, 'rejected');
  });
});

describe('a policy rejects', () => {
  it('answers 403 with the policy reason at once, and never calls the upstream', async () => {
    const error = await rig.openai().chat.completions.create({ model: 'gpt-3.5-turbo', messages: user('hi') }).catch((e) => e);
    expect(error).toBeInstanceOf(OpenAI.PermissionDeniedError);
    expect(error.headers.get('x-should-retry')).toBe('false');
    expect(error.message).toContain('legacy models are retired');
    expect(error.type).toBe('permission_error');
    expect(error.code).toBe('approval_rejected');
    expect(rig.upstream.requests).toHaveLength(0);

    const [record] = await rig.gw.api.list('status=rejected');
    expect(record).toMatchObject({ model: 'gpt-3.5-turbo', policy: 'retired-models' });
    const detail = await rig.gw.api.get(record.id);
    expect(detail.decisions).toEqual([expect.objectContaining({ action: 'policy_reject', reviewer: null, reason: 'legacy models are retired' })]);
  });
});

describe('nobody decides in time', () => {
  it('onTimeout reject: 403 approval_timeout, status timed_out, nothing forwarded', async () => {
    const started = Date.now();
    const error = await rig.openai().chat.completions.create({ model: 'quick-reject', messages: user('anyone there?') }).catch((e) => e);
    expect(Date.now() - started).toBeGreaterThanOrEqual(290);
    expect(error).toBeInstanceOf(OpenAI.PermissionDeniedError);
    expect(error.headers.get('x-should-retry')).toBe('false');
    expect(error.type).toBe('permission_error');
    expect(error.code).toBe('approval_timeout');
    expect(rig.upstream.requests).toHaveLength(0);

    const [record] = await rig.gw.api.list('status=timed_out');
    expect(record.model).toBe('quick-reject');
    const detail = await rig.gw.api.get(record.id);
    expect(detail.decisions).toEqual([expect.objectContaining({ action: 'timeout', reviewer: null })]);
  });

  it('onTimeout reject in the Anthropic shape', async () => {
    const error = await rig.anthropic().messages.create({ model: 'quick-reject', max_tokens: 16, messages: user('anyone?') }).catch((e) => e);
    expect(error).toBeInstanceOf(Anthropic.PermissionDeniedError);
    expect(error.type).toBe('permission_error');
    expect(error.headers.get('x-should-retry')).toBe('false');
  });

  it('onTimeout approve: the request is forwarded and answered', async () => {
    const completion = await rig.openai().chat.completions.create({ model: 'quick-approve', messages: user('go ahead') });
    expect(completion.choices[0].message.content).toBe('Echo: go ahead');
    expect(rig.upstream.requests).toHaveLength(1);
    const [record] = await rig.gw.api.list();
    expect(record.model).toBe('quick-approve');
    const detail = await rig.gw.api.waitForStatus(record.id, 'completed');
    expect(detail.decisions).toEqual([expect.objectContaining({ action: 'timeout' })]);
  });
});

describe('raw shapes', () => {
  it('a policy rejection on /v1/messages is an Anthropic permission_error body', async () => {
    const answer = await send(`${rig.gw.url}/v1/messages`, { headers: anthropicHeaders(rig.gw.callerKey), body: JSON.stringify({ model: 'gpt-3.5-turbo', max_tokens: 8, messages: user('x') }) });
    expect(answer.status).toBe(403);
    expect(answer.headers['x-should-retry']).toBe('false');
    expect(JSON.parse(answer.text)).toMatchObject({ type: 'error', error: { type: 'permission_error', message: expect.stringContaining('legacy models are retired') } });
  });
});
