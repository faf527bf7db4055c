// The upstream stand-in, driven directly by the real openai and @anthropic-ai/sdk clients: if the
// SDKs parse what it sends, the gateway's tests against it are tests against the real wire formats.
import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import OpenAI from 'openai';
import Anthropic from '@anthropic-ai/sdk';
import { collect, collectUntilError } from './streams.js';
import { loadFixture, loadFixtureEvents, startUpstream, type Upstream } from './upstream.js';

let upstream: Upstream;
let openai: OpenAI;
let anthropic: Anthropic;

beforeAll(async () => {
  upstream = await startUpstream();
  openai = new OpenAI({ apiKey: 'sk-upstream-test', baseURL: `${upstream.url}/v1`, maxRetries: 0 });
  anthropic = new Anthropic({ apiKey: 'sk-ant-upstream-test', baseURL: upstream.url, maxRetries: 0 });
});
afterAll(() => upstream.close());
beforeEach(() => upstream.reset());

const user = (content: string) => [{ role: 'user' as const, content }];
const SSE = { 'content-type': 'text/event-stream; charset=utf-8' };

describe('OpenAI chat completions', () => {
  it('answers with a chat.completion echoing the last user message, with the real headers', async () => {
    const { data, response } = await openai.chat.completions
      .create({ model: 'gpt-4o', messages: [{ role: 'system', content: 'Be brief.' }, ...user('first'), { role: 'assistant', content: 'ok' }, { role: 'user', content: [{ type: 'text', text: 'hello there' }] }] })
      .withResponse();
    expect(data.object).toBe('chat.completion');
    expect(data.id).toMatch(/^chatcmpl-/);
    expect(data.model).toBe('gpt-4o');
    expect(data.choices[0]).toMatchObject({ index: 0, finish_reason: 'stop', logprobs: null, message: { role: 'assistant', content: 'Echo: hello there', refusal: null } });
    expect(data.usage?.total_tokens).toBeGreaterThan(0);
    expect(response.headers.get('x-request-id')).toMatch(/^req_/);
    expect(response.headers.get('openai-processing-ms')).toMatch(/^\d+$/);
    expect(response.headers.get('x-ratelimit-remaining-requests')).toBe('9999');
    expect(upstream.requests).toHaveLength(1);
    expect(upstream.requests[0]).toMatchObject({ method: 'POST', path: '/v1/chat/completions', body: { model: 'gpt-4o' } });
    expect(upstream.requests[0].headers.authorization).toBe('Bearer sk-upstream-test');
  });

  it('streams a role chunk, many content deltas, the finish chunk and a usage chunk', async () => {
    const stream = await openai.chat.completions.create({ model: 'gpt-4o', messages: user('split me into several pieces please'), stream: true, stream_options: { include_usage: true } });
    const chunks = await collect(stream);
    expect(chunks[0].choices[0].delta).toEqual({ role: 'assistant', content: '', refusal: null });
    const contents = chunks.slice(1).flatMap((c) => (c.choices[0]?.delta.content ? [c.choices[0].delta.content] : []));
    expect(contents.length).toBeGreaterThan(4);
    expect(contents.join('')).toBe('Echo: split me into several pieces please');
    const finish = chunks.at(-2)!;
    expect(finish.choices[0]).toMatchObject({ delta: {}, finish_reason: 'stop' });
    const usage = chunks.at(-1)!;
    expect(usage.choices).toEqual([]);
    expect(usage.usage?.completion_tokens).toBe(contents.length);
    expect(new Set(chunks.map((c) => c.id)).size).toBe(1);
  });

  it('splits the stream exactly as `chunks` says, and the stream helper reassembles it', async () => {
    upstream.next({ kind: 'text', chunks: ['my key is sk-', 'abc', '123'] });
    const stream = openai.chat.completions.stream({ model: 'gpt-4o', messages: user('x') });
    const deltas: string[] = [];
    stream.on('content', (delta) => deltas.push(delta));
    const final = await stream.finalChatCompletion();
    expect(deltas).toEqual(['my key is sk-', 'abc', '123']);
    expect(final.choices[0].message.content).toBe('my key is sk-abc123');
  });

  it('frames each chunk as its own `data:` event ending in [DONE], with SSE headers', async () => {
    upstream.next({ kind: 'text', chunks: ['a', 'b'] });
    const res = await fetch(`${upstream.url}/v1/chat/completions`, {
      method: 'POST',
      headers: { authorization: 'Bearer k', 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'gpt-4o', messages: user('x'), stream: true, stream_options: { include_obfuscation: false } }),
    });
    expect(res.headers.get('content-type')).toBe('text/event-stream; charset=utf-8');
    expect(res.headers.get('cache-control')).toBe('no-cache');
    const events = (await res.text()).split('\n\n');
    expect(events.at(-1)).toBe('');
    expect(events.at(-2)).toBe('data: [DONE]');
    expect(events.slice(0, -2).every((e) => e.startsWith('data: {"id":"chatcmpl-') && !e.includes('\n'))).toBe(true);
    expect(events.some((e) => e.includes('obfuscation'))).toBe(false);
  });

  it('answers a tool call, plain and streamed', async () => {
    upstream.next({ kind: 'tool_call', name: 'get_weather', arguments: '{"city":"Paris","unit":"celsius"}' });
    const plain = await openai.chat.completions.create({ model: 'gpt-4o', messages: user('weather?') });
    expect(plain.choices[0].finish_reason).toBe('tool_calls');
    expect(plain.choices[0].message.content).toBeNull();
    expect(plain.choices[0].message.tool_calls?.[0]).toMatchObject({ id: expect.stringMatching(/^call_/), type: 'function', function: { name: 'get_weather', arguments: '{"city":"Paris","unit":"celsius"}' } });

    upstream.next({ kind: 'tool_call', name: 'get_weather', arguments: '{"city":"Paris","unit":"celsius"}' });
    const stream = openai.chat.completions.stream({ model: 'gpt-4o', messages: user('weather?') });
    const chunks: OpenAI.Chat.Completions.ChatCompletionChunk[] = [];
    stream.on('chunk', (c) => chunks.push(c));
    const final = await stream.finalChatCompletion();
    expect(chunks.filter((c) => c.choices[0]?.delta.tool_calls?.[0]?.function?.arguments).length).toBeGreaterThan(2);
    expect(final.choices[0].finish_reason).toBe('tool_calls');
    expect(JSON.parse(final.choices[0].message.tool_calls![0].type === 'function' ? final.choices[0].message.tool_calls![0].function.arguments : '')).toEqual({ city: 'Paris', unit: 'celsius' });
  });
});

describe('OpenAI responses', () => {
  it('answers with a response object whose message holds the text', async () => {
    const res = await openai.responses.create({ model: 'gpt-4.1', input: 'hi responses', instructions: 'Be kind.' });
    expect(res).toMatchObject({ object: 'response', status: 'completed', model: 'gpt-4.1', instructions: 'Be kind.', error: null });
    expect(res.id).toMatch(/^resp_/);
    expect(res.output[0]).toMatchObject({ type: 'message', role: 'assistant', status: 'completed', content: [{ type: 'output_text', text: 'Echo: hi responses', annotations: [] }] });
    expect(res.output_text).toBe('Echo: hi responses'); // computed by the SDK
  });

  it('takes the prompt from the last user item of an input array', async () => {
    const res = await openai.responses.create({
      model: 'gpt-4.1',
      input: [
        { role: 'user', content: 'old' },
        { role: 'assistant', content: 'reply' },
        { type: 'message', role: 'user', content: [{ type: 'input_text', text: 'newest' }] },
      ],
    });
    expect(res.output_text).toBe('Echo: newest');
  });

  it('streams the full event sequence with increasing sequence_number', async () => {
    const stream = await openai.responses.create({ model: 'gpt-4.1', input: 'stream this answer please', stream: true });
    const events = await collect(stream);
    const types = [...new Set(events.map((e) => e.type))];
    expect(types).toEqual([
      'response.created', 'response.in_progress', 'response.output_item.added', 'response.content_part.added',
      'response.output_text.delta', 'response.output_text.done', 'response.content_part.done', 'response.output_item.done', 'response.completed',
    ]);
    expect(events.map((e) => e.sequence_number)).toEqual(events.map((_, i) => i));
    const deltas = events.flatMap((e) => (e.type === 'response.output_text.delta' ? [e] : []));
    expect(deltas.length).toBeGreaterThan(3);
    expect(deltas[0]).toMatchObject({ item_id: expect.stringMatching(/^msg_/), output_index: 0, content_index: 0 });
    expect(deltas.map((d) => d.delta).join('')).toBe('Echo: stream this answer please');
  });

  it('feeds the responses.stream() helper, text and function calls', async () => {
    const text = await openai.responses.stream({ model: 'gpt-4.1', input: 'helper' }).finalResponse();
    expect(text.output_text).toBe('Echo: helper');

    upstream.next({ kind: 'tool_call', name: 'lookup', arguments: '{"q":"airlock gateway"}' });
    const stream = openai.responses.stream({ model: 'gpt-4.1', input: 'call it' });
    const argDeltas: string[] = [];
    stream.on('response.function_call_arguments.delta', (e) => argDeltas.push(e.delta));
    const final = await stream.finalResponse();
    expect(argDeltas.length).toBeGreaterThan(1);
    expect(final.output[0]).toMatchObject({ type: 'function_call', name: 'lookup', arguments: '{"q":"airlock gateway"}', call_id: expect.stringMatching(/^call_/), status: 'completed' });
  });
});

describe('OpenAI embeddings and models', () => {
  it('returns base64 float32 by default (decoded by the SDK) equal to the float answer', async () => {
    const b64 = await openai.embeddings.create({ model: 'text-embedding-3-small', input: ['alpha', 'beta'], dimensions: 16 });
    const floats = await openai.embeddings.create({ model: 'text-embedding-3-small', input: ['alpha', 'beta'], dimensions: 16, encoding_format: 'float' });
    expect(upstream.requests[0].body.encoding_format).toBe('base64');
    expect(b64.object).toBe('list');
    expect(b64.data.map((d) => [d.object, d.index, d.embedding.length])).toEqual([['embedding', 0, 16], ['embedding', 1, 16]]);
    expect(b64.data[0].embedding).toEqual(floats.data[0].embedding);
    expect(b64.data[0].embedding).not.toEqual(b64.data[1].embedding);
    expect(Math.hypot(...floats.data[0].embedding)).toBeCloseTo(1, 5);
  });

  it('lists models', async () => {
    const models = [];
    for await (const model of openai.models.list()) models.push(model);
    expect(models.length).toBeGreaterThan(1);
    expect(models[0]).toMatchObject({ id: 'gpt-4o', object: 'model', owned_by: 'system', created: expect.any(Number) });
  });
});

describe('Anthropic messages', () => {
  it('answers with a message echoing the last user text, with the real headers', async () => {
    const { data, response } = await anthropic.messages
      .create({ model: 'claude-sonnet-4-5', max_tokens: 64, messages: [...user('first'), { role: 'assistant', content: 'ok' }, { role: 'user', content: [{ type: 'text', text: 'and now' }] }] })
      .withResponse();
    expect(data).toMatchObject({ type: 'message', role: 'assistant', model: 'claude-sonnet-4-5', content: [{ type: 'text', text: 'Echo: and now' }], stop_reason: 'end_turn', stop_sequence: null });
    expect(data.id).toMatch(/^msg_01/);
    expect(data.usage.output_tokens).toBeGreaterThan(0);
    expect(response.headers.get('request-id')).toMatch(/^req_011C/);
    expect(response.headers.get('anthropic-ratelimit-requests-remaining')).toBe('3999');
    // SDK 1.x sends the key as a bearer token and pins API version 2026-10-21; x-api-key is accepted too.
    expect(upstream.requests[0].headers.authorization).toBe('Bearer sk-ant-upstream-test');
    expect(upstream.requests[0].headers['x-api-key']).toBeUndefined();
    expect(upstream.requests[0].headers['anthropic-version']).toBe('2026-10-21');
  });

  it('streams message_start, a text block with a ping, deltas, message_delta and message_stop', async () => {
    const res = await fetch(`${upstream.url}/v1/messages`, {
      method: 'POST',
      headers: { 'x-api-key': 'k', 'anthropic-version': '2023-06-01', 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'claude-haiku-4-5', max_tokens: 64, stream: true, messages: user('one two three four') }),
    });
    expect(res.headers.get('content-type')).toBe('text/event-stream; charset=utf-8');
    const names = (await res.text()).split('\n\n').filter(Boolean).map((e) => e.split('\n')[0]);
    expect(names.slice(0, 3)).toEqual(['event: message_start', 'event: content_block_start', 'event: ping']);
    expect(names.filter((n) => n === 'event: content_block_delta').length).toBeGreaterThan(3);
    expect(names.slice(-3)).toEqual(['event: content_block_stop', 'event: message_delta', 'event: message_stop']);
  });

  it('feeds messages.stream(), text and tool_use', async () => {
    const stream = anthropic.messages.stream({ model: 'claude-sonnet-4-5', max_tokens: 64, messages: user('stream it') });
    const deltas: string[] = [];
    stream.on('text', (t) => deltas.push(t));
    const final = await stream.finalMessage();
    expect(deltas.join('')).toBe('Echo: stream it');
    expect(deltas.length).toBeGreaterThan(1);
    expect(final.stop_reason).toBe('end_turn');

    upstream.next({ kind: 'tool_call', name: 'get_weather', arguments: '{"city":"Lisbon"}' });
    const tool = await anthropic.messages.stream({ model: 'claude-sonnet-4-5', max_tokens: 64, messages: user('weather') }).finalMessage();
    expect(tool.stop_reason).toBe('tool_use');
    expect(tool.content[0]).toMatchObject({ type: 'tool_use', name: 'get_weather', input: { city: 'Lisbon' }, id: expect.stringMatching(/^toolu_/) });

    upstream.next({ kind: 'tool_call', name: 'get_weather', arguments: '{"city":"Lisbon"}' });
    const plain = await anthropic.messages.create({ model: 'claude-sonnet-4-5', max_tokens: 64, messages: user('weather') });
    expect(plain.content[0]).toMatchObject({ type: 'tool_use', input: { city: 'Lisbon' } });
  });

  it('lists Anthropic models on /v1/models when the request is Anthropic-shaped', async () => {
    const page = await anthropic.models.list();
    expect(page.data[0]).toMatchObject({ type: 'model', id: expect.stringMatching(/^claude-/), display_name: expect.any(String) });
  });
});

describe('errors', () => {
  it('reaches the openai SDK as typed errors with status, message and headers', async () => {
    upstream.next({ kind: 'error', status: 429 }, { kind: 'error', status: 400, message: 'bad temperature' }, { kind: 'error', status: 500 });
    const rate = await openai.chat.completions.create({ model: 'gpt-4o', messages: user('x') }).catch((e) => e);
    expect(rate).toBeInstanceOf(OpenAI.RateLimitError);
    expect(rate).toMatchObject({ status: 429, type: 'requests', code: 'rate_limit_exceeded' });
    expect(rate.headers.get('retry-after')).toBe('1');
    expect(rate.requestID).toMatch(/^req_/);
    const bad = await openai.responses.create({ model: 'gpt-4o', input: 'x' }).catch((e) => e);
    expect(bad).toBeInstanceOf(OpenAI.BadRequestError);
    expect(bad.message).toBe('400 bad temperature');
    expect(bad.error).toEqual({ message: 'bad temperature', type: 'invalid_request_error', param: null, code: null });
    const server = await openai.embeddings.create({ model: 'e', input: 'x' }).catch((e) => e);
    expect(server).toBeInstanceOf(OpenAI.InternalServerError);
    expect(server.type).toBe('server_error');
  });

  it('reaches the anthropic SDK as typed errors with status, type and message', async () => {
    upstream.next({ kind: 'error', status: 529 }, { kind: 'error', status: 429, message: 'slow down' });
    const overloaded = await anthropic.messages.create({ model: 'c', max_tokens: 8, messages: user('x') }).catch((e) => e);
    expect(overloaded).toBeInstanceOf(Anthropic.APIError);
    expect(overloaded.constructor.name).toBe('OverloadedError');
    expect(overloaded).toMatchObject({ status: 529, type: 'overloaded_error', apiMessage: 'Overloaded', requestID: expect.stringMatching(/^req_011C/) });
    expect(overloaded.error).toEqual({ type: 'error', error: { type: 'overloaded_error', message: 'Overloaded' }, request_id: overloaded.requestID });
    const rate = await anthropic.messages.create({ model: 'c', max_tokens: 8, messages: user('x') }).catch((e) => e);
    expect(rate).toBeInstanceOf(Anthropic.RateLimitError);
    expect(rate).toMatchObject({ status: 429, type: 'rate_limit_error', apiMessage: 'slow down' });
    expect(rate.headers.get('retry-after')).toBe('1');
  });

  it('rejects requests without a key, without anthropic-version, or to unknown paths, in each API shape', async () => {
    const post = (path: string, headers: Record<string, string>, body: unknown = { model: 'm', max_tokens: 1, messages: [] }) =>
      fetch(`${upstream.url}${path}`, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify(body) });
    upstream.next({ kind: 'error', status: 418 }); // must not be consumed by the rejected requests below

    const noBearer = await post('/v1/chat/completions', {});
    expect(noBearer.status).toBe(401);
    expect(await noBearer.json()).toEqual({ error: { message: expect.stringContaining("You didn't provide an API key"), type: 'invalid_request_error', param: null, code: null } });

    const noKey = await post('/v1/messages', { 'anthropic-version': '2023-06-01' });
    expect(noKey.status).toBe(401);
    expect(await noKey.json()).toMatchObject({ type: 'error', error: { type: 'authentication_error' }, request_id: expect.stringMatching(/^req_/) });

    const noVersion = await post('/v1/messages', { 'x-api-key': 'k' });
    expect(noVersion.status).toBe(400);
    expect((await noVersion.json()).error).toEqual({ type: 'invalid_request_error', message: 'anthropic-version: header is required' });

    const noMaxTokens = await post('/v1/messages', { 'x-api-key': 'k', 'anthropic-version': '2023-06-01' }, { model: 'm', messages: [] });
    expect((await noMaxTokens.json()).error.message).toBe('max_tokens: Field required');

    const sampling = await anthropic.messages.create({ model: 'c', max_tokens: 8, messages: user('x'), temperature: 0.2 } as Anthropic.MessageCreateParamsNonStreaming).catch((e) => e);
    expect(sampling).toBeInstanceOf(Anthropic.BadRequestError);

    const notJson = await fetch(`${upstream.url}/v1/chat/completions`, { method: 'POST', headers: { authorization: 'Bearer k' }, body: '{nope' });
    expect(notJson.status).toBe(400);

    const missing = await openai.post('/nowhere', { body: {} }).then(() => undefined, (e: Error) => e);
    expect(missing).toBeInstanceOf(OpenAI.NotFoundError);
    expect(missing?.message).toBe('404 Invalid URL (POST /v1/nowhere)');

    const anthropicMissing = await post('/v1/nowhere', { 'x-api-key': 'k', 'anthropic-version': '2023-06-01' });
    expect(anthropicMissing.status).toBe(404);
    expect((await anthropicMissing.json()).error.type).toBe('not_found_error');

    expect(upstream.requests).toHaveLength(8);
    const teapot = await openai.models.list().catch((e) => e);
    expect(teapot.status).toBe(418);
  });
});

describe('in-stream errors', () => {
  it('openai chat: the iterator throws the `data: {"error":…}` after the given chunks', async () => {
    upstream.next({ kind: 'stream_error', afterChunks: 2, message: 'upstream broke' });
    const stream = await openai.chat.completions.create({ model: 'gpt-4o', messages: user('one two three four five'), stream: true });
    const { items, error } = await collectUntilError(stream);
    expect(items.filter((c) => c.choices[0]?.delta.content).length).toBe(2);
    expect(error).toBeInstanceOf(OpenAI.APIError);
    expect((error as Error).message).toBe('upstream broke');
  });

  it('openai responses: the iterator throws on `event: error`', async () => {
    upstream.next({ kind: 'stream_error', afterChunks: 1 });
    const stream = await openai.responses.create({ model: 'gpt-4.1', input: 'one two three', stream: true });
    const { items, error } = await collectUntilError(stream);
    expect(items.filter((e) => e.type === 'response.output_text.delta')).toHaveLength(1);
    expect(error).toBeInstanceOf(OpenAI.APIError);
    expect((error as InstanceType<typeof OpenAI.APIError>).type).toBe('server_error');
  });

  it('anthropic: the iterator throws the overloaded_error', async () => {
    upstream.next({ kind: 'stream_error', afterChunks: 0 });
    const stream = await anthropic.messages.create({ model: 'c', max_tokens: 8, messages: user('x y z'), stream: true });
    const { items, error } = await collectUntilError(stream);
    expect(items.map((e) => e.type)).toEqual(['message_start', 'content_block_start']);
    expect(error).toBeInstanceOf(Anthropic.APIError);
    expect((error as InstanceType<typeof Anthropic.APIError>).type).toBe('overloaded_error');
  });

  it('a non-stream request with stream_error gets the API failure status', async () => {
    upstream.next({ kind: 'stream_error', afterChunks: 1 }, { kind: 'stream_error', afterChunks: 1 });
    await expect(openai.chat.completions.create({ model: 'gpt-4o', messages: user('x') })).rejects.toMatchObject({ status: 500 });
    await expect(anthropic.messages.create({ model: 'c', max_tokens: 8, messages: user('x') })).rejects.toMatchObject({ status: 529 });
  });
});

describe('timing, hangs and drops', () => {
  it('spaces deltas by delayMs after firstDelayMs', async () => {
    upstream.next({ kind: 'text', chunks: ['a', 'b', 'c'], firstDelayMs: 40, delayMs: 30 });
    const started = Date.now();
    const stream = await openai.chat.completions.create({ model: 'gpt-4o', messages: user('x'), stream: true });
    const arrivals: number[] = [];
    for await (const c of stream) if (c.choices[0]?.delta.content) arrivals.push(Date.now() - started);
    expect(arrivals[0]).toBeGreaterThanOrEqual(35);
    expect(arrivals[2] - arrivals[0]).toBeGreaterThanOrEqual(50);
  });

  it('hangs until the client gives up, and counts the abort', async () => {
    upstream.next({ kind: 'hang' });
    const err = await openai.chat.completions.create({ model: 'gpt-4o', messages: user('x') }, { timeout: 150 }).catch((e) => e);
    expect(err).toBeInstanceOf(OpenAI.APIConnectionTimeoutError);
    await vi.waitFor(() => expect(upstream.aborted).toBe(1));
  });

  it('counts a client that aborts mid-stream', async () => {
    upstream.next({ kind: 'text', chunks: ['a', 'b', 'c', 'd'], delayMs: 50 });
    const stream = await anthropic.messages.create({ model: 'c', max_tokens: 8, messages: user('x'), stream: true });
    for await (const event of stream) if (event.type === 'content_block_delta') break; // break aborts the request
    await vi.waitFor(() => expect(upstream.aborted).toBe(1));
  });

  it('drops the connection before answering, or mid-stream', async () => {
    upstream.next({ kind: 'drop' }, { kind: 'drop', afterChunks: 2 });
    await expect(anthropic.messages.create({ model: 'c', max_tokens: 8, messages: user('x') })).rejects.toBeInstanceOf(Anthropic.APIConnectionError);
    const stream = await openai.chat.completions.create({ model: 'gpt-4o', messages: user('a b c d e'), stream: true });
    const { items } = await collectUntilError(stream);
    expect(items.filter((c) => c.choices[0]?.delta.content)).toHaveLength(2);
    expect(upstream.aborted).toBe(0);
  });
});

describe('queueing and recording', () => {
  it('plays queued scenarios first in first out, then the default', async () => {
    upstream.setDefault({ kind: 'text', text: 'default answer' });
    upstream.next({ kind: 'text', text: 'first' }, { kind: 'text', text: 'second' });
    const answers = [];
    for (let i = 0; i < 3; i++) answers.push((await openai.chat.completions.create({ model: 'gpt-4o', messages: user('x') })).choices[0].message.content);
    expect(answers).toEqual(['first', 'second', 'default answer']);
    upstream.reset();
    expect(upstream.requests).toHaveLength(0);
    expect((await openai.chat.completions.create({ model: 'gpt-4o', messages: user('back') })).choices[0].message.content).toBe('Echo: back');
  });
});

describe('fixtures replayed through the SDK stream helpers', () => {
  it('OpenAI chat with two parallel tool calls', async () => {
    upstream.next({ kind: 'raw', status: 200, headers: SSE, body: loadFixtureEvents('openai-chat-parallel-tools') });
    const final = await openai.chat.completions.stream({ model: 'gpt-4o', messages: user('weather in Paris and Tokyo') }).finalChatCompletion();
    const calls = final.choices[0].message.tool_calls!.map((c) => (c.type === 'function' ? [c.function.name, JSON.parse(c.function.arguments)] : []));
    expect(calls).toEqual([['get_weather', { city: 'Paris', unit: 'c' }], ['get_weather', { city: 'Tokyo', unit: 'c' }]]);
    expect(final.choices[0].finish_reason).toBe('tool_calls');
  });

  it('OpenAI chat with a refusal', async () => {
    upstream.next({ kind: 'raw', status: 200, headers: SSE, body: loadFixtureEvents('openai-chat-refusal') });
    const stream = openai.chat.completions.stream({ model: 'gpt-4o', messages: user('x') });
    const refusal: string[] = [];
    stream.on('refusal.delta', (e) => refusal.push(e.delta));
    const final = await stream.finalChatCompletion();
    expect(final.choices[0].message.refusal).toBe("I'm sorry, but I can't help with that request.");
    expect(refusal.length).toBe(12);
  });

  it('OpenAI Responses with reasoning summary and a web search', async () => {
    upstream.next({ kind: 'raw', status: 200, headers: SSE, body: loadFixtureEvents('openai-responses-reasoning-websearch') });
    const stream = openai.responses.stream({ model: 'gpt-5-mini', input: 'latest node lts?' });
    const summary: string[] = [];
    stream.on('response.reasoning_summary_text.delta', (e) => summary.push(e.delta));
    const final = await stream.finalResponse();
    expect(final.output.map((o) => o.type)).toEqual(['reasoning', 'web_search_call', 'message']);
    expect(summary.join('')).toContain('should search rather than rely on memory');
    expect(final.output_text).toMatch(/^The current Active LTS line is Node\.js 22/);
  });

  it('Anthropic with thinking and tool_use', async () => {
    upstream.next({ kind: 'raw', status: 200, headers: SSE, body: loadFixtureEvents('anthropic-thinking-tool-use') });
    const final = await anthropic.messages.stream({ model: 'claude-sonnet-4-5', max_tokens: 2048, messages: user('weather in Lisbon') }).finalMessage();
    expect(final.content.map((b) => b.type)).toEqual(['thinking', 'text', 'tool_use']);
    expect(final.content[0]).toMatchObject({ type: 'thinking', signature: expect.stringMatching(/^Eq/) });
    expect(final.content[2]).toMatchObject({ type: 'tool_use', input: { city: 'Lisbon', unit: 'celsius' } });
    expect(final.stop_reason).toBe('tool_use');
  });

  it('Anthropic ending in an overloaded_error', async () => {
    upstream.next({ kind: 'raw', status: 200, headers: SSE, body: loadFixture('anthropic-overloaded-error') });
    const stream = anthropic.messages.stream({ model: 'claude-haiku-4-5', max_tokens: 64, messages: user('summarise') });
    const text: string[] = [];
    stream.on('text', (t) => text.push(t));
    const error = await stream.finalMessage().catch((e) => e);
    expect(text.join('')).toBe('Here is a short summary of');
    expect(error).toBeInstanceOf(Anthropic.APIError);
    expect(error.type).toBe('overloaded_error');
  });
});
