// Approved Anthropic Messages requests through Airlock: the @anthropic-ai/sdk client gets exactly what the upstream sent.
import Anthropic from '@anthropic-ai/sdk';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { loadFixture } from '../support/upstream.js';
import { anthropicHeaders, approved, askStandIn, collect, replay, replayedFixture, sdkEventsOf, send, SSE, startRig, UPSTREAM_KEY, user, type Rig } from './callers.js';

let rig: Rig;
let anthropic: Anthropic;

// Guardrails off: what is left is the gateway core, which must be a byte-exact pass-through (masking is tested in test/guard).
beforeAll(async () => {
  rig = await startRig({ config: { masking: false } });
  anthropic = rig.anthropic();
});
afterAll(() => rig.close());
beforeEach(() => rig.upstream.reset());

const anthropicRateLimits = (entries: Iterable<[string, string]>) => Object.fromEntries([...entries].filter(([name]) => name.startsWith('anthropic-ratelimit-')));

describe('messages', () => {
  it('returns the upstream message unchanged, with its request-id and rate-limit headers', async () => {
    const body = { model: 'claude-opus-5-5', max_tokens: 256, system: 'Be brief.', messages: user('hello from the sdk') };
    const answer = await askStandIn(rig.upstream, '/v1/messages', body, 'anthropic');
    rig.upstream.reset();
    replay(rig.upstream, answer);

    const { result } = await approved(rig.gw, () => anthropic.messages.create(body).withResponse());
    expect(result.data).toEqual(JSON.parse(answer.text));
    expect(result.response.headers.get('request-id')).toBe(answer.headers['request-id']);
    const passed = anthropicRateLimits(result.response.headers);
    expect(Object.keys(passed).length).toBeGreaterThanOrEqual(9);
    expect(passed).toEqual(anthropicRateLimits(Object.entries(answer.headers)));
    expect(rig.upstream.requests).toHaveLength(1);
    expect(rig.upstream.requests[0]).toMatchObject({ method: 'POST', path: '/v1/messages', body });
    expect(rig.upstream.requests[0].headers['anthropic-version']).toBeTruthy();
  });

  it('streams every event the upstream sent, and the same bytes to a plain fetch', async () => {
    const body = { model: 'claude-haiku-4-5', max_tokens: 256, messages: user('stream a few words to me'), stream: true as const };
    const answer = await askStandIn(rig.upstream, '/v1/messages', body, 'anthropic');
    rig.upstream.reset();

    replay(rig.upstream, answer);
    const { result } = await approved(rig.gw, async () => {
      const { data, response } = await anthropic.messages.create(body).withResponse();
      return { events: await collect(data), response };
    });
    expect(result.events).toEqual(sdkEventsOf(answer.text));
    expect(result.events.map((e) => e.type)).toContain('content_block_delta');
    expect(result.response.headers.get('request-id')).toBe(answer.headers['request-id']);

    replay(rig.upstream, answer);
    const raw = await approved(rig.gw, () => send(`${rig.gw.url}/v1/messages`, { headers: anthropicHeaders(rig.gw.callerKey), body: JSON.stringify(body) }));
    expect(raw.result.status).toBe(200);
    expect(raw.result.headers['content-type']).toMatch(/^text\/event-stream/);
    expect(raw.result.text).toBe(answer.text);
  });

  it('relays text deltas as they come: the first reaches the caller before the upstream has sent the last', async () => {
    const pieces = ['Slow ', 'and ', 'steady ', 'wins.'];
    rig.upstream.next({ kind: 'text', chunks: pieces, delayMs: 120 });
    const arrivals: { text: string; at: number }[] = [];
    const { result: final, request } = await approved(rig.gw, () => {
      const stream = anthropic.messages.stream({ model: 'claude-haiku-4-5', max_tokens: 64, messages: user('slowly') });
      stream.on('text', (text) => arrivals.push({ text, at: Date.now() }));
      return stream.finalMessage();
    });
    expect(arrivals.map((a) => a.text)).toEqual(pieces);
    expect(final.content).toEqual([{ type: 'text', text: pieces.join('') }]);

    const session = await rig.gw.api.session((await rig.gw.api.waitForStatus(request.id, 'completed')).id);
    const upstreamChunks = session.timeline.filter((e) => e.type === 'chunk' && e.text);
    expect(arrivals[0].at).toBeLessThan(Date.parse(session.request.createdAt) + upstreamChunks.at(-1)!.t);
  });
});

describe('recorded streams replayed through Airlock reach the SDK unchanged', () => {
  it('thinking, text and a tool_use block', async () => {
    const final = await replayedFixture(
      rig,
      'anthropic-thinking-tool-use',
      () => anthropic.messages.create({ model: 'claude-opus-5-5', max_tokens: 2048, messages: user('weather in Lisbon'), stream: true }),
      () => anthropic.messages.stream({ model: 'claude-opus-5-5', max_tokens: 2048, messages: user('weather in Lisbon') }).finalMessage(),
    );
    expect(final.content.map((b) => b.type)).toEqual(['thinking', 'text', 'tool_use']);
    expect(final.content[2]).toMatchObject({ type: 'tool_use', input: { city: 'Lisbon', unit: 'celsius' } });
  });

  it('an overloaded_error in the stream reaches the SDK after the text before it', async () => {
    rig.upstream.next({ kind: 'raw', status: 200, headers: SSE, body: loadFixture('anthropic-overloaded-error') });
    const text: string[] = [];
    const { result: error } = await approved(rig.gw, () => {
      const stream = anthropic.messages.stream({ model: 'claude-haiku-4-5', max_tokens: 64, messages: user('summarise') });
      stream.on('text', (t) => text.push(t));
      return stream.finalMessage().catch((e) => e);
    });
    expect(text.join('')).toBe('Here is a short summary of');
    expect(error).toBeInstanceOf(Anthropic.APIError);
    expect(error.type).toBe('overloaded_error');
  });
});

describe('the upstream call', () => {
  it('carries the upstream key as x-api-key and the caller protocol headers', async () => {
    await approved(rig.gw, () => anthropic.messages.create({ model: 'claude-haiku-4-5', max_tokens: 16, messages: user('hi') }));
    const [req] = rig.upstream.requests;
    expect(req.headers['x-api-key']).toBe(UPSTREAM_KEY);
    expect(req.headers.authorization).toBeUndefined();
    expect(req.headers['anthropic-version']).toMatch(/^\d{4}-\d{2}-\d{2}$/);
  });
});
