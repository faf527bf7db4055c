// Long holds and callers that leave: keep-alive streams, 408 with a retry that joins the hold, and withdrawal on hang-up.
import Anthropic from '@anthropic-ai/sdk';
import OpenAI from 'openai';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { anthropicHeaders, approved, askStandIn, collect, collectUntilError, openaiHeaders, queued, reader, replay, sdkEventsOf, send, startRig, user, type Rig } from './callers.js';

const GRACE = 200;
let rig: Rig;

beforeAll(async () => {
  rig = await startRig({ hangUpGraceMs: 250, config: { masking: false, hold: { streamGrace: GRACE, keepAlive: 100, httpLimit: 300, retryWindow: 5000, timeout: 60_000 } } });
});
afterAll(() => rig.close());
beforeEach(() => rig.upstream.reset());

const KEEP_ALIVE = ': pending approval\n\n';
const keepAlives = (text: string) => text.split(KEEP_ALIVE).length - 1;

/** Sends a streaming request with fetch and returns once its 200 and SSE headers are in, while it is still pending. */
async function openHeld(path: string, headers: Record<string, string>, body: unknown) {
  const started = Date.now();
  const res = await fetch(`${rig.gw.url}${path}`, { method: 'POST', headers, body: JSON.stringify(body) });
  const [request] = await rig.gw.api.list('status=pending');
  return { res, request, waited: Date.now() - started, body: reader(res) };
}

describe('a streaming request held past the grace', () => {
  it('gets 200, SSE headers and `: pending approval` comments, then the upstream stream unchanged after approval', async () => {
    const body = { model: 'gpt-4o', messages: user('wait for me'), stream: true };
    const answer = await askStandIn(rig.upstream, '/v1/chat/completions', body);
    rig.upstream.reset();
    replay(rig.upstream, answer);

    const held = await openHeld('/v1/chat/completions', openaiHeaders(rig.gw.callerKey), body);
    expect(held.waited).toBeGreaterThanOrEqual(GRACE - 10);
    expect(held.res.status).toBe(200);
    expect(held.res.headers.get('content-type')).toMatch(/^text\/event-stream/);
    expect(held.request?.status).toBe('pending');
    await held.body.until((t) => keepAlives(t) >= 3);
    expect(held.body.text).toBe(KEEP_ALIVE.repeat(keepAlives(held.body.text)));
    expect((await rig.gw.api.get(held.request.id)).status).toBe('pending');

    await rig.gw.api.approve(held.request.id);
    const text = await held.body.all();
    expect(text.slice(KEEP_ALIVE.length * keepAlives(text))).toBe(answer.text);
    expect(rig.upstream.requests).toHaveLength(1);
  });

  it('the Anthropic SDK waits through the comments and then reads the stream', async () => {
    const body = { model: 'claude-haiku-4-5', max_tokens: 64, messages: user('patience'), stream: true as const };
    const answer = await askStandIn(rig.upstream, '/v1/messages', body, 'anthropic');
    rig.upstream.reset();
    replay(rig.upstream, answer);
    const anthropic = rig.anthropic();
    const stream = await anthropic.messages.create(body); // headers arrive after the grace, before any decision
    const [request] = await rig.gw.api.list('status=pending');
    const events = collect(stream);
    await rig.gw.api.approve(request.id);
    expect(await events).toEqual(sdkEventsOf(answer.text));
  });

  const rejections = [
    { protocol: 'chat completions', path: '/v1/chat/completions', headers: openaiHeaders, body: { model: 'gpt-4o', messages: user('no'), stream: true }, frame: /^data: \{"error":\{/m },
    { protocol: 'Responses', path: '/v1/responses', headers: openaiHeaders, body: { model: 'gpt-4.1', input: 'no', stream: true }, frame: /^event: error\ndata: \{/m },
    { protocol: 'Anthropic messages', path: '/v1/messages', headers: anthropicHeaders, body: { model: 'claude-haiku-4-5', max_tokens: 8, messages: user('no'), stream: true }, frame: /^event: error\ndata: \{/m },
  ];

  for (const r of rejections) {
    it(`a rejection arrives in the ${r.protocol} stream in the protocol's error form`, async () => {
      const held = await openHeld(r.path, r.headers(rig.gw.callerKey), r.body);
      expect(held.res.status).toBe(200);
      await held.body.until((t) => keepAlives(t) >= 1);
      await rig.gw.api.reject(held.request.id, 'REASON-stream-' + r.path);
      const text = await held.body.all();
      const frame = text.slice(KEEP_ALIVE.length * keepAlives(text));
      expect(frame).toMatch(r.frame);
      expect(frame).toContain('REASON-stream-' + r.path);
      expect(rig.upstream.requests).toHaveLength(0);
      expect((await rig.gw.api.waitForStatus(held.request.id, 'rejected')).status).toBe('rejected');
    });
  }

  it('the openai SDK raises the in-stream rejection, chat and Responses, with the reason', async () => {
    const openai = rig.openai();
    for (const create of [
      () => openai.chat.completions.create({ model: 'gpt-4o', messages: user('nope'), stream: true }),
      () => openai.responses.create({ model: 'gpt-4.1', input: 'nope', stream: true }),
    ]) {
      const stream = await create(); // 200 after the grace: the rejection can only come in the stream
      const [request] = await rig.gw.api.list('status=pending');
      const outcome = collectUntilError(stream as AsyncIterable<unknown>);
      await rig.gw.api.reject(request.id, 'too expensive');
      const { items, error } = await outcome;
      expect(items).toEqual([]);
      expect(error).toBeInstanceOf(OpenAI.APIError);
      expect(error.message).toContain('too expensive');
      expect(error.code).toBe('approval_rejected');
      expect(error.type).toBe('permission_error');
    }
  });

  it('the Anthropic SDK raises the in-stream rejection as a permission_error with the reason', async () => {
    const stream = await rig.anthropic().messages.create({ model: 'claude-haiku-4-5', max_tokens: 8, messages: user('nope'), stream: true });
    const [request] = await rig.gw.api.list('status=pending');
    const outcome = collectUntilError(stream);
    await rig.gw.api.reject(request.id, 'outside office hours');
    const { error } = await outcome;
    expect(error).toBeInstanceOf(Anthropic.APIError);
    expect(error.type).toBe('permission_error');
    expect(error.message).toContain('outside office hours');
  });
});

describe('a non-streaming request held past the HTTP limit', () => {
  it('gets 408 approval_pending and stays pending; once approved, the identical request gets the answer at once', async () => {
    const body = JSON.stringify({ model: 'held-408', messages: user('will you wait?') });
    const first = await send(`${rig.gw.url}/v1/chat/completions`, { headers: openaiHeaders(rig.gw.callerKey), body });
    expect(first.status).toBe(408);
    expect(first.headers['x-should-retry']).toBe('true');
    expect(JSON.parse(first.text)).toEqual({ error: { message: expect.any(String), type: expect.any(String), param: null, code: 'approval_pending' } });

    const [request] = await rig.gw.api.list('status=pending');
    expect(request.model).toBe('held-408');
    await new Promise((r) => setTimeout(r, 400)); // longer than the hang-up grace: a 408 is not a hang-up
    expect((await rig.gw.api.get(request.id)).status).toBe('pending');
    expect((await rig.gw.api.approve(request.id)).status).toBe(200);

    const again = await send(`${rig.gw.url}/v1/chat/completions`, { headers: openaiHeaders(rig.gw.callerKey), body });
    expect(again.status).toBe(200);
    expect(JSON.parse(again.text).choices[0].message.content).toBe('Echo: will you wait?');
    expect(rig.upstream.requests).toHaveLength(1);
    expect((await rig.gw.api.list()).filter((r) => r.model === 'held-408')).toHaveLength(1);
    expect((await rig.gw.api.waitForStatus(request.id, 'completed')).response?.text).toBe('Echo: will you wait?');
  });

  it("the SDK's own retries join the pending request: one item in the queue, and the call succeeds once approved", async () => {
    const call = rig.openai({ maxRetries: 2 }).chat.completions.create({ model: 'sdk-retry', messages: user('retry me') });
    const [request] = await queued(rig.gw, 1);
    await rig.gw.api.waitFor(async () => ((await rig.gw.api.session(request.id)).timeline.some((e) => e.detail === 'retry joined') ? true : undefined), 10_000, 'the SDK retry to join');
    expect(await rig.gw.api.list('status=pending')).toHaveLength(1);
    await rig.gw.api.approve(request.id);

    const completion = await call;
    expect(completion.choices[0].message.content).toBe('Echo: retry me');
    expect(rig.upstream.requests).toHaveLength(1);
    expect((await rig.gw.api.list()).filter((r) => r.model === 'sdk-retry')).toHaveLength(1);
  });
});

describe('the caller hangs up', () => {
  it('while pending: the request is withdrawn (cancelled) after the grace, never forwarded', async () => {
    const controller = new AbortController();
    const call = rig.openai().chat.completions.create({ model: 'gpt-4o', messages: user('never mind') }, { signal: controller.signal }).catch((e) => e);
    const [request] = await queued(rig.gw, 1);
    controller.abort();
    expect(await call).toBeInstanceOf(OpenAI.APIUserAbortError);
    expect((await rig.gw.api.get(request.id)).status).toBe('pending'); // within the grace a retry could still rejoin
    await rig.gw.api.waitForStatus(request.id, 'cancelled');
    expect(rig.upstream.requests).toHaveLength(0);
    await expect(rig.gw.api.approve(request.id)).resolves.toMatchObject({ status: 409 });
  });

  it('at once, while its request is still being recorded: it is withdrawn too, not left pending', async () => {
    for (let i = 0; i < 24; i++) {
      const controller = new AbortController();
      const call = fetch(`${rig.gw.url}/v1/chat/completions`, { method: 'POST', signal: controller.signal, headers: openaiHeaders(rig.gw.callerKey), body: JSON.stringify({ model: 'gone-at-once', messages: user(`bye ${i}`) }) }).catch(() => undefined);
      await new Promise((r) => setTimeout(r, (i % 8) * 0.5));
      controller.abort();
      await call;
    }
    const left = () => rig.gw.api.list('status=pending').then((items) => items.filter((r) => r.model === 'gone-at-once'));
    await rig.gw.api.waitFor(async () => ((await left()).length === 0 ? true : undefined), 3000, 'every withdrawn request to leave the queue').catch(async () => {
      expect((await left()).map((r) => r.id)).toEqual([]);
    });
    expect(rig.gw.gateway.pendingCount()).toBe(0);
    expect(rig.upstream.requests).toHaveLength(0);
  });

  it('during a slow stream: the upstream call is aborted and the request is cancelled', async () => {
    rig.upstream.next({ kind: 'text', chunks: ['a ', 'b ', 'c ', 'd ', 'e ', 'f'], delayMs: 200 });
    const controller = new AbortController();
    const { result: stream, request } = await approved(rig.gw, () => rig.openai().chat.completions.create({ model: 'gpt-4o', messages: user('go on') , stream: true }, { signal: controller.signal }));
    const seen: string[] = [];
    for await (const chunk of stream) {
      const text = chunk.choices[0]?.delta.content;
      if (!text) continue;
      seen.push(text);
      controller.abort();
    }
    expect(seen).toEqual(['a ']);
    await rig.gw.api.waitFor(async () => (rig.upstream.aborted === 1 ? true : undefined), 5000, 'the upstream to see the abort');
    await rig.gw.api.waitForStatus(request.id, 'cancelled');
  });
});
