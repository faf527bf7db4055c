// Approved OpenAI requests through Airlock: the openai SDK gets exactly what the upstream sent, streamed as it was sent.
import OpenAI from 'openai';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { anthropicHeaders, approved, askStandIn, collect, openaiHeaders, replay, replayedFixture, sdkEventsOf, send, startRig, UPSTREAM_KEY, user, withRig, type Rig } from './callers.js';

let rig: Rig;
let openai: OpenAI;

// Guardrails off: what is left is the gateway core, which must be a byte-exact pass-through (masking is tested in test/guard).
beforeAll(async () => {
  rig = await startRig({ config: { masking: false } });
  openai = rig.openai();
});
afterAll(() => rig.close());
beforeEach(() => rig.upstream.reset());

const rateLimitHeaders = (headers: Record<string, string>) => Object.fromEntries(Object.entries(headers).filter(([name]) => name.startsWith('x-ratelimit-')));

describe('chat completions', () => {
  it('returns the upstream completion object and its request-id and rate-limit headers unchanged', async () => {
    const body = { model: 'gpt-4o', messages: user('hello there') };
    const answer = await askStandIn(rig.upstream, '/v1/chat/completions', body);
    rig.upstream.reset();
    replay(rig.upstream, answer);

    const { result } = await approved(rig.gw, () => openai.chat.completions.create(body).withResponse());
    expect(result.data).toEqual(JSON.parse(answer.text));
    expect(result.response.status).toBe(200);
    expect(result.response.headers.get('x-request-id')).toBe(answer.headers['x-request-id']);
    const passed = Object.fromEntries([...result.response.headers].filter(([name]) => name.startsWith('x-ratelimit-')));
    expect(Object.keys(passed).length).toBeGreaterThanOrEqual(6);
    expect(passed).toEqual(rateLimitHeaders(answer.headers));
    expect(rig.upstream.requests).toHaveLength(1);
    expect(rig.upstream.requests[0]).toMatchObject({ method: 'POST', path: '/v1/chat/completions', body });
  });

  it('streams every chunk object the upstream sent, and the same bytes to a plain fetch', async () => {
    const body = { model: 'gpt-4o', messages: user('tell me a short story'), stream: true, stream_options: { include_usage: true } };
    const answer = await askStandIn(rig.upstream, '/v1/chat/completions', body);
    rig.upstream.reset();

    replay(rig.upstream, answer);
    const { result } = await approved(rig.gw, async () => {
      const { data, response } = await openai.chat.completions.create(body as OpenAI.ChatCompletionCreateParamsStreaming).withResponse();
      return { chunks: await collect(data), response };
    });
    expect(result.chunks).toEqual(sdkEventsOf(answer.text));
    expect(result.chunks.length).toBeGreaterThan(5);
    expect(result.response.headers.get('content-type')).toMatch(/^text\/event-stream/);
    expect(result.response.headers.get('x-request-id')).toBe(answer.headers['x-request-id']);

    replay(rig.upstream, answer);
    const raw = await approved(rig.gw, () => send(`${rig.gw.url}/v1/chat/completions`, { headers: openaiHeaders(rig.gw.callerKey), body: JSON.stringify(body) }));
    expect(raw.result.status).toBe(200);
    expect(raw.result.text).toBe(answer.text);
    expect(rateLimitHeaders(raw.result.headers)).toEqual(rateLimitHeaders(answer.headers));
  });

  it('relays each chunk as it comes: the first reaches the caller before the upstream has sent the last', async () => {
    const pieces = ['One ', 'chunk ', 'at ', 'a ', 'time.'];
    rig.upstream.next({ kind: 'text', chunks: pieces, delayMs: 120 });
    const { result: stream, request } = await approved(rig.gw, () => openai.chat.completions.create({ model: 'gpt-4o', messages: user('slowly'), stream: true }));
    const arrivals: { text: string; at: number }[] = [];
    for await (const chunk of stream) {
      const text = chunk.choices[0]?.delta.content;
      if (text) arrivals.push({ text, at: Date.now() });
    }
    expect(arrivals.map((a) => a.text)).toEqual(pieces);

    const session = await rig.gw.api.session((await rig.gw.api.waitForStatus(request.id, 'completed')).id);
    const upstreamChunks = session.timeline.filter((e) => e.type === 'chunk' && e.text);
    const lastFromUpstream = Date.parse(session.request.createdAt) + upstreamChunks.at(-1)!.t;
    expect(arrivals[0].at).toBeLessThan(lastFromUpstream);
    for (let i = 1; i < arrivals.length; i++) expect(arrivals[i].at).toBeGreaterThan(arrivals[i - 1].at);
  });
});

describe('Responses', () => {
  it('returns the upstream response object unchanged', async () => {
    const body = { model: 'gpt-4.1', input: 'What is Airlock?', instructions: 'Answer in one line.' };
    const answer = await askStandIn(rig.upstream, '/v1/responses', body);
    rig.upstream.reset();
    replay(rig.upstream, answer);
    const { result } = await approved(rig.gw, () => openai.responses.create(body).withResponse());
    expect(result.data).toMatchObject(JSON.parse(answer.text));
    expect(result.data.output_text).toBe('Echo: What is Airlock?');
    expect(result.response.headers.get('x-request-id')).toBe(answer.headers['x-request-id']);
  });

  it('streams every event the upstream sent, and the same bytes to a plain fetch', async () => {
    const body = { model: 'gpt-4.1', input: [{ role: 'user' as const, content: 'stream this please' }], stream: true as const };
    const answer = await askStandIn(rig.upstream, '/v1/responses', body);
    rig.upstream.reset();

    replay(rig.upstream, answer);
    const { result } = await approved(rig.gw, async () => collect(await openai.responses.create(body)));
    expect(result).toEqual(sdkEventsOf(answer.text));
    expect(result.at(-1)).toMatchObject({ type: 'response.completed' });

    replay(rig.upstream, answer);
    const raw = await approved(rig.gw, () => send(`${rig.gw.url}/v1/responses`, { headers: openaiHeaders(rig.gw.callerKey), body: JSON.stringify(body) }));
    expect(raw.result.text).toBe(answer.text);
  });
});

describe('embeddings and models', () => {
  it('passes embeddings in the SDK default base64 encoding, decoded by the SDK to the upstream vectors', async () => {
    const direct = new OpenAI({ baseURL: `${rig.upstream.url}/v1`, apiKey: UPSTREAM_KEY, maxRetries: 0 });
    const params = { model: 'text-embedding-3-small', input: ['first text', 'second text'], dimensions: 8 };
    const expected = await direct.embeddings.create(params);
    rig.upstream.reset();

    const { result } = await approved(rig.gw, () => openai.embeddings.create(params));
    expect(rig.upstream.requests).toHaveLength(1);
    expect(rig.upstream.requests[0].body).toMatchObject({ encoding_format: 'base64' });
    expect(result).toEqual(expected);
    expect(result.data[0].embedding).toHaveLength(8);
    expect(typeof result.data[0].embedding[0]).toBe('number');
  });

  it('lists models without review (the built-in rule) and records it', async () => {
    const direct = new OpenAI({ baseURL: `${rig.upstream.url}/v1`, apiKey: UPSTREAM_KEY, maxRetries: 0 });
    const expected = (await direct.models.list()).data;
    rig.upstream.reset();

    const models = await openai.models.list();
    expect(models.data).toEqual(expected);
    expect(rig.gw.gateway.pendingCount()).toBe(0);
    expect(rig.upstream.requests[0]).toMatchObject({ method: 'GET', path: '/v1/models' });
    const [record] = await rig.gw.api.list();
    const detail = await rig.gw.api.waitForStatus(record.id, 'completed');
    expect(detail.policy).toBe('builtin:list-models');
    expect(detail.decisions.filter((d) => d.reviewer !== null)).toEqual([]);
  });
});

describe('recorded streams replayed through Airlock reach the SDK unchanged', () => {
  it('chat with two parallel tool calls', async () => {
    const final = await replayedFixture(
      rig,
      'openai-chat-parallel-tools',
      () => openai.chat.completions.create({ model: 'gpt-4o', messages: user('weather in Paris and Tokyo'), stream: true }),
      () => openai.chat.completions.stream({ model: 'gpt-4o', messages: user('weather in Paris and Tokyo') }).finalChatCompletion(),
    );
    const calls = final.choices[0].message.tool_calls!.map((c) => (c.type === 'function' ? [c.function.name, JSON.parse(c.function.arguments)] : []));
    expect(calls).toEqual([
      ['get_weather', { city: 'Paris', unit: 'c' }],
      ['get_weather', { city: 'Tokyo', unit: 'c' }],
    ]);
  });

  it('chat with a refusal', async () => {
    const final = await replayedFixture(
      rig,
      'openai-chat-refusal',
      () => openai.chat.completions.create({ model: 'gpt-4o', messages: user('something bad'), stream: true }),
      () => openai.chat.completions.stream({ model: 'gpt-4o', messages: user('something bad') }).finalChatCompletion(),
    );
    expect(final.choices[0].message.refusal).toBe("I'm sorry, but I can't help with that request.");
  });

  it('Responses with a reasoning summary and a web search', async () => {
    const final = await replayedFixture(
      rig,
      'openai-responses-reasoning-websearch',
      () => openai.responses.create({ model: 'gpt-5-mini', input: 'latest node lts?', stream: true }),
      () => openai.responses.stream({ model: 'gpt-5-mini', input: 'latest node lts?' }).finalResponse(),
    );
    expect(final.output.map((o) => o.type)).toEqual(['reasoning', 'web_search_call', 'message']);
    expect(final.output_text).toMatch(/^The current Active LTS line is Node\.js 22/);
  });

  it('an in-stream error from the upstream reaches the SDK as an error after the text before it', async () => {
    rig.upstream.next({ kind: 'stream_error', afterChunks: 2, message: 'The server had an error mid-stream.' });
    const { result: stream, request } = await approved(rig.gw, () => openai.chat.completions.create({ model: 'gpt-4o', messages: user('one two three four five six'), stream: true }));
    const text: string[] = [];
    const error = await (async () => {
      for await (const chunk of stream) text.push(chunk.choices[0]?.delta.content ?? '');
    })().catch((e) => e);
    expect(error).toBeInstanceOf(OpenAI.APIError);
    expect(error.message).toContain('The server had an error mid-stream.');
    expect(text.join('')).toBe('Echo: one'); // the stand-in's deltas are 'Echo:', ' one', ...; it fails after two
    const record = await rig.gw.api.waitForStatus(request.id, 'failed');
    expect(record.error).toEqual({ code: 'upstream_error', message: 'The server had an error mid-stream.' });
  });
});

describe('with the default config (answer masking on)', () => {
  it('a stream with nothing to mask still assembles to the same answer in the SDK, and JSON answers are unchanged', async () => {
    await withRig({}, async (defaults) => {
      const body = { model: 'gpt-4o', messages: user('nothing secret in here at all'), stream: true as const };
      const answer = await askStandIn(defaults.upstream, '/v1/chat/completions', body);
      defaults.upstream.reset();
      replay(defaults.upstream, answer);
      const direct = sdkEventsOf(answer.text) as OpenAI.ChatCompletionChunk[];
      const { result: final } = await approved(defaults.gw, () => defaults.openai().chat.completions.stream(body).finalChatCompletion());
      expect(final.choices[0].message.content).toBe(direct.map((c) => c.choices[0]?.delta.content ?? '').join(''));
      expect(final.id).toBe(direct[0].id);

      const plain = { model: 'gpt-4o', messages: user('nothing secret here either') };
      const json = await askStandIn(defaults.upstream, '/v1/chat/completions', plain);
      defaults.upstream.reset();
      replay(defaults.upstream, json);
      const { result } = await approved(defaults.gw, () => defaults.openai().chat.completions.create(plain));
      expect(result).toEqual(JSON.parse(json.text));
    });
  });

  it('with nothing to mask, every stream reaches a plain fetch byte for byte (the hold-back only delays whole events)', async () => {
    await withRig({}, async (defaults) => {
      const cases = [
        { path: '/v1/chat/completions', body: { model: 'gpt-4o', messages: user('tell me a short story without secrets'), stream: true }, family: 'openai' as const },
        { path: '/v1/responses', body: { model: 'gpt-4.1', input: 'a story please, nothing secret', stream: true }, family: 'openai' as const },
        { path: '/v1/messages', body: { model: 'claude-sonnet-4-5', max_tokens: 200, messages: user('one more story'), stream: true }, family: 'anthropic' as const },
      ];
      for (const c of cases) {
        const answer = await askStandIn(defaults.upstream, c.path, c.body, c.family);
        defaults.upstream.reset();
        replay(defaults.upstream, answer);
        const headers = c.family === 'openai' ? openaiHeaders(defaults.gw.callerKey) : anthropicHeaders(defaults.gw.callerKey);
        const raw = await approved(defaults.gw, () => send(`${defaults.gw.url}${c.path}`, { headers, body: JSON.stringify(c.body) }));
        expect(raw.result.status).toBe(200);
        expect(raw.result.text).toBe(answer.text);
      }
    });
  });
});
