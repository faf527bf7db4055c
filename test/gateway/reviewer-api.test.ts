// The reviewer API: the queue and history, one request in full, decisions (with edits), roles, sessions and the live feed.
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { QueueEvent, TimelineType } from '../../gateway/api/types.js';
import { openIdentityStore } from '../../gateway/store/index.js';
import { ReviewerClient } from '../support/gateway.js';
import { approved, openaiHeaders, parseSse, queued, reader, send, startRig, user, type Rig } from './callers.js';

let rig: Rig;

beforeAll(async () => {
  rig = await startRig();
});
afterAll(() => rig.close());
beforeEach(() => rig.upstream.reset());

const chat = (content: string, model = 'gpt-4o') => send(`${rig.gw.url}/v1/chat/completions`, { headers: openaiHeaders(rig.gw.callerKey), body: JSON.stringify({ model, messages: user(content) }) });

describe('listing requests', () => {
  it('filters by status and lists newest first', async () => {
    const { request: done } = await approved(rig.gw, () => chat('first, approved', 'list-a'));
    const refused = chat('second, rejected', 'list-b');
    const [second] = await queued(rig.gw, 1);
    await rig.gw.api.reject(second.id, 'no');
    await refused;
    const waiting = chat('third, still pending', 'list-c');
    const [third] = await queued(rig.gw, 1);
    await rig.gw.api.waitForStatus(done.id, 'completed');

    expect((await rig.gw.api.list('status=pending')).map((r) => r.id)).toEqual([third.id]);
    expect((await rig.gw.api.list('status=rejected')).map((r) => r.id)).toEqual([second.id]);
    expect((await rig.gw.api.list('status=completed')).map((r) => r.id)).toContain(done.id);
    expect((await rig.gw.api.list('status=rejected,pending')).map((r) => r.id)).toEqual([third.id, second.id]);

    const all = await rig.gw.api.list();
    const ours = all.filter((r) => r.model.startsWith('list-'));
    expect(ours.map((r) => r.model)).toEqual(['list-c', 'list-b', 'list-a']);
    const times = all.map((r) => Date.parse(r.createdAt));
    expect([...times].sort((a, b) => b - a)).toEqual(times);
    expect(ours[0]).toMatchObject({ status: 'pending', caller: 'test-app', protocol: 'openai-chat', model: 'list-c', preview: 'third, still pending', stream: false });
    expect(ours[0].timeoutAt).not.toBeNull();

    const unknown = await rig.gw.api.call('GET', '/requests?status=bogus');
    expect(unknown.status).toBe(400);
    await rig.gw.api.reject(third.id, 'cleanup');
    await waiting;
  });
});

describe('one request', () => {
  it('has its body, decisions (who, when, reason) and the previous turn of its conversation', async () => {
    const first = { model: 'gpt-4o', messages: [{ role: 'user', content: 'What is the capital of France?' }] };
    const { request: one } = await approved(rig.gw, () => send(`${rig.gw.url}/v1/chat/completions`, { headers: openaiHeaders(rig.gw.callerKey), body: JSON.stringify(first) }));
    const second = { model: 'gpt-4o', messages: [...first.messages, { role: 'assistant', content: 'Paris.' }, { role: 'user', content: 'And of Italy?' }] };
    const before = Date.now();
    const { request: two } = await approved(rig.gw, () => send(`${rig.gw.url}/v1/chat/completions`, { headers: openaiHeaders(rig.gw.callerKey), body: JSON.stringify(second) }));

    const detail = await rig.gw.api.waitForStatus(two.id, 'completed');
    expect(detail.body).toEqual(second);
    expect(detail.editedBody).toBeNull();
    expect(detail.previousId).toBe(one.id);
    expect(detail.decisions).toHaveLength(1);
    expect(detail.decisions[0]).toMatchObject({ action: 'approve', reviewer: 'alice', edited: false });
    expect(Date.parse(detail.decisions[0].at)).toBeGreaterThanOrEqual(before - 5);
    expect(detail.response).toMatchObject({ status: 200, text: 'Echo: And of Italy?' });
    expect((await rig.gw.api.get(one.id)).previousId).toBeNull();

    const unrelated = await approved(rig.gw, () => chat('What is the capital of France?', 'other-model'));
    expect((await rig.gw.api.get(unrelated.request.id)).previousId).toBeNull();
    expect((await rig.gw.api.call('GET', '/requests/req_nope')).status).toBe(404);
  });

  it('approving with an edited body forwards exactly the edit, and keeps both bodies', async () => {
    const call = chat('please email bob@example.com the report');
    const [request] = await queued(rig.gw, 1);
    const edited = { model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'please email [redacted] the report' }], temperature: 0 };
    const decision = await rig.gw.api.approve(request.id, { body: edited, note: 'redacted the address' });
    expect(decision.status).toBe(200);
    const answer = await call;
    expect(JSON.parse(answer.text).choices[0].message.content).toBe('Echo: please email [redacted] the report');

    expect(rig.upstream.requests).toHaveLength(1);
    expect(rig.upstream.requests[0].raw).toBe(JSON.stringify(edited));
    const detail = await rig.gw.api.waitForStatus(request.id, 'completed');
    expect(detail.body).toEqual({ model: 'gpt-4o', messages: user('please email bob@example.com the report') });
    expect(detail.editedBody).toEqual(edited);
    expect(detail.decisions[0]).toMatchObject({ action: 'approve', reviewer: 'alice', edited: true, note: 'redacted the address' });
  });

  it('an edit that is not a valid request is refused and the request stays pending', async () => {
    const call = chat('edit me badly');
    const [request] = await queued(rig.gw, 1);
    const bad = await rig.gw.api.approve(request.id, { body: { messages: [] } });
    expect(bad.status).toBe(400);
    expect((await rig.gw.api.get(request.id)).status).toBe('pending');
    await rig.gw.api.reject(request.id, 'done');
    await call;
  });
});

describe('deciding', () => {
  it('twice, or on a request that is no longer pending: 409', async () => {
    const call = chat('decide me once');
    const [request] = await queued(rig.gw, 1);
    expect((await rig.gw.api.approve(request.id)).status).toBe(200);
    expect((await rig.gw.api.approve(request.id)).status).toBe(409);
    expect((await rig.gw.api.reject(request.id, 'too late')).status).toBe(409);
    await call;
    await rig.gw.api.waitForStatus(request.id, 'completed');
    const late = await rig.gw.api.reject(request.id, 'much too late');
    expect(late.status).toBe(409);
    expect(late.body).toMatchObject({ error: { code: 'not_pending' } });
  });

  it('a request that never was: 404 for every action; a bad list limit: 400; a decision answers with the status it set', async () => {
    for (const [method, action, body] of [['POST', 'approve', {}], ['POST', 'reject', { reason: 'x' }], ['POST', 'claim', {}], ['DELETE', 'claim', undefined], ['POST', 'extend', { minutes: 5 }]] as const) {
      const answer = await rig.gw.api.call(method, `/requests/req_neverwas/${action}`, body);
      expect([action, answer.status, answer.body]).toEqual([action, 404, { error: expect.objectContaining({ code: 'not_found' }) }]);
    }
    for (const limit of ['abc', '0', '2.5', '501']) {
      const listed = await rig.gw.api.call('GET', `/requests?limit=${limit}`);
      expect([limit, listed.status, listed.body]).toEqual([limit, 400, { error: expect.objectContaining({ code: 'invalid_request', message: 'limit must be a whole number from 1 to 500.' }) }]);
    }
    const call = chat('answer me with the new status');
    const [request] = await queued(rig.gw, 1);
    const decision = await rig.gw.api.approve(request.id);
    expect(decision.status).toBe(200);
    expect((decision.body as { status: string }).status).not.toBe('pending');
    await call;
  });

  it('identical pending requests from one caller are one group: listed with their leader, and one decision answers them all', async () => {
    const calls = [0, 1, 2].map(() => chat('the same question, asked three times', 'grouped'));
    const pending = await queued(rig.gw, 3);
    const listed = (await rig.gw.api.list('status=pending')).filter((r) => r.model === 'grouped');
    const leaders = listed.filter((r) => r.groupOf === null);
    expect(leaders).toHaveLength(1);
    const [leader] = leaders;
    expect(leader.duplicates).toBe(2);
    expect(listed.filter((r) => r.groupOf === leader.id)).toHaveLength(2);

    expect((await rig.gw.api.approve(leader.id, { note: 'fine for all three' })).status).toBe(200);
    for (const answer of await Promise.all(calls)) expect(answer.status).toBe(200);
    expect(rig.upstream.requests).toHaveLength(3);
    for (const r of pending) expect((await rig.gw.api.waitForStatus(r.id, 'completed')).decisions).toEqual([expect.objectContaining({ action: 'approve', reviewer: 'alice', note: 'fine for all three' })]);
  });

  it('two reviewers deciding one group at the same moment: one decision wins for every copy, and each copy records only it', async () => {
    const calls = [0, 1, 2].map(() => chat('asked three times, decided twice at once', 'grouped-race'));
    const pending = await queued(rig.gw, 3);
    const listed = (await rig.gw.api.list('status=pending')).filter((r) => r.model === 'grouped-race');
    const leader = listed.find((r) => r.groupOf === null)!;
    const copy = listed.find((r) => r.groupOf !== null)!;
    const bob = new ReviewerClient(rig.gw.url, await rig.gw.gateway.issueReviewerToken('bob-race', 'reviewer'));
    const [approval, rejection] = await Promise.all([rig.gw.api.approve(leader.id), bob.reject(copy.id, 'not this one')]);
    expect([approval.status, rejection.status].sort()).toEqual([200, 409]);
    const won = approval.status === 200 ? 'approve' : 'reject';
    const statuses = (await Promise.all(calls)).map((a) => a.status);
    expect(statuses).toEqual(won === 'approve' ? [200, 200, 200] : [403, 403, 403]);
    for (const r of pending) {
      const record = await rig.gw.api.waitForStatus(r.id, won === 'approve' ? 'completed' : 'rejected');
      expect(record.decisions.map((d) => d.action)).toEqual([won]);
    }
  });

  it('a request the API lists as pending can be decided at once', async () => {
    const refused: string[] = [];
    for (let i = 0; i < 20; i++) {
      const call = chat(`decide me the moment I show up ${i}`, 'listed-pending');
      let listed: string | undefined;
      while (!listed) [listed] = (await rig.gw.api.list('status=pending')).map((r) => r.id);
      const decision = await rig.gw.api.approve(listed);
      if (decision.status !== 200) {
        refused.push(`#${i}: ${decision.status} ${JSON.stringify(decision.body)}`);
        await queued(rig.gw);
        await rig.gw.api.approve(listed);
      }
      expect((await call).status).toBe(200);
    }
    expect(refused).toEqual([]);
  });

  it('an auditor may read but not decide (403); no token is 401; a bad token is 401', async () => {
    const auditor = new ReviewerClient(rig.gw.url, await rig.gw.gateway.issueReviewerToken('audrey', 'auditor'));
    const call = chat('audit me');
    const [request] = await queued(rig.gw, 1);
    expect((await auditor.get(request.id)).body).toEqual({ model: 'gpt-4o', messages: user('audit me') });
    expect((await auditor.approve(request.id)).status).toBe(403);
    expect((await auditor.reject(request.id, 'no')).status).toBe(403);
    expect((await rig.gw.api.get(request.id)).status).toBe('pending');

    const anonymous = await fetch(`${rig.gw.url}/api/v1/requests`);
    expect(anonymous.status).toBe(401);
    const anonymousApprove = await fetch(`${rig.gw.url}/api/v1/requests/${request.id}/approve`, { method: 'POST' });
    expect(anonymousApprove.status).toBe(401);
    expect((await new ReviewerClient(rig.gw.url, 'alr_wrong').call('GET', '/requests')).status).toBe(401);

    await rig.gw.api.reject(request.id, 'done');
    await call;
  });

  it('a reviewer added on a second connection to the data dir (as `airlock reviewers add` does) is accepted at once', async () => {
    expect((await send(`${rig.gw.url}/v1/models`, { headers: openaiHeaders(rig.gw.callerKey) })).status).toBe(200);
    const store = await openIdentityStore(rig.gw.dataDir);
    const token = await store.identities.addReviewer('ravi', 'reviewer');
    await store.close();
    expect((await new ReviewerClient(rig.gw.url, token).call('GET', '/me')).body).toEqual({ name: 'ravi', role: 'reviewer' });
  });

  it('a rejection needs a reason', async () => {
    const call = chat('reject me without reason');
    const [request] = await queued(rig.gw, 1);
    expect((await rig.gw.api.call('POST', `/requests/${request.id}/reject`, {})).status).toBe(400);
    await rig.gw.api.reject(request.id, 'now with a reason');
    expect((await call).status).toBe(403);
  });
});

describe('sessions', () => {
  it('have a timeline of every event, with chunk texts that join to the answer', async () => {
    rig.upstream.next({ kind: 'text', chunks: ['The ', 'answer ', 'is ', '42.'], delayMs: 20 });
    const { request } = await approved(rig.gw, () => send(`${rig.gw.url}/v1/chat/completions`, { headers: openaiHeaders(rig.gw.callerKey), body: JSON.stringify({ model: 'gpt-4o', messages: user('meaning?'), stream: true }) }));
    await rig.gw.api.waitForStatus(request.id, 'completed');
    const session = await rig.gw.api.session(request.id);
    expect(session.id).toBe(request.id);
    expect(session.request.body).toMatchObject({ messages: user('meaning?') });
    expect(session.request.decisions).toEqual([expect.objectContaining({ action: 'approve', reviewer: 'alice' })]);
    expect(session.request.response?.text).toBe('The answer is 42.');

    const types = session.timeline.map((e) => e.type);
    const order: TimelineType[] = ['arrived', 'pending', 'approved', 'forwarding', 'first_byte', 'chunk', 'completed'];
    for (const type of order) expect(types).toContain(type);
    const firstIndex = order.map((type) => types.indexOf(type));
    expect([...firstIndex].sort((a, b) => a - b)).toEqual(firstIndex);
    expect(session.timeline.find((e) => e.type === 'approved')?.by).toBe('alice');
    const times = session.timeline.map((e) => e.t);
    expect([...times].sort((a, b) => a - b)).toEqual(times);
    const chunks = session.timeline.filter((e) => e.type === 'chunk');
    expect(chunks.map((c) => c.text).join('')).toBe('The answer is 42.');
    expect(chunks.map((c) => c.raw).join('')).toContain('data: [DONE]');
  });
});

describe('the event feed', () => {
  it('delivers request.pending, request.decided and request.completed as they happen', async () => {
    const feed = await fetch(`${rig.gw.url}/api/v1/events`, { headers: { authorization: `Bearer ${rig.gw.reviewerToken}` } });
    expect(feed.status).toBe(200);
    expect(feed.headers.get('content-type')).toMatch(/^text\/event-stream/);
    const events = reader(feed);
    const { request } = await approved(rig.gw, () => chat('watch me'));
    const ofThis = (text: string) => parseSse(text).filter((m) => m.event && (JSON.parse(m.data) as QueueEvent).request.id === request.id);
    await events.until((t) => ofThis(t).some((m) => m.event === 'request.completed'));
    await events.cancel();

    const types = ofThis(events.text).map((m) => m.event);
    const first = (type: string) => types.indexOf(type);
    expect(first('request.pending')).toBeGreaterThanOrEqual(0);
    expect(first('request.decided')).toBeGreaterThan(first('request.pending'));
    expect(first('request.completed')).toBeGreaterThan(first('request.decided'));
    const completed = ofThis(events.text).find((m) => m.event === 'request.completed')!;
    expect(JSON.parse(completed.data)).toMatchObject({ type: 'request.completed', request: { id: request.id, status: 'completed', caller: 'test-app' } });

    const anonymous = await fetch(`${rig.gw.url}/api/v1/events`);
    expect(anonymous.status).toBe(401);
  });
});
