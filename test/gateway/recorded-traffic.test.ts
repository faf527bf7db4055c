// Real OpenAI and Anthropic traffic recorded by other projects (test/support/fixtures/SOURCES.md), replayed through Airlock with
// its default guardrails: status, content type and bytes arrive unchanged however cut, the SDKs read them, the session is on record.
import Anthropic from '@anthropic-ai/sdk';
import OpenAI from 'openai';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { RequestStatus, SessionRecord } from '../../gateway/api/types.js';
import { loadFixture } from '../support/upstream.js';
import { anthropicHeaders, collectUntilError, openaiHeaders, send, startRig, user, type Exchange, type Rig } from './callers.js';

const AUTO = { policies: [{ name: 'all', action: 'approve' as const }] };
const SSE_TYPE = 'text/event-stream; charset=utf-8';
const JSON_TYPE = 'application/json';
const RECORDED_ID = 'req_011CRecordedTrafficReplay';

type Route = '/v1/chat/completions' | '/v1/responses' | '/v1/messages';

/** One recording and what reading it must give. */
interface Recording {
  file: string;
  route: Route;
  /** The status and content type it was recorded with. */
  status: number;
  contentType: string;
  /** Reads the answer with the official SDK through the gateway; throws if the SDK cannot. */
  read(rig: Rig): Promise<void>;
  /** The session's status once the exchange is over (failed too for a stream the upstream ended with an error event). */
  session: RequestStatus;
}

const chat = { model: 'gpt-4o', messages: user('recorded') };
const responses = { model: 'gpt-5', input: 'recorded' };
const messages = { model: 'claude-haiku-4-5', max_tokens: 1024, messages: user('recorded') };

/** A stream recorded with status 200; its session completes unless the upstream ended it with an error event. */
function stream(file: string, route: Route, read: Recording['read'], session: RequestStatus = 'completed'): Recording {
  return { file, route, status: 200, contentType: SSE_TYPE, session, read };
}

/** A JSON answer recorded with `status`; its session completes for a 200 and fails for an error. */
function json(file: string, route: Route, read: Recording['read'], status = 200): Recording {
  return { file, route, status, contentType: JSON_TYPE, session: status === 200 ? 'completed' : 'failed', read };
}

const RECORDINGS: Recording[] = [
  // OpenAI Chat Completions
  stream('openai-chat-parallel-tool-calls.sse', '/v1/chat/completions', async (rig) => {
    const final = await rig.openai().chat.completions.stream(chat).finalChatCompletion();
    const calls = final.choices[0].message.tool_calls!.map((c) => (c.type === 'function' ? [c.function.name, JSON.parse(c.function.arguments)] : []));
    expect(calls).toEqual([
      ['GetWeatherArgs', { city: 'Edinburgh', country: 'UK', units: 'c' }],
      ['get_stock_price', { ticker: 'AAPL', exchange: 'NASDAQ' }],
    ]);
    expect(final.usage).toMatchObject({ prompt_tokens: 149, completion_tokens: 60 });
  }),
  stream('openai-chat-logprobs.sse', '/v1/chat/completions', async (rig) => {
    const final = await rig.openai().chat.completions.stream({ ...chat, logprobs: true }).finalChatCompletion();
    expect(final.choices[0].message.content).toBe('Foo.');
    expect(final.choices[0].logprobs!.content!.map((l) => l.token)).toEqual(['Foo', '.']);
  }),
  stream('openai-chat-refusal-logprobs.sse', '/v1/chat/completions', async (rig) => {
    const final = await rig.openai().chat.completions.stream({ ...chat, logprobs: true }).finalChatCompletion();
    expect(final.choices[0].message.refusal).toBe("I'm sorry, I cannot assist with that request.");
    expect(final.choices[0].logprobs!.refusal).toHaveLength(10);
  }),
  json('openai-chat-completion.json', '/v1/chat/completions', async (rig) => {
    const completion = await rig.openai().chat.completions.create(chat);
    expect(completion.choices[0].message.content).toContain('illuminate vast darkness\u2014mirroring');
    expect(completion.usage!.completion_tokens).toBe(363);
  }),
  json('openai-error-400-unsupported-parameter.json', '/v1/chat/completions', async (rig) => {
    const error = await rig.openai().chat.completions.create(chat).catch((e) => e);
    expect(error).toBeInstanceOf(OpenAI.BadRequestError);
    expect(error).toMatchObject({ status: 400, param: 'max_tokens', code: 'unsupported_parameter' });
  }, 400),
  json('openai-error-401-invalid-api-key.json', '/v1/chat/completions', async (rig) => {
    const error = await rig.openai().chat.completions.create(chat).catch((e) => e);
    expect(error).toBeInstanceOf(OpenAI.AuthenticationError);
    expect(error).toMatchObject({ status: 401, code: 'invalid_api_key' });
  }, 401),
  json('openai-error-429-insufficient-quota.json', '/v1/chat/completions', async (rig) => {
    const error = await rig.openai().chat.completions.create(chat).catch((e) => e);
    expect(error).toBeInstanceOf(OpenAI.RateLimitError);
    expect(error).toMatchObject({ status: 429, code: 'insufficient_quota', type: 'insufficient_quota' });
  }, 429),
  // OpenAI Responses
  stream('openai-responses-web-search-annotations.sse', '/v1/responses', async (rig) => {
    const final = await rig.openai().responses.stream(responses).finalResponse();
    expect(final.output.map((o) => o.type)).toEqual([...Array(4).fill(['reasoning', 'web_search_call']).flat(), 'reasoning', 'message']);
    expect(final.output_text).toMatch(/^Here’s what’s notable in Berlin today/);
    const message = final.output.at(-1) as OpenAI.Responses.ResponseOutputMessage;
    expect((message.content[0] as OpenAI.Responses.ResponseOutputText).annotations).toHaveLength(6);
  }),
  stream('openai-responses-function-call.sse', '/v1/responses', async (rig) => {
    const final = await rig.openai().responses.stream(responses).finalResponse();
    expect(final.output).toEqual([expect.objectContaining({ type: 'function_call', name: 'get_weather', arguments: '{"city":"Beijing"}' })]);
  }),
  stream('openai-responses-error-event.sse', '/v1/responses', async (rig) => {
    const error = await rig.openai().responses.stream(responses).finalResponse().catch((e) => e);
    expect(error).toBeInstanceOf(OpenAI.APIError);
    expect(error.message).toContain('You exceeded your current quota');
  }, 'failed'),
  // Anthropic Messages
  stream('anthropic-web-search-citations.sse', '/v1/messages', async (rig) => {
    const final = await rig.anthropic().messages.stream(messages).finalMessage();
    const types = final.content.map((b) => b.type);
    expect(types.slice(0, 6)).toEqual(['thinking', 'server_tool_use', 'web_search_tool_result', 'text', 'server_tool_use', 'web_search_tool_result']);
    expect(final.content[0]).toMatchObject({ type: 'thinking', signature: expect.stringMatching(/^Er8ECkYI/) });
    expect(final.content[1]).toMatchObject({ type: 'server_tool_use', input: { query: 'San Francisco weather today' } });
    const cited = final.content.filter((b): b is Anthropic.TextBlock => b.type === 'text' && (b.citations?.length ?? 0) > 0);
    expect(cited.map((b) => b.citations!.length)).toEqual([1, 2, 2, 1, 1]);
    expect(final.usage.server_tool_use?.web_search_requests).toBe(2);
  }),
  stream('anthropic-redacted-thinking.sse', '/v1/messages', async (rig) => {
    const final = await rig.anthropic().messages.stream(messages).finalMessage();
    expect(final.content.map((b) => b.type)).toEqual(['redacted_thinking', 'redacted_thinking', 'text']);
    expect((final.content[2] as Anthropic.TextBlock).text).toMatch(/^I notice that you've sent what appears to be some kind of test string/);
  }),
  stream('anthropic-tool-use.sse', '/v1/messages', async (rig) => {
    const final = await rig.anthropic().messages.stream(messages).finalMessage();
    expect(final.content).toEqual([expect.objectContaining({ type: 'tool_use', name: 'json', input: { elements: [{ location: 'San Francisco', temperature: 58, condition: 'sunny' }] } })]);
    expect(final.stop_reason).toBe('tool_use');
  }),
  stream('anthropic-stream-overloaded-error.sse', '/v1/messages', async (rig) => {
    const error = await rig.anthropic().messages.stream(messages).finalMessage().catch((e) => e);
    expect(error).toBeInstanceOf(Anthropic.APIError);
    expect(error.type).toBe('overloaded_error');
  }, 'failed'),
  stream('anthropic-stream-api-error-tail.sse', '/v1/messages', async (rig) => {
    // The recording starts mid-stream, so the stream helper would refuse its event order; the plain stream reads it.
    const { items, error } = await collectUntilError(await rig.anthropic().messages.create({ ...messages, stream: true }));
    expect(items.map((e) => (e.type === 'content_block_delta' && e.delta.type === 'text_delta' ? e.delta.text : e.type))).toEqual(['d with a replacement character', ' (']);
    expect(error).toBeInstanceOf(Anthropic.APIError);
    expect(error.message).toContain('Internal server error');
  }, 'failed'),
  json('anthropic-message-web-fetch.json', '/v1/messages', async (rig) => {
    const message = await rig.anthropic().messages.create(messages);
    expect(message.content.map((b) => b.type)).toEqual(['text', 'server_tool_use', 'web_fetch_tool_result', 'text']);
  }),
  json('anthropic-error-400-invalid-request.json', '/v1/messages', async (rig) => {
    const error = await rig.anthropic().messages.create(messages).catch((e) => e);
    expect(error).toBeInstanceOf(Anthropic.BadRequestError);
    expect(error).toMatchObject({ status: 400, type: 'invalid_request_error', error: { request_id: 'req_011Cd65WVh8Zrvno3NunpJ73' } });
  }, 400),
];

// ---------------------------------------------------------------------------------------------
// Replaying a recording from the stand-in

type Cut = 'event' | 'awkward';

const isStream = (r: Recording) => r.contentType.startsWith('text/event-stream');

/** One SSE event per write. */
function byEvent(text: string): string[] {
  return text.split(/(?<=\n\n)/);
}

/**
 * The recording cut where framing breaks if a reader assumes whole lines or characters: inside every multi-byte
 * character, between the two newlines that end an event, four bytes into every event ("even|t:", "data|:"), and every
 * 61 bytes.
 */
function awkwardly(text: string): Buffer[] {
  const bytes = Buffer.from(text, 'utf8');
  const cuts = new Set<number>();
  for (let i = 1; i < bytes.length; i++) {
    if ((bytes[i] & 0xc0) === 0x80) cuts.add(i);
    if (bytes[i - 1] === 0x0a && bytes[i] === 0x0a) {
      cuts.add(i);
      if (i + 5 < bytes.length) cuts.add(i + 5);
    }
    if (i % 61 === 0) cuts.add(i);
  }
  const at = [0, ...[...cuts].sort((a, b) => a - b), bytes.length];
  return at.slice(1).map((end, i) => bytes.subarray(at[i], end));
}

/** Queues the recording (or `text` in its place) on the stand-in, with request-id headers to follow; returns what it sends. */
function replay(r: Recording, cut: Cut, text = loadFixture(r.file)): string {
  const body = cut === 'awkward' ? awkwardly(text) : isStream(r) ? byEvent(text) : [text];
  const headers = { 'content-type': r.contentType, 'x-request-id': RECORDED_ID, 'request-id': RECORDED_ID };
  rig.upstream.next({ kind: 'raw', status: r.status, headers, body });
  return text;
}

/** A plain fetch caller's request on the recording's route, streamed when the recording is a stream. */
function ask(r: Recording): Promise<Exchange> {
  const anthropic = r.route === '/v1/messages';
  const body = anthropic ? messages : r.route === '/v1/responses' ? responses : chat;
  const headers = anthropic ? anthropicHeaders(rig.gw.callerKey) : openaiHeaders(rig.gw.callerKey);
  return send(`${rig.gw.url}${r.route}`, { headers, body: JSON.stringify({ ...body, stream: isStream(r) }) });
}

const TERMINAL: RequestStatus[] = ['completed', 'failed', 'cancelled', 'interrupted', 'rejected'];

/** The session of request `id` (the newest one when not given), once it has settled. */
async function settled(id?: string): Promise<SessionRecord> {
  const which = id ?? (await rig.gw.api.list())[0].id;
  await rig.gw.api.waitForStatus(which, TERMINAL);
  return rig.gw.api.session(which);
}

const chunks = (session: SessionRecord) => session.timeline.filter((e) => e.type === 'chunk');
/** The bytes the session says the caller was sent, and how many upstream reads they came in. */
const sentBytes = (session: SessionRecord) => chunks(session).map((e) => e.raw ?? '').join('');
const reads = (session: SessionRecord) => chunks(session).length;

let rig: Rig;

beforeAll(async () => {
  rig = await startRig({ config: AUTO });
});
afterAll(() => rig.close());
beforeEach(() => rig.upstream.reset());

describe.each(RECORDINGS)('$file', (r) => {
  it.each<Cut>(['event', 'awkward'])('reaches a plain caller byte for byte, and is on record (written cut by %s)', async (cut) => {
    const sent = replay(r, cut);
    const got = await ask(r);
    expect(got.status).toBe(r.status);
    expect(got.headers['content-type']).toBe(r.contentType);
    expect([got.headers['x-request-id'], got.headers['request-id']]).toEqual([RECORDED_ID, RECORDED_ID]);
    expect(got.text).toBe(sent);

    const session = await settled(got.headers['x-airlock-request-id']);
    expect(session.request.status).toBe(r.session);
    expect(session.request.response?.status).toBe(r.status);
    if (!isStream(r)) return;
    expect(sentBytes(session)).toBe(sent);
    // The gateway read the cut bytes as cut: more reads than events means some ended inside an event.
    if (cut === 'awkward') expect(reads(session)).toBeGreaterThan(byEvent(sent).length);
  });

  it('is read by the official SDK', async () => {
    replay(r, 'event');
    await r.read(rig);
    expect((await settled()).request.status).toBe(r.session);
  });
});

describe('with answer masking on, as by default', () => {
  it('masks a key planted in a recorded delta, so the checks above ran with the guardrail live', async () => {
    const key = 'sk-proj-Q2x7Lm9Vt4Rb8Nc1Wd6Hs3Kf';
    const r = RECORDINGS.find((x) => x.file === 'openai-chat-logprobs.sse')!;
    replay(r, 'event', loadFixture(r.file).replace('"content":"Foo"', `"content":"${key}"`));
    const got = await ask(r);
    expect(got.text).not.toContain(key);
    expect(got.text).toContain('[SECRET:openai]');
  });
});

// The caller gets such a stream as it came (its SDK raises the error); the record says the session failed, and why.
describe('streams the upstream ended with an error event', () => {
  const ERRORS: [file: string, message: string][] = [
    ['anthropic-stream-overloaded-error.sse', 'Overloaded'],
    ['anthropic-stream-api-error-tail.sse', 'Internal server error'],
    ['openai-responses-error-event.sse', 'You exceeded your current quota'],
  ];
  it.each(ERRORS)('%s is recorded as failed, with the upstream error', async (file, message) => {
    const r = RECORDINGS.find((x) => x.file === file)!;
    replay(r, 'event');
    const got = await ask(r);
    const session = await settled(got.headers['x-airlock-request-id']);
    expect(session.request.status).toBe('failed');
    expect(session.request.error?.message).toContain(message);
  });
});
