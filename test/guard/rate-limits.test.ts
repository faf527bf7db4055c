// Rate limits per caller through the real SDKs: requests and estimated tokens per minute, a 429 in the route's own
// error shape with retry-after, no upstream call for a refused request (which is recorded as rejected by the rate
// limit), and recovery once the bucket refills.
import Anthropic from '@anthropic-ai/sdk';
import OpenAI from 'openai';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { anthropicHeaders, openaiHeaders, send, startRig, user, type Rig } from '../gateway/callers.js';

let rig: Rig;
const keys: Record<string, string> = {};

beforeAll(async () => {
  rig = await startRig({
    config: {
      policies: [{ name: 'let-through', action: 'approve' }],
      rateLimits: [
        { match: { caller: 'app2' }, requestsPerMinute: 3, tokensPerMinute: 20000 },
        // 60 a minute refills one request a second, so recovery is quick to see.
        { match: { caller: 'burst' }, requestsPerMinute: 60 },
        { match: { caller: 'summariser' }, tokensPerMinute: 1000 },
      ],
    },
  });
  for (const name of ['app2', 'burst', 'summariser']) keys[name] = await rig.gw.gateway.issueCallerKey(name);
});
afterAll(() => rig.close());
beforeEach(() => rig.upstream.reset());

const ask = (openai: OpenAI, content = 'hello') => openai.chat.completions.create({ model: 'gpt-4o', messages: user(content) });

describe('requests per minute', () => {
  it('the 4th call in a minute gets 429 with retry-after, in the OpenAI and the Anthropic error shape, and is not forwarded', async () => {
    const openai = rig.openai({ apiKey: keys.app2 });
    for (let i = 0; i < 3; i++) await ask(openai);
    expect(rig.upstream.requests).toHaveLength(3);

    const error = await ask(openai).catch((e) => e);
    expect(error).toBeInstanceOf(OpenAI.RateLimitError);
    expect(error.status).toBe(429);
    expect(error.message).toMatch(/Rate limit reached for caller "app2": 3 requests per minute/);
    const retryAfter = Number(error.headers.get('retry-after'));
    // One request refills in 20 s; the header says how long until then, in whole seconds.
    expect(retryAfter).toBeGreaterThan(0);
    expect(retryAfter).toBeLessThanOrEqual(20);

    const plain = await send(`${rig.gw.url}/v1/chat/completions`, { headers: openaiHeaders(keys.app2), body: JSON.stringify({ model: 'gpt-4o', messages: user('hi') }) });
    expect(plain.status).toBe(429);
    expect(Number(plain.headers['retry-after'])).toBeGreaterThan(0);
    expect(JSON.parse(plain.text)).toEqual({ error: { message: expect.stringContaining('Rate limit'), type: expect.any(String), param: null, code: 'rate_limit_exceeded' } });

    // The limit is the caller's, whichever protocol it speaks.
    const anthropic = rig.anthropic({ apiKey: keys.app2 });
    const refused = await anthropic.messages.create({ model: 'claude-haiku-4-5', max_tokens: 32, messages: user('hi') }).catch((e) => e);
    expect(refused).toBeInstanceOf(Anthropic.RateLimitError);
    expect(refused.error).toMatchObject({ type: 'error', error: { type: 'rate_limit_error', message: expect.stringContaining('Rate limit') } });
    const plainAnthropic = await send(`${rig.gw.url}/v1/messages`, { headers: anthropicHeaders(keys.app2), body: JSON.stringify({ model: 'claude-haiku-4-5', max_tokens: 32, messages: user('hi') }) });
    expect(plainAnthropic.status).toBe(429);
    expect(plainAnthropic.headers['retry-after']).toBeDefined();

    expect(rig.upstream.requests).toHaveLength(3);
    // Each refusal is on record, as a rejection by the rate limit with its message.
    const refusedRecords = (await rig.gw.api.list('status=rejected')).filter((r) => r.caller === 'app2');
    expect(refusedRecords.map((r) => r.policy)).toEqual(['rate-limit', 'rate-limit', 'rate-limit', 'rate-limit']);
    const record = await rig.gw.api.waitForStatus(refusedRecords[0].id, 'rejected');
    expect(record.error).toMatchObject({ code: 'rate_limited', message: expect.stringContaining('Rate limit reached for caller "app2"') });
    expect(record.decisions).toEqual([expect.objectContaining({ action: 'policy_reject', reviewer: null, reason: expect.stringContaining('3 requests per minute') })]);
  });

  it('other callers are not limited by app2', async () => {
    const openai = rig.openai();
    for (let i = 0; i < 5; i++) await ask(openai);
    expect(rig.upstream.requests).toHaveLength(5);
  });

  it('recovers: after waiting the retry-after the next call goes through', async () => {
    const openai = rig.openai({ apiKey: keys.burst });
    let refused: any;
    let passed = 0;
    while (!refused && passed < 100) {
      await ask(openai).then(
        () => passed++,
        (e) => (refused = e),
      );
    }
    expect(refused).toBeInstanceOf(OpenAI.RateLimitError);
    expect(passed).toBeGreaterThanOrEqual(60);
    const retryAfter = Number(refused.headers.get('retry-after'));
    expect(retryAfter).toBeGreaterThan(0);
    expect(retryAfter).toBeLessThanOrEqual(2);

    const before = rig.upstream.requests.length;
    await new Promise((r) => setTimeout(r, retryAfter * 1000));
    const answer = await ask(openai);
    expect(answer.choices[0].message.content).toBe('Echo: hello');
    expect(rig.upstream.requests).toHaveLength(before + 1);
  });
});

describe('tokens per minute', () => {
  const long = 'lorem ipsum dolor sit amet '.repeat(120); // roughly 600 tokens

  it('a long prompt uses up the budget: the next long one is refused, a short one still fits', async () => {
    const openai = rig.openai({ apiKey: keys.summariser });
    await ask(openai, long);
    const [first] = await rig.gw.api.list('caller=summariser');
    expect(first.tokens).toBeGreaterThan(500);
    expect(first.tokens).toBeLessThan(1000);

    const error = await ask(openai, long).catch((e) => e);
    expect(error).toBeInstanceOf(OpenAI.RateLimitError);
    expect(error.message).toContain('1000 tokens per minute');
    const retryAfter = Number(error.headers.get('retry-after'));
    expect(retryAfter).toBeGreaterThan(0);
    expect(retryAfter).toBeLessThanOrEqual(60);

    await ask(openai, 'and a short one');
    expect(rig.upstream.requests).toHaveLength(2);
  });

  it('a prompt larger than the whole per-minute budget is refused outright', async () => {
    const openai = rig.openai({ apiKey: keys.summariser });
    const error = await ask(openai, long.repeat(3)).catch((e) => e);
    expect(error).toBeInstanceOf(OpenAI.RateLimitError);
    expect(error.message).toMatch(/exceed the limit of 1000 tokens per minute/);
    expect(rig.upstream.requests).toHaveLength(0);
  });
});
