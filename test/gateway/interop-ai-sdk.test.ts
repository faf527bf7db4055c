// A caller with another client library: the Vercel AI SDK (its own fetch, request shapes and SSE parsing) through Airlock.
// Most tests run the same call twice, straight to the upstream stand-in and through Airlock replaying that answer, and
// expect the AI SDK to end up with the same result; the config is a new user's (answer masking on) plus three policies.
import { createAnthropic, type AnthropicProvider } from '@ai-sdk/anthropic';
import { createOpenAI, type OpenAIProvider } from '@ai-sdk/openai';
import { APICallError, embed, generateText, streamText, tool, type LanguageModel, type LanguageModelUsage, type ToolSet } from 'ai';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { z } from 'zod';
import type { Scenario, UpstreamRequest } from '../support/upstream.js';
import { queued, reader, replay, startRig, UPSTREAM_KEY, type Exchange, type Rig } from './callers.js';

let rig: Rig;

// A short grace, so a held stream opens and meets keep-alive comments within the test.
beforeAll(async () => {
  rig = await startRig({
    config: {
      policies: [
        { name: 'forbidden-topic', match: { prompt: 'FORBIDDEN' }, action: 'reject', reason: 'no forbidden topics' },
        { name: 'needs-review', match: { prompt: 'REVIEW' }, action: 'review' },
        { name: 'all', action: 'approve' },
      ],
      hold: { streamGrace: 100, keepAlive: 50 },
    },
  });
});
afterAll(() => rig.close());
beforeEach(() => rig.upstream.reset());

const weather = { weather: tool({ description: 'The weather in a city', inputSchema: z.object({ city: z.string(), unit: z.enum(['c', 'f']) }) }) };
const PARIS = { city: 'Paris', unit: 'c' };
const TOOL_CALL: Scenario = { kind: 'tool_call', name: 'weather', arguments: JSON.stringify(PARIS) };
const STREAM_ERROR: Scenario = { kind: 'stream_error', afterChunks: 2, message: 'The server had an error mid-stream.' };
const POLICY_REJECTION = 'Rejected by Airlock policy "forbidden-topic": no forbidden topics';

describe('OpenAI provider', () => {
  it('generateText, Responses API (the default model): the answer and usage it gets straight from the API', async () => {
    const run = await sideBySide((c) => generateText({ model: c.openai('gpt-4.1'), prompt: 'What is Airlock?' }));
    expectPassedThrough(run, 'authorization');
    expect(run.forwarded).toMatchObject({ method: 'POST', path: '/v1/responses' });
    expect(run.forwarded.body).toEqual({ model: 'gpt-4.1', input: [{ role: 'user', content: [{ type: 'input_text', text: 'What is Airlock?' }] }] });
    expect(outcomeOf(run.through)).toEqual(outcomeOf(run.direct));
    expect(run.through.text).toBe('Echo: What is Airlock?');
    expectUsage(run.through.usage);
    expect(run.through.response.headers?.['x-request-id']).toBe(run.answer.headers['x-request-id']);
  });

  it('streamText, Responses API: the same events, text and usage', async () => {
    const run = await sideBySide((c) => streamed(c.openai('gpt-4.1'), 'stream this please'));
    expectPassedThrough(run, 'authorization');
    expect(run.forwarded.body).toMatchObject({ model: 'gpt-4.1', stream: true });
    expect(run.through).toEqual(run.direct);
    expect(run.through).toMatchObject({ text: 'Echo: stream this please', finishReason: 'stop', errors: [] });
    expectUsage(run.through.usage);
  });

  it('a tool call with a zod schema, Responses API, in generateText and streamText', async () => {
    const generated = await sideBySide((c) => generateText({ model: c.openai('gpt-4.1'), prompt: 'weather in Paris?', tools: weather }), TOOL_CALL);
    expectPassedThrough(generated, 'authorization');
    expect(generated.forwarded.body.tools).toEqual([expect.objectContaining({ type: 'function', name: 'weather', parameters: expect.objectContaining({ required: ['city', 'unit'] }) })]);
    expect(outcomeOf(generated.through)).toEqual(outcomeOf(generated.direct));
    expect(outcomeOf(generated.through)).toMatchObject({ toolCalls: [{ toolName: 'weather', input: PARIS }], finishReason: 'tool-calls' });

    const streamedRun = await sideBySide((c) => streamed(c.openai('gpt-4.1'), 'weather in Paris?', { tools: weather }), TOOL_CALL);
    expectPassedThrough(streamedRun, 'authorization');
    expect(streamedRun.through).toEqual(streamedRun.direct);
    expect(streamedRun.through).toMatchObject({ toolCalls: [{ toolName: 'weather', input: PARIS }], finishReason: 'tool-calls' });
  });

  it('generateText and streamText on chat completions (openai.chat), with usage, and a streamed tool call', async () => {
    const generated = await sideBySide((c) => generateText({ model: c.openai.chat('gpt-4o'), prompt: 'hello chat' }));
    expectPassedThrough(generated, 'authorization');
    expect(generated.forwarded).toMatchObject({ path: '/v1/chat/completions', body: { model: 'gpt-4o', messages: [{ role: 'user', content: 'hello chat' }] } });
    expect(outcomeOf(generated.through)).toEqual(outcomeOf(generated.direct));
    expect(generated.through.text).toBe('Echo: hello chat');
    expectUsage(generated.through.usage);

    const text = await sideBySide((c) => streamed(c.openai.chat('gpt-4o'), 'stream to me, chat'));
    expectPassedThrough(text, 'authorization');
    expect(text.forwarded.body).toMatchObject({ stream: true, stream_options: { include_usage: true } });
    expect(text.through).toEqual(text.direct);
    expect(text.through.text).toBe('Echo: stream to me, chat');
    expectUsage(text.through.usage);

    const toolCall = await sideBySide((c) => streamed(c.openai.chat('gpt-4o'), 'weather in Paris?', { tools: weather }), TOOL_CALL);
    expectPassedThrough(toolCall, 'authorization');
    expect(toolCall.through).toEqual(toolCall.direct);
    expect(toolCall.through).toMatchObject({ toolCalls: [{ toolName: 'weather', input: PARIS }], finishReason: 'tool-calls' });
  });

  it('embed with openai.embedding: the upstream vector and usage', async () => {
    const run = await sideBySide((c) => embed({ model: c.openai.embedding('text-embedding-3-small'), value: 'Airlock holds requests' }));
    expectPassedThrough(run, 'authorization');
    expect(run.forwarded).toMatchObject({ path: '/v1/embeddings', body: { model: 'text-embedding-3-small', input: ['Airlock holds requests'], encoding_format: 'float' } });
    expect(run.through.embedding).toEqual(run.direct.embedding);
    expect(run.through.embedding).toHaveLength(1536);
    expect(run.through.usage.tokens).toBeGreaterThan(0);
  });

  it('rejected by policy: an APICallError 403 with the gateway message, in generateText and streamText, never retried or forwarded', async () => {
    const chat = throughAirlock();
    const error = await generateText({ model: chat.openai.chat('gpt-4o'), prompt: 'the FORBIDDEN thing' }).catch((e) => e);
    await expectPolicyRejection(error, chat);
    expect(error.data).toEqual({ error: { message: POLICY_REJECTION, type: 'permission_error', param: null, code: 'approval_rejected' } });

    const responses = throughAirlock();
    const { errors } = await streamed(responses.openai('gpt-4.1'), 'the FORBIDDEN thing, streamed');
    await expectPolicyRejection(errors[0], responses);
  });

  it('an upstream 400 reaches the AI SDK as an APICallError with the upstream message, made once', async () => {
    const message = "Unsupported parameter: 'temperature' is not supported with this model.";
    rig.upstream.next({ kind: 'error', status: 400, message });
    const airlock = throughAirlock();
    const error = await generateText({ model: airlock.openai('o4-mini'), prompt: 'hi', temperature: 0.2 }).catch((e) => e);
    expect(APICallError.isInstance(error)).toBe(true);
    expect(error).toMatchObject({ statusCode: 400, message, isRetryable: false, data: { error: { type: 'invalid_request_error', message } } });
    expect(airlock.wire).toHaveLength(1);
    expect(rig.upstream.requests).toHaveLength(1);
  });

  it('an in-stream error arrives as an error part after the text before it, Responses and chat completions', async () => {
    for (const pick of [(c: Caller) => c.openai('gpt-4.1'), (c: Caller) => c.openai.chat('gpt-4o')]) {
      const run = await sideBySide((c) => streamed(pick(c), 'one two three four'), STREAM_ERROR);
      expectPassedThrough(run, 'authorization');
      expect(run.through).toEqual(run.direct);
      expect(run.through).toMatchObject({ text: 'Echo: one', errors: [{ message: 'The server had an error mid-stream.' }], finishReason: 'error' });
    }
  });

  // With answer masking on (the default), the text the masker was holding back when the connection broke still goes out.
  it('an upstream that drops mid-stream: the text that arrived before the drop reaches streamText, then the error', async () => {
    rig.upstream.next({ kind: 'drop', afterChunks: 2 });
    const { text, errors } = await streamed(throughAirlock().openai.chat('gpt-4o'), 'one two three four');
    expect(errors).toEqual([expect.objectContaining({ code: 'upstream_unreachable' })]);
    expect(text).toBe('Echo: one');
  });

  it('held for review: streamText waits through the keep-alive comments and streams once a reviewer approves', async () => {
    const held = await heldStream((c) => c.openai('gpt-4.1'), (id) => rig.gw.api.approve(id));
    expect(held.received.startsWith(KEEP_ALIVE)).toBe(true);
    expect(held).toMatchObject({ text: 'Echo: please REVIEW this first', finishReason: 'stop', errors: [], exchanges: 1 });
    expectUsage(held.usage);
    expect(rig.upstream.requests).toHaveLength(1);
    expect(rig.upstream.requests[0].headers.authorization).toBe(`Bearer ${UPSTREAM_KEY}`);
    expect((await rig.gw.api.waitForStatus(held.request.id, 'completed')).status).toBe('completed');
  });

  it('held for review: aborting streamText withdraws the request and nothing is forwarded', async () => {
    const airlock = throughAirlock();
    const abort = new AbortController();
    const run = streamed(airlock.openai.chat('gpt-4o'), 'please REVIEW, then never mind', { abortSignal: abort.signal });
    const [request] = await queued(rig.gw);
    abort.abort();
    expect((await run).partTypes).toEqual(['start', 'abort']);
    expect((await rig.gw.api.waitForStatus(request.id, 'cancelled')).status).toBe('cancelled');
    expect(rig.upstream.requests).toHaveLength(0);
  });
});

describe('Anthropic provider', () => {
  it('generateText and streamText: the answer and usage it gets straight from the API', async () => {
    const generated = await sideBySide((c) => generateText({ model: c.anthropic('claude-haiku-4-5'), prompt: 'hello claude' }));
    expectPassedThrough(generated, 'x-api-key');
    expect(generated.forwarded).toMatchObject({ method: 'POST', path: '/v1/messages' });
    expect(generated.forwarded.headers).toMatchObject({ 'anthropic-version': '2023-06-01' });
    expect(generated.forwarded.headers.authorization).toBeUndefined();
    expect(generated.forwarded.body).toEqual({ model: 'claude-haiku-4-5', max_tokens: expect.any(Number), messages: [{ role: 'user', content: [{ type: 'text', text: 'hello claude' }] }] });
    expect(outcomeOf(generated.through)).toEqual(outcomeOf(generated.direct));
    expect(generated.through.text).toBe('Echo: hello claude');
    expectUsage(generated.through.usage);
    expect(generated.through.response.headers?.['request-id']).toBe(generated.answer.headers['request-id']);

    const text = await sideBySide((c) => streamed(c.anthropic('claude-haiku-4-5'), 'stream to me, claude'));
    expectPassedThrough(text, 'x-api-key');
    expect(text.forwarded.body).toMatchObject({ stream: true });
    expect(text.through).toEqual(text.direct);
    expect(text.through).toMatchObject({ text: 'Echo: stream to me, claude', finishReason: 'stop', errors: [] });
    expectUsage(text.through.usage);
  });

  it('a tool call with a zod schema, in generateText and streamText', async () => {
    const generated = await sideBySide((c) => generateText({ model: c.anthropic('claude-haiku-4-5'), prompt: 'weather in Paris?', tools: weather }), TOOL_CALL);
    expectPassedThrough(generated, 'x-api-key');
    expect(generated.forwarded.body.tools).toEqual([expect.objectContaining({ name: 'weather', input_schema: expect.objectContaining({ required: ['city', 'unit'] }) })]);
    expect(outcomeOf(generated.through)).toEqual(outcomeOf(generated.direct));
    expect(outcomeOf(generated.through)).toMatchObject({ toolCalls: [{ toolName: 'weather', input: PARIS }], finishReason: 'tool-calls' });

    const streamedRun = await sideBySide((c) => streamed(c.anthropic('claude-haiku-4-5'), 'weather in Paris?', { tools: weather }), TOOL_CALL);
    expectPassedThrough(streamedRun, 'x-api-key');
    expect(streamedRun.through).toEqual(streamedRun.direct);
    expect(streamedRun.through).toMatchObject({ toolCalls: [{ toolName: 'weather', input: PARIS }], finishReason: 'tool-calls' });
  });

  it('rejected by policy: an APICallError 403 with the gateway message, never retried or forwarded', async () => {
    const airlock = throughAirlock();
    const error = await generateText({ model: airlock.anthropic('claude-haiku-4-5'), prompt: 'the FORBIDDEN thing' }).catch((e) => e);
    await expectPolicyRejection(error, airlock);
    expect(error.data).toMatchObject({ type: 'error', error: { type: 'permission_error' } });
  });

  it('an upstream 400 on a stream reaches streamText as an error part with the upstream message, made once', async () => {
    const message = 'max_tokens: 64000 > 32000, which is the maximum allowed number of output tokens for claude-haiku-4-5';
    rig.upstream.next({ kind: 'error', status: 400, message });
    const airlock = throughAirlock();
    const { errors, text } = await streamed(airlock.anthropic('claude-haiku-4-5'), 'hi');
    expect(text).toBe('');
    expect(APICallError.isInstance(errors[0])).toBe(true);
    expect(errors[0]).toMatchObject({ statusCode: 400, message, isRetryable: false, data: { error: { type: 'invalid_request_error', message } } });
    expect(airlock.wire).toHaveLength(1);
    expect(rig.upstream.requests).toHaveLength(1);
  });

  it('an in-stream error arrives as an error part after the text before it', async () => {
    const run = await sideBySide((c) => streamed(c.anthropic('claude-haiku-4-5'), 'one two three four'), STREAM_ERROR);
    expectPassedThrough(run, 'x-api-key');
    expect(run.through).toEqual(run.direct);
    expect(run.through).toMatchObject({ text: 'Echo: one', errors: [{ type: 'overloaded_error', message: 'The server had an error mid-stream.' }], finishReason: 'error' });
  });

  it('held for review: streamText streams once a reviewer approves', async () => {
    const held = await heldStream((c) => c.anthropic('claude-haiku-4-5'), (id) => rig.gw.api.approve(id));
    expect(held.received.startsWith(KEEP_ALIVE)).toBe(true);
    expect(held).toMatchObject({ text: 'Echo: please REVIEW this first', finishReason: 'stop', errors: [], exchanges: 1 });
    expect(rig.upstream.requests).toHaveLength(1);
    expect(rig.upstream.requests[0].headers['x-api-key']).toBe(UPSTREAM_KEY);
  });

  it('held for review: a reviewer rejection reaches streamText as a non-retryable error part with the reason', async () => {
    const held = await heldStream((c) => c.anthropic('claude-haiku-4-5'), (id) => rig.gw.api.reject(id, 'not on a Friday'));
    expect(held).toMatchObject({ partTypes: ['start', 'error'], exchanges: 1 });
    expect(APICallError.isInstance(held.errors[0])).toBe(true);
    expect(held.errors[0]).toMatchObject({ message: expect.stringContaining('not on a Friday'), isRetryable: false });
    expect(rig.upstream.requests).toHaveLength(0);
    expect((await rig.gw.api.waitForStatus(held.request.id, 'rejected')).status).toBe('rejected');
  });
});

// ---------------------------------------------------------------------------------------------
// The calling side

const KEEP_ALIVE = ': pending approval\n\n';

/** An exchange as the AI SDK's fetch saw it; `body` reads a copy of the response as it arrives. */
interface WireExchange {
  status: number;
  headers: Record<string, string>;
  body: ReturnType<typeof reader>;
}

/** Both providers pointed at one base URL, with a fetch that keeps every exchange they make. */
interface Caller {
  openai: OpenAIProvider;
  anthropic: AnthropicProvider;
  wire: WireExchange[];
}

function caller(url: string, apiKey: string): Caller {
  const wire: WireExchange[] = [];
  const keepingFetch: typeof fetch = async (input, init) => {
    const res = await fetch(input, init);
    wire.push({ status: res.status, headers: Object.fromEntries(res.headers), body: reader(res.clone()) });
    return res;
  };
  // @ai-sdk/anthropic appends /messages to its base URL, so both take the API root with /v1.
  return {
    openai: createOpenAI({ baseURL: `${url}/v1`, apiKey, fetch: keepingFetch }),
    anthropic: createAnthropic({ baseURL: `${url}/v1`, apiKey, fetch: keepingFetch }),
    wire,
  };
}

const throughAirlock = () => caller(rig.gw.url, rig.gw.callerKey);
const straightToApi = () => caller(rig.upstream.url, UPSTREAM_KEY);

interface SideBySide<T> {
  direct: T;
  through: T;
  /** What the AI SDK sent the stand-in itself, and what Airlock forwarded to it. */
  sent: UpstreamRequest;
  forwarded: UpstreamRequest;
  /** The stand-in's answer to the direct call (replayed to Airlock), and what the AI SDK received through Airlock. */
  answer: Exchange;
  received: string;
  exchanges: number;
}

/** Runs `call` straight against the stand-in (answering `scenario`), then through Airlock with the stand-in replaying that answer. */
async function sideBySide<T>(call: (c: Caller) => Promise<T>, scenario?: Scenario): Promise<SideBySide<T>> {
  rig.upstream.reset();
  if (scenario) rig.upstream.next(scenario);
  const api = straightToApi();
  const direct = await call(api);
  const [sent] = rig.upstream.requests;
  const answer = { status: api.wire[0].status, headers: api.wire[0].headers, text: await api.wire[0].body.all() };

  rig.upstream.reset();
  replay(rig.upstream, answer);
  const airlock = throughAirlock();
  const through = await call(airlock);
  return { direct, through, sent, forwarded: rig.upstream.requests[0], answer, received: await airlock.wire[0].body.all(), exchanges: airlock.wire.length };
}

/** Airlock forwarded the AI SDK's body once, with the upstream key and never the caller's, and passed the answer back byte for byte. */
function expectPassedThrough(run: SideBySide<unknown>, auth: 'authorization' | 'x-api-key') {
  expect(rig.upstream.requests).toHaveLength(1);
  expect(run.forwarded.body).toEqual(run.sent.body);
  expect(run.forwarded.headers[auth]).toBe(auth === 'authorization' ? `Bearer ${UPSTREAM_KEY}` : UPSTREAM_KEY);
  expect(JSON.stringify(run.forwarded)).not.toContain(rig.gw.callerKey);
  expect(run.received).toBe(run.answer.text);
  expect(run.exchanges).toBe(1);
}

async function expectPolicyRejection(error: unknown, airlock: Caller) {
  expect(APICallError.isInstance(error)).toBe(true);
  const e = error as APICallError;
  expect(e).toMatchObject({ statusCode: 403, message: POLICY_REJECTION, isRetryable: false });
  expect(e.responseHeaders?.['x-should-retry']).toBe('false');
  expect(airlock.wire).toHaveLength(1); // the AI SDK retries 408, 409, 429 and 5xx (twice by default); not this
  expect(rig.upstream.requests).toHaveLength(0);
  const id = e.responseHeaders!['x-airlock-request-id'];
  expect((await rig.gw.api.get(id)).status).toBe('rejected');
}

function expectUsage(usage: LanguageModelUsage | undefined) {
  expect(usage?.inputTokens).toBeGreaterThan(0);
  expect(usage?.outputTokens).toBeGreaterThan(0);
  expect(usage?.totalTokens).toBe(usage!.inputTokens! + usage!.outputTokens!);
}

/** What a caller takes from a call, leaving out what differs between two runs (response headers and timestamps). */
interface Outcome {
  text: string;
  toolCalls: { toolName: string; input: unknown }[];
  finishReason: string | undefined;
  usage: LanguageModelUsage | undefined;
  errors: unknown[];
}

function outcomeOf(result: { text: string; toolCalls: { toolName: string; input: unknown }[]; finishReason: string; usage: LanguageModelUsage }): Outcome {
  return { text: result.text, toolCalls: result.toolCalls.map(({ toolName, input }) => ({ toolName, input })), finishReason: result.finishReason, usage: result.usage, errors: [] };
}

/** Drains streamText's full stream; errors arrive as parts (onError is silenced: the test reads them). */
async function streamed(model: LanguageModel, prompt: string, opts: { tools?: ToolSet; abortSignal?: AbortSignal } = {}): Promise<Outcome & { partTypes: string[] }> {
  const result = streamText({ model, prompt, ...opts, onError: () => undefined });
  const outcome = { text: '', toolCalls: [], finishReason: undefined, usage: undefined, errors: [], partTypes: [] as string[] } as Outcome & { partTypes: string[] };
  for await (const part of result.fullStream) {
    outcome.partTypes.push(part.type);
    if (part.type === 'text-delta') outcome.text += part.text;
    else if (part.type === 'tool-call') outcome.toolCalls.push({ toolName: part.toolName, input: part.input });
    else if (part.type === 'error') outcome.errors.push(part.error);
    else if (part.type === 'finish') Object.assign(outcome, { finishReason: part.finishReason, usage: part.totalUsage });
  }
  return outcome;
}

/** streamText on a prompt the policy holds: once the stream has opened and a keep-alive comment reached the AI SDK, `decide` settles it. */
async function heldStream(pick: (c: Caller) => LanguageModel, decide: (id: string) => Promise<unknown>) {
  const airlock = throughAirlock();
  const run = streamed(pick(airlock), 'please REVIEW this first');
  const [request] = await queued(rig.gw);
  const wire = await rig.gw.api.waitFor(async () => airlock.wire[0], 5000, 'the held stream to open');
  await wire.body.until((t) => t.includes(KEEP_ALIVE));
  await decide(request.id);
  return { ...(await run), request, received: await wire.body.all(), exchanges: airlock.wire.length };
}
