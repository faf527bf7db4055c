// Every error path a caller can meet: bad input, unknown routes, and an upstream that is gone, slow or failing.
import Anthropic from '@anthropic-ai/sdk';
import OpenAI from 'openai';
import net from 'node:net';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { startTestGateway, type TestGateway } from '../support/gateway.js';
import { anthropicHeaders, askStandIn, collectUntilError, openaiHeaders, replay, send, startRig, UPSTREAM_KEY, user, withRig, type Rig } from './callers.js';

const AUTO = { policies: [{ name: 'auto', match: { caller: 'test-app' }, action: 'approve' as const }] };
let rig: Rig;

beforeAll(async () => {
  rig = await startRig({ config: { ...AUTO, server: { bodyLimit: '1kb', upstreamTimeout: 300 } } });
});
afterAll(() => rig.close());
beforeEach(() => rig.upstream.reset());

const post = (path: string, headers: Record<string, string>, body: string) => send(`${rig.gw.url}${path}`, { headers, body });
const openaiError = (code: string | null, type = 'invalid_request_error', param: string | null = null) => ({ error: { message: expect.any(String), type, param, code } });
const anthropicError = (type: string) => ({ type: 'error', error: { type, message: expect.any(String) } });

/** The newest record, once it has settled. */
async function newestRecord(gw: TestGateway, status: 'failed' | 'completed') {
  const [summary] = await gw.api.list();
  return gw.api.waitForStatus(summary.id, status);
}

describe('bad input', () => {
  it('malformed JSON: 400 in the OpenAI shape and in the Anthropic shape', async () => {
    const chat = await post('/v1/chat/completions', openaiHeaders(rig.gw.callerKey), '{"model": "gpt-4o", "messages": [');
    expect(chat.status).toBe(400);
    expect(JSON.parse(chat.text)).toEqual(openaiError('invalid_json'));

    const messages = await post('/v1/messages', anthropicHeaders(rig.gw.callerKey), '{not json');
    expect(messages.status).toBe(400);
    expect(JSON.parse(messages.text)).toMatchObject(anthropicError('invalid_request_error'));
    expect(rig.upstream.requests).toHaveLength(0);
  });

  it('a body over the limit: 413, declared or streamed', async () => {
    const big = JSON.stringify({ model: 'gpt-4o', messages: user('x'.repeat(2000)) });
    const declared = await post('/v1/chat/completions', openaiHeaders(rig.gw.callerKey), big);
    expect(declared.status).toBe(413);
    expect(JSON.parse(declared.text)).toEqual(openaiError('body_too_large'));

    const chunks = [big.slice(0, 600), big.slice(600)];
    const streamed = await fetch(`${rig.gw.url}/v1/messages`, {
      method: 'POST',
      headers: anthropicHeaders(rig.gw.callerKey),
      body: new ReadableStream({ pull: (c) => (chunks.length ? c.enqueue(new TextEncoder().encode(chunks.shift()!)) : c.close()) }),
      duplex: 'half',
    } as RequestInit);
    expect(streamed.status).toBe(413);
    expect(await streamed.json()).toMatchObject(anthropicError('request_too_large'));

    const error = await rig.openai().chat.completions.create({ model: 'gpt-4o', messages: user('y'.repeat(2000)) }).catch((e) => e);
    expect(error).toBeInstanceOf(OpenAI.APIError);
    expect(error.status).toBe(413);
    expect(rig.upstream.requests).toHaveLength(0);
  });

  it('a message that is not an object with a string role: 400 naming it, never a crash', async () => {
    for (const messages of [[null], [{ role: { toString: 1 }, content: 'x' }], ['just a string']]) {
      const bad = await post('/v1/chat/completions', openaiHeaders(rig.gw.callerKey), JSON.stringify({ model: 'gpt-4o', messages }));
      expect(bad.status).toBe(400);
      expect(JSON.parse(bad.text).error).toMatchObject({ type: 'invalid_request_error', param: 'messages[0].role' });
    }
    const anthropic = await rig.anthropic().messages.create({ model: 'claude-haiku-4-5', max_tokens: 8, messages: [{ role: 7, content: 'x' }] } as never).catch((e) => e);
    expect(anthropic).toBeInstanceOf(Anthropic.BadRequestError);
    expect(rig.upstream.requests).toHaveLength(0);
    const health = await fetch(`${rig.gw.url}/healthz`);
    expect(health.status).toBe(200);
  });

  it('a missing model or messages: 400 naming the parameter', async () => {
    const openai = rig.openai();
    const noModel = await openai.chat.completions.create({ messages: user('hi') } as never).catch((e) => e);
    expect(noModel).toBeInstanceOf(OpenAI.BadRequestError);
    expect(noModel.param).toBe('model');
    expect(noModel.message).toContain('model');

    const noMessages = await post('/v1/chat/completions', openaiHeaders(rig.gw.callerKey), JSON.stringify({ model: 'gpt-4o' }));
    expect(noMessages.status).toBe(400);
    expect(JSON.parse(noMessages.text)).toEqual(openaiError(null, 'invalid_request_error', 'messages'));
    expect(JSON.parse(noMessages.text).error.message).toContain("'messages'");

    const noInput = await openai.responses.create({ model: 'gpt-4.1' } as never).catch((e) => e);
    expect(noInput).toBeInstanceOf(OpenAI.BadRequestError);
    expect(noInput.param).toBe('input');

    const anthropic = await rig.anthropic().messages.create({ model: 'claude-haiku-4-5', max_tokens: 8 } as never).catch((e) => e);
    expect(anthropic).toBeInstanceOf(Anthropic.BadRequestError);
    expect(anthropic.type).toBe('invalid_request_error');
    expect(anthropic.message).toContain('messages');
    const noMaxTokens = await rig.anthropic().messages.create({ model: 'claude-haiku-4-5', messages: user('hi') } as never).catch((e) => e);
    expect(noMaxTokens).toBeInstanceOf(Anthropic.BadRequestError);
    expect(noMaxTokens.error).toMatchObject({ type: 'error', error: { type: 'invalid_request_error', message: 'max_tokens: Field required' } });
    expect(rig.upstream.requests).toHaveLength(0);
  });

  it('an unknown /v1 path: 404 in the OpenAI shape, or the Anthropic one for an Anthropic client or path; nothing forwarded', async () => {
    const files = await rig.openai().files.list().catch((e) => e);
    expect(files).toBeInstanceOf(OpenAI.NotFoundError);
    const raw = await send(`${rig.gw.url}/v1/files`, { headers: openaiHeaders(rig.gw.callerKey) });
    expect(raw.status).toBe(404);
    expect(JSON.parse(raw.text)).toEqual(openaiError('unknown_url'));

    const countTokens = await rig.anthropic().messages.countTokens({ model: 'claude-haiku-4-5', messages: user('hi') }).catch((e) => e);
    expect(countTokens).toBeInstanceOf(Anthropic.NotFoundError);
    expect(countTokens.type).toBe('not_found_error');
    const rawAnthropic = await post('/v1/messages/batches', anthropicHeaders(rig.gw.callerKey), '{}');
    expect(rawAnthropic.status).toBe(404);
    expect(JSON.parse(rawAnthropic.text)).toMatchObject(anthropicError('not_found_error'));
    // An Anthropic path is answered in Anthropic's shape even from a client that sends no anthropic-version.
    const bare = await post('/v1/messages/batches', { authorization: `Bearer ${rig.gw.callerKey}`, 'content-type': 'application/json' }, '{}');
    expect(bare.status).toBe(404);
    expect(JSON.parse(bare.text)).toMatchObject(anthropicError('not_found_error'));
    expect(rig.upstream.requests).toHaveLength(0);
  });
});

describe('the upstream fails', () => {
  it('unreachable: 502 in the route shape, recorded as failed', async () => {
    const closedPort = await new Promise<number>((resolve) => {
      const server = net.createServer().listen(0, '127.0.0.1', () => {
        const { port } = server.address() as net.AddressInfo;
        server.close(() => resolve(port));
      });
    });
    const gw = await startTestGateway({ upstreamUrl: `http://127.0.0.1:${closedPort}`, env: { AIRLOCK_UPSTREAM_KEY: UPSTREAM_KEY }, config: AUTO });
    try {
      const error = await new OpenAI({ baseURL: `${gw.url}/v1`, apiKey: gw.callerKey, maxRetries: 0 }).chat.completions.create({ model: 'gpt-4o', messages: user('anyone?') }).catch((e) => e);
      expect(error).toBeInstanceOf(OpenAI.InternalServerError);
      expect(error.status).toBe(502);
      expect(error.error).toEqual(openaiError('upstream_unreachable', 'server_error').error);
      expect((await newestRecord(gw, 'failed')).error).toMatchObject({ code: 'upstream_unreachable' });

      const anthropic = await send(`${gw.url}/v1/messages`, { headers: anthropicHeaders(gw.callerKey), body: JSON.stringify({ model: 'claude-haiku-4-5', max_tokens: 8, messages: user('hi') }) });
      expect(anthropic.status).toBe(502);
      expect(JSON.parse(anthropic.text)).toMatchObject(anthropicError('api_error'));
      expect(await newestRecord(gw, 'failed')).toMatchObject({ status: 'failed' });
    } finally {
      await gw.stop();
    }
  });

  it('no answer within upstreamTimeout: 504, the upstream call abandoned, recorded as failed', async () => {
    rig.upstream.next({ kind: 'hang' });
    const error = await rig.openai().chat.completions.create({ model: 'gpt-4o', messages: user('hello?') }).catch((e) => e);
    expect(error).toBeInstanceOf(OpenAI.InternalServerError);
    expect(error.status).toBe(504);
    expect(error.code).toBe('upstream_timeout');
    expect((await newestRecord(rig.gw, 'failed')).error).toMatchObject({ code: 'upstream_timeout' });
    await rig.gw.api.waitFor(async () => (rig.upstream.aborted === 1 ? true : undefined), 2000, 'the upstream to see the call dropped');

    rig.upstream.next({ kind: 'hang' });
    const anthropic = await rig.anthropic().messages.create({ model: 'claude-haiku-4-5', max_tokens: 8, messages: user('hello?') }).catch((e) => e);
    expect(anthropic.status).toBe(504);
    expect(anthropic.type).toBe('timeout_error');
  });

  const failures = [
    { family: 'openai' as const, path: '/v1/chat/completions', status: 500, body: { model: 'gpt-4o', messages: user('x') } },
    { family: 'openai' as const, path: '/v1/chat/completions', status: 429, body: { model: 'gpt-4o', messages: user('x') } },
    { family: 'openai' as const, path: '/v1/responses', status: 400, body: { model: 'gpt-4.1', input: 'x' } },
    { family: 'anthropic' as const, path: '/v1/messages', status: 529, body: { model: 'claude-haiku-4-5', max_tokens: 8, messages: user('x') } },
    { family: 'anthropic' as const, path: '/v1/messages', status: 429, body: { model: 'claude-haiku-4-5', max_tokens: 8, messages: user('x'), stream: true } },
  ];
  for (const f of failures) {
    it(`an upstream ${f.status} on ${f.path}${'stream' in f.body ? ' (stream)' : ''} passes through with its status, headers and body, recorded as failed`, async () => {
      rig.upstream.next({ kind: 'error', status: f.status });
      const answer = await askStandIn(rig.upstream, f.path, f.body, f.family);
      expect(answer.status).toBe(f.status);
      rig.upstream.reset();
      replay(rig.upstream, answer);

      const through = await post(f.path, f.family === 'openai' ? openaiHeaders(rig.gw.callerKey) : anthropicHeaders(rig.gw.callerKey), JSON.stringify(f.body));
      expect(through.status).toBe(f.status);
      expect(through.text).toBe(answer.text);
      for (const name of ['x-request-id', 'request-id', 'retry-after', 'x-should-retry', 'x-ratelimit-remaining-requests']) {
        expect(through.headers[name], name).toBe(answer.headers[name]);
      }
      const record = await newestRecord(rig.gw, 'failed');
      expect(record.response?.status).toBe(f.status);
    });
  }

  it('the upstream drops the connection mid-stream: the text before the cut reaches the SDK (masking on), then the error', async () => {
    const prompt = user('one two three four five six'); // the stand-in's deltas: 'Echo:', ' one', …; it drops after two
    rig.upstream.next({ kind: 'drop', afterChunks: 2 });
    const chat = await collectUntilError(await rig.openai().chat.completions.create({ model: 'gpt-4o', messages: prompt, stream: true }));
    expect(chat.items.map((c) => c.choices[0]?.delta.content ?? '').join('')).toBe('Echo: one');
    expect(chat.error.message).toContain('could not be reached');

    rig.upstream.next({ kind: 'drop', afterChunks: 2 });
    const responses = await collectUntilError(await rig.openai().responses.create({ model: 'gpt-4.1', input: 'one two three four five six', stream: true }));
    expect(responses.items.flatMap((e) => (e.type === 'response.output_text.delta' ? [e.delta] : [])).join('')).toBe('Echo: one');

    rig.upstream.next({ kind: 'drop', afterChunks: 2 });
    const messages = await collectUntilError(await rig.anthropic().messages.create({ model: 'claude-haiku-4-5', max_tokens: 64, messages: prompt, stream: true }));
    expect(messages.items.flatMap((e) => (e.type === 'content_block_delta' && e.delta.type === 'text_delta' ? [e.delta.text] : [])).join('')).toBe('Echo: one');
    const record = await newestRecord(rig.gw, 'failed');
    expect(record.error).toMatchObject({ code: 'upstream_unreachable' });
  });

  it("the connection breaks right after the answer's last event: the answer is whole, delivered and recorded as completed", async () => {
    const answer = await askStandIn(rig.upstream, '/v1/chat/completions', { model: 'gpt-4o', messages: user('one two'), stream: true });
    rig.upstream.reset();
    rig.upstream.next({ kind: 'raw', status: 200, headers: { 'content-type': 'text/event-stream' }, body: answer.text.split(/(?<=\n\n)/), cutAtEnd: true });
    const through = await post('/v1/chat/completions', openaiHeaders(rig.gw.callerKey), JSON.stringify({ model: 'gpt-4o', messages: user('one two'), stream: true }));
    expect(through.status).toBe(200);
    expect(through.text).toBe(answer.text);
    expect((await newestRecord(rig.gw, 'completed')).status).toBe('completed');
  });

  it('an upstream error body quoting the upstream key: the key never reaches the caller or the record, masking on or off', async () => {
    const quoting = { error: { message: `Incorrect API key provided: Bearer ${UPSTREAM_KEY}. You can find your API key at https://platform.openai.com/account/api-keys.`, type: 'invalid_request_error', param: null, code: 'invalid_api_key' } };
    const headers = { 'content-type': 'application/json', 'x-request-id': 'req_quoting' };
    for (const config of [{ ...AUTO }, { ...AUTO, masking: false as const }]) {
      await withRig({ config }, async (r) => {
        r.upstream.next({ kind: 'raw', status: 401, headers, body: JSON.stringify(quoting) });
        const error = await r.openai().chat.completions.create({ model: 'gpt-4o', messages: user('x') }).catch((e) => e);
        expect(error).toBeInstanceOf(OpenAI.AuthenticationError);
        expect(error.message).toContain('Incorrect API key provided: Bearer [SECRET:upstream-key].');
        expect(JSON.stringify(error.error)).not.toContain(UPSTREAM_KEY);
        const [summary] = await r.gw.api.list();
        const record = await r.gw.api.waitForStatus(summary.id, 'failed');
        expect(JSON.stringify(await r.gw.api.session(summary.id))).not.toContain(UPSTREAM_KEY);
        expect(record.error?.message).toContain('[SECRET:upstream-key]');
      });
    }
  });

  it('the SDKs raise upstream errors with the upstream status and message', async () => {
    rig.upstream.next({ kind: 'error', status: 429, message: 'Slow down, friend.' });
    const openai = await rig.openai().chat.completions.create({ model: 'gpt-4o', messages: user('x') }).catch((e) => e);
    expect(openai).toBeInstanceOf(OpenAI.RateLimitError);
    expect(openai.message).toContain('Slow down, friend.');

    rig.upstream.next({ kind: 'error', status: 529 });
    const anthropic = await rig.anthropic().messages.create({ model: 'claude-haiku-4-5', max_tokens: 8, messages: user('x') }).catch((e) => e);
    expect(anthropic.status).toBe(529);
    expect(anthropic.type).toBe('overloaded_error');
  });
});
