// When nobody decides: a policy's timeout rejects on time with a message that says so (or, with `onTimeout: approve`,
// forwards), and `escalateAfter` marks the request escalated and tells the console and the named reviewers.
import Anthropic from '@anthropic-ai/sdk';
import OpenAI from 'openai';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { QueueEvent, RequestSummary } from '../../gateway/api/types.js';
import { queued, reader, startRig, user, type Rig } from '../gateway/callers.js';

const TIMEOUT_MS = 300;
/** How late a timer may fire on a busy test machine and still count as on time. */
const SLACK_MS = 1500;

let rig: Rig;
const keys: Record<string, string> = {};

beforeAll(async () => {
  rig = await startRig({
    config: {
      policies: [
        { name: 'impatient', match: { caller: 'impatient' }, action: 'review', timeout: `${TIMEOUT_MS}ms`, onTimeout: 'reject' },
        { name: 'nightly', match: { caller: 'nightly' }, action: 'review', timeout: `${TIMEOUT_MS}ms`, onTimeout: 'approve' },
        { name: 'escalating', match: { caller: 'esc-app' }, action: 'review', timeout: '10s', escalateAfter: '300ms', escalateTo: ['bob'] },
      ],
    },
  });
  for (const name of ['impatient', 'nightly', 'esc-app']) keys[name] = await rig.gw.gateway.issueCallerKey(name);
});
afterAll(() => rig.close());
beforeEach(() => rig.upstream.reset());

describe('timeout', () => {
  it('rejects on time with approval_timeout and a message that says nobody decided', async () => {
    const openai = rig.openai({ apiKey: keys.impatient, maxRetries: 2 });
    const started = Date.now();
    const error = await openai.chat.completions.create({ model: 'gpt-4o', messages: user('anyone there?') }).catch((e) => e);
    const waited = Date.now() - started;
    expect(error).toBeInstanceOf(OpenAI.PermissionDeniedError);
    expect(error.status).toBe(403);
    expect(error.code).toBe('approval_timeout');
    expect(error.message).toMatch(/No reviewer decided within 300 ms, so Airlock rejected the request \(policy "impatient"\)/);
    expect(waited).toBeGreaterThanOrEqual(TIMEOUT_MS);
    expect(waited).toBeLessThan(TIMEOUT_MS + SLACK_MS);
    expect(rig.upstream.requests).toHaveLength(0);

    const listed = await rig.gw.api.list('caller=impatient');
    expect(listed).toHaveLength(1); // a decision is final: the SDK did not retry
    const [request] = listed;
    expect(request.status).toBe('timed_out');
    const session = await rig.gw.api.session(request.id);
    expect(session.request.decisions).toEqual([expect.objectContaining({ action: 'timeout', reviewer: null, reason: expect.stringMatching(/policy says reject/) })]);
    const timedOut = session.timeline.find((e) => e.type === 'timed_out')!;
    expect(timedOut.t).toBeGreaterThanOrEqual(TIMEOUT_MS);
    expect(timedOut.t).toBeLessThan(TIMEOUT_MS + SLACK_MS);
  });

  it('a streaming Anthropic request gets the same refusal', async () => {
    const anthropic = rig.anthropic({ apiKey: keys.impatient });
    const error = await anthropic.messages.create({ model: 'claude-haiku-4-5', max_tokens: 32, messages: user('anyone?'), stream: true }).catch((e) => e);
    expect(error).toBeInstanceOf(Anthropic.PermissionDeniedError);
    expect(error.message).toMatch(/No reviewer decided within 300 ms/);
    expect(rig.upstream.requests).toHaveLength(0);
  });

  it('with onTimeout: approve, the request goes on to the upstream when the time is up', async () => {
    const openai = rig.openai({ apiKey: keys.nightly });
    const started = Date.now();
    const answer = await openai.chat.completions.create({ model: 'gpt-4o', messages: user('nightly report') });
    expect(Date.now() - started).toBeGreaterThanOrEqual(TIMEOUT_MS);
    expect(answer.choices[0].message.content).toBe('Echo: nightly report');
    expect(rig.upstream.requests).toHaveLength(1);

    const [request] = await rig.gw.api.list('caller=nightly');
    const detail = await rig.gw.api.waitForStatus(request.id, 'completed');
    expect(detail.decisions).toEqual([expect.objectContaining({ action: 'timeout', reason: expect.stringMatching(/policy says approve/) })]);
  });
});

describe('escalation', () => {
  it('after escalateAfter the request is marked escalated to bob, an event goes out, and it stays pending', async () => {
    const escalated = new Promise<{ request: RequestSummary; to: string[]; at: number }>((resolve) =>
      rig.gw.gateway.events.once('request.escalated', (request, to) => resolve({ request, to, at: Date.now() })),
    );
    const updates: RequestSummary[] = [];
    const onUpdate = (request: RequestSummary) => updates.push(request);
    rig.gw.gateway.events.on('request.updated', onUpdate);
    // The console's live feed, as the console reads it.
    const feed = await fetch(`${rig.gw.url}/api/v1/events`, { headers: { authorization: `Bearer ${rig.gw.reviewerToken}` } });
    const console_ = reader(feed);

    const openai = rig.openai({ apiKey: keys['esc-app'] });
    const call = openai.chat.completions.create({ model: 'gpt-4o', messages: user('needs a senior look') }).catch((e) => e);
    const [pending] = await queued(rig.gw);
    expect(pending).toMatchObject({ escalated: false, escalateTo: ['bob'] });

    const fired = await escalated;
    expect(fired.to).toEqual(['bob']);
    expect(fired.request).toMatchObject({ id: pending.id, status: 'pending', escalated: true, escalateTo: ['bob'] });
    expect(fired.at - Date.parse(pending.createdAt)).toBeGreaterThanOrEqual(300);
    expect(updates).toContainEqual(expect.objectContaining({ id: pending.id, escalated: true }));
    rig.gw.gateway.events.off('request.updated', onUpdate);

    const [listed] = await rig.gw.api.list('status=pending');
    expect(listed).toMatchObject({ id: pending.id, escalated: true, escalateTo: ['bob'] });
    const session = await rig.gw.api.session(pending.id);
    expect(session.timeline).toContainEqual(expect.objectContaining({ type: 'escalated', detail: 'bob' }));

    const text = await console_.until((t) => t.includes('"escalated":true'));
    const event = text
      .split('\n\n')
      .filter((block) => block.startsWith('event: request.updated'))
      .map((block) => JSON.parse(block.slice(block.indexOf('data: ') + 6)) as QueueEvent)
      .find((e) => e.request.escalated);
    expect(event?.request).toMatchObject({ id: pending.id, escalated: true, escalateTo: ['bob'] });
    await console_.cancel();

    // Escalating decides nothing: a reviewer still does.
    expect(rig.upstream.requests).toHaveLength(0);
    expect((await rig.gw.api.reject(pending.id, 'not today')).status).toBe(200);
    const error = await call;
    expect(error).toBeInstanceOf(OpenAI.PermissionDeniedError);
    expect(error.message).toContain('not today');
  });

  it('a request decided before escalateAfter is never escalated', async () => {
    let fired = false;
    const onEscalated = () => (fired = true);
    rig.gw.gateway.events.on('request.escalated', onEscalated);
    const openai = rig.openai({ apiKey: keys['esc-app'] });
    const call = openai.chat.completions.create({ model: 'gpt-4o', messages: user('quick one') });
    const [pending] = await queued(rig.gw);
    expect((await rig.gw.api.approve(pending.id)).status).toBe(200);
    await call;
    await new Promise((r) => setTimeout(r, 400));
    rig.gw.gateway.events.off('request.escalated', onEscalated);
    expect(fired).toBe(false);
    const session = await rig.gw.api.session(pending.id);
    expect(session.timeline.map((e) => e.type)).not.toContain('escalated');
  });
});
