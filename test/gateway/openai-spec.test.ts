// What Airlock sends OpenAI callers, checked against the OpenAI spec's own schemas: every error the gateway makes,
// its in-stream error frames, and the answers it passes through.
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { approved, openaiHeaders, parseSse, queued, reader, send, startRig, user, type Rig } from './callers.js';
import { OpenApiSchemas, SPEC_PATH, specAvailable } from './openapi.js';

let rig: Rig;
let spec: OpenApiSchemas;

describe.skipIf(!specAvailable)(`against ${SPEC_PATH}`, () => {
  beforeAll(async () => {
    spec = new OpenApiSchemas();
    rig = await startRig({
      config: {
        masking: false,
        policies: [
          { name: 'retired', match: { model: 'policy-no' }, action: 'reject', reason: 'retired model' },
          { name: 'impatient', match: { model: 'timeout-no' }, action: 'review', timeout: 200 },
          { name: 'auto', match: { model: 'auto-*' }, action: 'approve' },
        ],
        hold: { streamGrace: 200, keepAlive: 100, httpLimit: 1000 }, // room for a reviewer's reject under load
        server: { bodyLimit: '1kb', upstreamTimeout: 300 },
      },
    });
  });
  afterAll(() => rig?.close());
  beforeEach(() => rig.upstream.reset());

  const chat = (body: unknown, key = rig.gw.callerKey) => send(`${rig.gw.url}/v1/chat/completions`, { headers: openaiHeaders(key), body: typeof body === 'string' ? body : JSON.stringify(body) });

  /** Sends a request, refuses it as a reviewer, and returns the answer. */
  async function rejectedByReviewer(path: string, body: unknown) {
    const answer = send(`${rig.gw.url}${path}`, { headers: openaiHeaders(rig.gw.callerKey), body: JSON.stringify(body) });
    const [request] = await queued(rig.gw);
    await rig.gw.api.reject(request.id, 'not this one');
    return answer;
  }

  it('every error body the gateway makes is an ErrorResponse', async () => {
    const errors: Record<string, { status: number; text: string }> = {
      unauthorized: await chat({ model: 'gpt-4o', messages: user('x') }, 'alk_wrong'),
      invalidJson: await chat('{"model":'),
      missingModel: await chat({ messages: user('x') }),
      missingMessages: await chat({ model: 'gpt-4o' }),
      tooLarge: await chat({ model: 'gpt-4o', messages: user('x'.repeat(2000)) }),
      unknownRoute: await send(`${rig.gw.url}/v1/assistants`, { headers: openaiHeaders(rig.gw.callerKey) }),
      policyRejected: await chat({ model: 'policy-no', messages: user('x') }),
      timedOut: await chat({ model: 'timeout-no', messages: user('x') }),
      rejected: await rejectedByReviewer('/v1/responses', { model: 'gpt-4.1', input: 'x' }),
      approvalPending: await chat({ model: 'gpt-4o', messages: user('held past the limit') }),
    };
    const [held] = await rig.gw.api.list('status=pending');
    await rig.gw.api.reject(held.id, 'cleanup');
    rig.upstream.next({ kind: 'hang' });
    errors.upstreamTimeout = await chat({ model: 'auto-hang', messages: user('x') });
    rig.upstream.next({ kind: 'drop' });
    errors.upstreamGone = await chat({ model: 'auto-drop', messages: user('x') });

    expect(Object.fromEntries(Object.entries(errors).map(([name, e]) => [name, e.status]))).toEqual({
      unauthorized: 401,
      invalidJson: 400,
      missingModel: 400,
      missingMessages: 400,
      tooLarge: 413,
      unknownRoute: 404,
      policyRejected: 403,
      timedOut: 403,
      approvalPending: 408,
      rejected: 403,
      upstreamTimeout: 504,
      upstreamGone: 502,
    });
    for (const [name, e] of Object.entries(errors)) expect(spec.problems('ErrorResponse', JSON.parse(e.text)), name).toEqual([]);
  });

  it('the in-stream rejection frames: chat as an ErrorResponse, Responses as a ResponseErrorEvent', async () => {
    const frames: Record<string, string> = {};
    for (const [path, body] of [
      ['/v1/chat/completions', { model: 'gpt-4o', messages: user('x'), stream: true }],
      ['/v1/responses', { model: 'gpt-4.1', input: 'x', stream: true }],
    ] as const) {
      const res = await fetch(`${rig.gw.url}${path}`, { method: 'POST', headers: openaiHeaders(rig.gw.callerKey), body: JSON.stringify(body) });
      expect(res.status).toBe(200); // held past the grace: the stream is open
      const [request] = await rig.gw.api.list('status=pending');
      await rig.gw.api.reject(request.id, 'not in a stream either');
      frames[path] = await reader(res).all();
    }
    const [chatFrame] = parseSse(frames['/v1/chat/completions']);
    expect(chatFrame.event).toBeUndefined();
    expect(spec.problems('ErrorResponse', JSON.parse(chatFrame.data))).toEqual([]);
    const [responsesFrame] = parseSse(frames['/v1/responses']);
    expect(responsesFrame.event).toBe('error');
    expect(spec.problems('ResponseErrorEvent', JSON.parse(responsesFrame.data))).toEqual([]);
  });

  it('answers passed through conform: a chat completion and its stream chunks', async () => {
    const completion = await approved(rig.gw, () => chat({ model: 'gpt-4o', messages: user('conform') }));
    expect(spec.problems('CreateChatCompletionResponse', JSON.parse(completion.result.text))).toEqual([]);

    const stream = await approved(rig.gw, () => chat({ model: 'gpt-4o', messages: user('conform'), stream: true, stream_options: { include_usage: true } }));
    const chunks = parseSse(stream.result.text).filter((m) => m.data !== '[DONE]');
    expect(chunks.length).toBeGreaterThan(3);
    for (const chunk of chunks) expect(spec.problems('CreateChatCompletionStreamResponse', JSON.parse(chunk.data))).toEqual([]);
  });
});
