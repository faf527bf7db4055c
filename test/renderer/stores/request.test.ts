// @vitest-environment happy-dom
import { createPinia, setActivePinia } from 'pinia';
import { beforeEach, describe, expect, it, vi } from 'vitest';
import { apiMock, resetApiMock } from '../api-mock.js';
import { detail, summary } from '../fixtures.js';

vi.mock('../../../renderer/src/api/client.js', async (orig) => (await import('../api-mock.js')).clientModule(orig));
vi.mock('../../../renderer/src/api/events.js', async () => (await import('../api-mock.js')).eventsModule());

const { ApiError } = await import('../../../renderer/src/api/client.js');
const { useRequestStore, RECLAIM_MS } = await import('../../../renderer/src/stores/request.js');
const { useAuthStore } = await import('../../../renderer/src/stores/auth.js');
const { pathKey } = await import('../../../renderer/src/lib/conversation.js');

const flush = () => new Promise((r) => setTimeout(r, 0));

function signIn(role: 'reviewer' | 'auditor' = 'reviewer') {
  const auth = useAuthStore();
  auth.me = { name: 'bob', role };
  auth.status = 'signed-in';
}

/** A reviewer opens `d` and holds the claim. */
async function openClaimed(d = detail()) {
  signIn();
  apiMock.getRequest.mockResolvedValue(d);
  apiMock.claim.mockResolvedValue(d);
  const request = useRequestStore();
  await request.open(d.id);
  return { d, request };
}

describe('useRequestStore', () => {
  beforeEach(() => {
    resetApiMock();
    setActivePinia(createPinia());
    location.hash = '';
  });

  it('opens a pending request, claims it, and renews the claim while open', async () => {
    vi.useFakeTimers();
    try {
      signIn();
      const d = detail();
      apiMock.getRequest.mockResolvedValue(d);
      apiMock.claim.mockResolvedValue({ ...d, claim: { reviewer: 'bob', until: new Date(Date.now() + 60_000).toISOString() } });
      const request = useRequestStore();
      await request.open(d.id);
      await vi.advanceTimersByTimeAsync(0);
      expect(apiMock.claim).toHaveBeenCalledTimes(1);
      expect(request.detail?.claim?.reviewer).toBe('bob');
      await vi.advanceTimersByTimeAsync(RECLAIM_MS);
      expect(apiMock.claim).toHaveBeenCalledTimes(2);
      request.close();
      expect(apiMock.release).toHaveBeenCalledWith(d.id);
      await vi.advanceTimersByTimeAsync(RECLAIM_MS * 2);
      expect(apiMock.claim).toHaveBeenCalledTimes(2);
    } finally {
      vi.useRealTimers();
    }
  });

  it('does not claim for an auditor, and an auditor cannot decide', async () => {
    signIn('auditor');
    const d = detail();
    apiMock.getRequest.mockResolvedValue(d);
    const request = useRequestStore();
    await request.open(d.id);
    expect(apiMock.claim).not.toHaveBeenCalled();
    expect(request.canDecide).toBe(false);
    expect(await request.approve()).toBe(false);
    expect(apiMock.approve).not.toHaveBeenCalled();
  });

  it('loads the previous turn and diffs against it', async () => {
    signIn();
    const prev = detail();
    const cur = detail({
      previousId: prev.id,
      body: {
        model: 'gpt-4o',
        messages: [
          { role: 'system', content: 'You are terse.' },
          { role: 'user', content: 'Summarise the deployment log' },
          { role: 'assistant', content: 'Done.' },
          { role: 'user', content: 'Now roll back' },
        ],
      },
    });
    apiMock.getRequest.mockImplementation(async (id: string) => (id === prev.id ? prev : cur));
    apiMock.claim.mockResolvedValue(cur);
    const request = useRequestStore();
    await request.open(cur.id);
    await flush();
    expect(request.turnDiff).toMatchObject({ added: 2, removed: 0, changed: 0 });
  });

  it('a decision made elsewhere disables deciding at once and says who', async () => {
    signIn();
    const d = detail();
    apiMock.getRequest.mockResolvedValueOnce(d);
    apiMock.claim.mockResolvedValue(d);
    const request = useRequestStore();
    await request.open(d.id);
    expect(request.canDecide).toBe(true);
    const later = new Date(Date.parse(d.updatedAt) + 1000).toISOString();
    apiMock.getRequest.mockResolvedValueOnce({ ...d, status: 'rejected', updatedAt: later, decisions: [{ action: 'reject', reviewer: 'alice', reason: 'no', note: null, edited: false, at: later }] });
    request.applySummary({ ...summary({ id: d.id }), status: 'rejected', updatedAt: later });
    expect(request.canDecide).toBe(false);
    expect(request.notice).toMatch(/rejected/);
    await flush();
    expect(request.notice).toBe('Rejected by alice: no');
  });

  it('approves an edit with exactly the edited body', async () => {
    const { d, request } = await openClaimed();
    apiMock.approve.mockResolvedValue({ ...d, status: 'approved' });
    request.startEdit();
    request.setEdit(['messages', 1, 'content'], 'Summarise the log, no secrets', 'Summarise the deployment log');
    expect(request.edits.get(pathKey(['messages', 1, 'content']))).toBe('Summarise the log, no secrets');
    expect(request.editDiff?.changed).toBe(1);
    await request.approve();
    expect(apiMock.approve).toHaveBeenCalledWith(d.id, {
      body: { model: 'gpt-4o', messages: [{ role: 'system', content: 'You are terse.' }, { role: 'user', content: 'Summarise the log, no secrets' }] },
    });
  });

  it('an edit back to the original text is no edit', async () => {
    const { d, request } = await openClaimed();
    apiMock.approve.mockResolvedValue({ ...d, status: 'approved' });
    request.startEdit();
    request.setEdit(['messages', 1, 'content'], 'x', 'Summarise the deployment log');
    request.setEdit(['messages', 1, 'content'], 'Summarise the deployment log', 'Summarise the deployment log');
    expect(request.edited).toBe(false);
    await request.approve();
    expect(apiMock.approve).toHaveBeenCalledWith(d.id, {});
  });

  it("asks before deciding on another reviewer's claim, then resends with force", async () => {
    const { d, request } = await openClaimed();
    apiMock.reject.mockRejectedValueOnce(new ApiError(409, 'claimed', 'alice is reviewing this request.')).mockResolvedValueOnce({ ...d, status: 'rejected' });
    expect(await request.reject('too costly')).toBe(false);
    expect(request.confirm).toEqual({ action: 'reject', reason: 'too costly', message: 'alice is reviewing this request.' });
    expect(await request.confirmForce()).toBe(true);
    expect(apiMock.reject).toHaveBeenLastCalledWith(d.id, { reason: 'too costly', force: true });
    expect(request.detail?.status).toBe('rejected');
  });

  it('widens an approval only when the reviewer chose a scope, and resets it for the next request', async () => {
    const { d, request } = await openClaimed();
    apiMock.approve.mockResolvedValue({ ...d, status: 'approved' });
    request.setRemember('15m');
    await request.approve();
    expect(apiMock.approve).toHaveBeenCalledWith(d.id, { remember: '15m' });
    const next = detail();
    apiMock.getRequest.mockResolvedValue(next);
    await request.open(next.id);
    expect(request.remember).toBe('request');
  });

  it('does not edit a request whose answer is what waits', async () => {
    const { request } = await openClaimed(detail({ phase: 'response', response: { status: 200, body: null, text: 'The answer' } }));
    expect(request.reviewingAnswer).toBe(true);
    request.startEdit();
    expect(request.editing).toBe(false);
  });

  it('reveals an unmasked answer with a reason', async () => {
    signIn();
    const d = detail({ status: 'completed', response: { status: 200, body: null, text: 'key [MASKED]', revealable: true } });
    apiMock.getRequest.mockResolvedValue(d);
    apiMock.reveal.mockResolvedValue({ text: 'key sk-live-123' });
    const request = useRequestStore();
    await request.open(d.id);
    expect(await request.reveal('incident 42')).toBe(true);
    expect(apiMock.reveal).toHaveBeenCalledWith(d.id, 'incident 42');
    expect(request.revealed).toBe('key sk-live-123');
  });

  it('tells the other reviewers "is editing" while the editor is open, renewals included, and stops when it closes', async () => {
    vi.useFakeTimers();
    try {
      const { d, request } = await openClaimed();
      await vi.advanceTimersByTimeAsync(0);
      expect(apiMock.claim).toHaveBeenLastCalledWith(d.id, { editing: false });
      request.startEdit();
      await vi.advanceTimersByTimeAsync(0);
      expect(apiMock.claim).toHaveBeenLastCalledWith(d.id, { editing: true });
      const sent = apiMock.claim.mock.calls.length;
      await vi.advanceTimersByTimeAsync(RECLAIM_MS);
      expect(apiMock.claim).toHaveBeenCalledTimes(sent + 1);
      expect(apiMock.claim).toHaveBeenLastCalledWith(d.id, { editing: true });
      request.cancelEdit();
      await vi.advanceTimersByTimeAsync(0);
      expect(apiMock.claim).toHaveBeenLastCalledWith(d.id, { editing: false });
      expect(request.editing).toBe(false);
    } finally {
      vi.useRealTimers();
    }
  });

  it('leaves the editor at once without edits, and asks first with unsaved edits', async () => {
    const { request } = await openClaimed();
    request.startEdit();
    request.leaveEdit();
    expect(request.editing).toBe(false);
    expect(request.discardAsk).toBeNull();

    request.startEdit();
    request.setEdit(['messages', 1, 'content'], 'Summarise the log, no secrets', 'Summarise the deployment log');
    request.leaveEdit();
    expect(request.discardAsk).not.toBeNull();
    expect(request.editing).toBe(true);
    request.keepEditing();
    expect(request.discardAsk).toBeNull();
    expect(request.edited).toBe(true);

    request.leaveEdit();
    request.confirmDiscard();
    expect(request.editing).toBe(false);
    expect(request.edited).toBe(false);
  });

  it('runs what would discard edits (another item) only after the reviewer agreed', async () => {
    const { request } = await openClaimed();
    const moved = vi.fn();
    request.whenEditsDiscarded(moved);
    expect(moved).toHaveBeenCalledTimes(1); // nothing to lose
    request.startEdit();
    request.setEdit(['messages', 1, 'content'], 'edited', 'Summarise the deployment log');
    request.whenEditsDiscarded(moved);
    expect(moved).toHaveBeenCalledTimes(1);
    expect(request.edited).toBe(true);
    request.confirmDiscard();
    expect(moved).toHaveBeenCalledTimes(2);
    expect(request.edited).toBe(false);
  });

  it('does not diff against a shredded previous turn', async () => {
    signIn();
    const prev = detail({ shredded: true, body: null });
    const cur = detail({ previousId: prev.id });
    apiMock.getRequest.mockImplementation(async (id: string) => (id === prev.id ? prev : cur));
    apiMock.claim.mockResolvedValue(cur);
    const request = useRequestStore();
    await request.open(cur.id);
    await flush();
    expect(request.previous?.id).toBe(prev.id);
    expect(request.turnDiff).toBeNull();
  });

  it('reports a request already decided', async () => {
    const { request } = await openClaimed();
    apiMock.approve.mockRejectedValue(new ApiError(409, 'not_pending', 'This request is no longer pending.'));
    await request.approve();
    expect(request.decisionError).toBe('This request is no longer pending.');
  });
});
