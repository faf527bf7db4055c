// @vitest-environment happy-dom
import { createPinia, setActivePinia } from 'pinia';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { apiMock, emit, resetApiMock, stream } from '../api-mock.js';
import { detail, summary } from '../fixtures.js';

vi.mock('../../../renderer/src/api/client.js', async (orig) => (await import('../api-mock.js')).clientModule(orig));
vi.mock('../../../renderer/src/api/events.js', async () => (await import('../api-mock.js')).eventsModule());

const { useQueueStore } = await import('../../../renderer/src/stores/queue.js');
const { useAuthStore } = await import('../../../renderer/src/stores/auth.js');
const { useSettingsStore } = await import('../../../renderer/src/stores/settings.js');
const { useRequestStore } = await import('../../../renderer/src/stores/request.js');

const flush = () => new Promise((r) => setTimeout(r, 0));

describe('useQueueStore', () => {
  beforeEach(() => {
    resetApiMock();
    setActivePinia(createPinia());
    localStorage.clear();
    location.hash = '';
  });
  afterEach(() => useQueueStore().stop());

  it('loads the pending list when the stream opens and keeps the newest on top', async () => {
    const older = summary({ createdAt: '2026-11-20T10:00:00.000Z' });
    const newer = summary({ createdAt: '2026-11-20T10:05:00.000Z' });
    apiMock.listRequests.mockResolvedValue({ items: [older, newer], next: null });
    const queue = useQueueStore();
    queue.start();
    stream.handlers!.onOpen();
    await flush();
    expect(apiMock.listRequests).toHaveBeenCalledWith(expect.objectContaining({ status: 'pending' }));
    expect(queue.pending.map((s) => s.id)).toEqual([newer.id, older.id]);
  });

  it('adds arrivals from the stream and drops decided requests at once', () => {
    const queue = useQueueStore();
    queue.start();
    const s = summary();
    emit({ type: 'request.pending', request: s });
    expect(queue.pendingCount).toBe(1);
    emit({ type: 'request.decided', request: { ...s, status: 'rejected', updatedAt: new Date(Date.parse(s.updatedAt) + 1000).toISOString() } });
    expect(queue.pendingCount).toBe(0);
  });

  it('shows identical copies as their leader\'s one row, until the leader is no longer waiting', () => {
    const queue = useQueueStore();
    queue.start();
    const leader = summary({ duplicates: 2 });
    const copies = [summary({ groupOf: leader.id }), summary({ groupOf: leader.id })];
    for (const r of [leader, ...copies]) emit({ type: 'request.pending', request: r });
    expect(queue.pending.map((s) => s.id)).toEqual([leader.id]);
    emit({ type: 'request.decided', request: { ...leader, status: 'rejected', updatedAt: new Date(Date.parse(leader.updatedAt) + 1000).toISOString() } });
    expect(queue.pending.map((s) => s.id).sort()).toEqual(copies.map((c) => c.id).sort());
  });

  it('ignores an older copy of a request than the one it has', () => {
    const queue = useQueueStore();
    queue.start();
    const s = summary();
    const decided = { ...s, status: 'approved' as const, updatedAt: new Date(Date.parse(s.updatedAt) + 1000).toISOString() };
    emit({ type: 'request.decided', request: decided });
    emit({ type: 'request.updated', request: s });
    expect(queue.pendingCount).toBe(0);
  });

  it('after a reconnect, forgets pending requests the server no longer lists, but keeps ones that arrived meanwhile', async () => {
    const queue = useQueueStore();
    queue.start();
    const gone = summary();
    emit({ type: 'request.pending', request: gone });
    const fresh = summary();
    let answer!: (v: unknown) => void;
    apiMock.listRequests.mockReturnValue(new Promise((r) => (answer = r)));
    stream.handlers!.onOpen();
    emit({ type: 'request.pending', request: fresh });
    answer({ items: [], next: null });
    await flush();
    expect(queue.pending.map((s) => s.id)).toEqual([fresh.id]);
  });

  it('follows cursors through a long pending list', async () => {
    const a = summary();
    const b = summary();
    apiMock.listRequests.mockResolvedValueOnce({ items: [a], next: 'c1' }).mockResolvedValueOnce({ items: [b], next: null });
    const queue = useQueueStore();
    queue.start();
    stream.handlers!.onOpen();
    await flush();
    await flush();
    expect(apiMock.listRequests).toHaveBeenLastCalledWith(expect.objectContaining({ cursor: 'c1' }));
    expect(queue.pendingCount).toBe(2);
  });

  it('moves the selection with j/k semantics and picks a neighbour after a decision', () => {
    const queue = useQueueStore();
    queue.start();
    const [a, b, c] = [summary(), summary(), summary()];
    for (const s of [a, b, c]) emit({ type: 'request.pending', request: s });
    // Newest first: c, b, a.
    queue.move(1);
    expect(queue.selectedId).toBe(c.id);
    queue.move(1);
    expect(queue.selectedId).toBe(b.id);
    queue.move(-1);
    expect(queue.selectedId).toBe(c.id);
    expect(queue.neighbourOf(b.id)).toBe(a.id);
    expect(queue.neighbourOf(a.id)).toBe(b.id);
  });

  it('does not move to another item over unsaved edits until the reviewer agrees', async () => {
    const auth = useAuthStore();
    auth.me = { name: 'bob', role: 'reviewer' };
    auth.status = 'signed-in';
    const d = detail();
    apiMock.getRequest.mockResolvedValue(d);
    apiMock.claim.mockResolvedValue(d);
    const queue = useQueueStore();
    const request = useRequestStore();
    queue.select(d.id);
    await request.open(d.id);
    request.startEdit();
    request.setEdit(['messages', 1, 'content'], 'edited', 'Summarise the deployment log');
    queue.select('req_other');
    expect(queue.selectedId).toBe(d.id);
    expect(request.discardAsk).not.toBeNull();
    request.confirmDiscard();
    expect(queue.selectedId).toBe('req_other');
  });

  it('names another reviewer holding a live claim, not ourselves', () => {
    const auth = useAuthStore();
    auth.me = { name: 'bob', role: 'reviewer' };
    const queue = useQueueStore();
    const until = new Date(Date.now() + 60_000).toISOString();
    expect(queue.claimedByOther(summary({ claim: { reviewer: 'alice', until } }))).toEqual({ reviewer: 'alice', until });
    expect(queue.claimedByOther(summary({ claim: { reviewer: 'alice', until, editing: true } }))).toEqual({ reviewer: 'alice', until, editing: true });
    expect(queue.claimedByOther(summary({ claim: { reviewer: 'bob', until } }))).toBeNull();
    expect(queue.claimedByOther(summary({ claim: { reviewer: 'alice', until: new Date(Date.now() - 1000).toISOString() } }))).toBeNull();
  });

  it('warns once, in the queue and by notification, when a minute is left', () => {
    vi.useFakeTimers();
    const shown: string[] = [];
    vi.stubGlobal(
      'Notification',
      class {
        static permission = 'granted';
        onclick = null;
        constructor(title: string) {
          shown.push(title);
        }
        close() {}
      },
    );
    const hasFocus = vi.spyOn(document, 'hasFocus').mockReturnValue(false);
    try {
      const queue = useQueueStore();
      queue.start();
      emit({ type: 'request.pending', request: summary({ caller: 'deploy-bot', timeoutAt: new Date(Date.now() + 65_000).toISOString() }) });
      vi.advanceTimersByTime(1000);
      expect(shown.filter((t) => t.startsWith('1 minute left'))).toEqual([]);
      vi.advanceTimersByTime(10_000);
      expect(shown.filter((t) => t.startsWith('1 minute left'))).toEqual(['1 minute left: deploy-bot · gpt-4o']);
      vi.advanceTimersByTime(10_000);
      expect(shown.filter((t) => t.startsWith('1 minute left'))).toHaveLength(1);
      // The system draws notifications: a model name's direction controls arrive there as markers.
      emit({ type: 'request.pending', request: summary({ model: 'gpt\u202E-4o', timeoutAt: new Date(Date.now() + 65_000).toISOString() }) });
      vi.advanceTimersByTime(11_000);
      expect(shown.filter((t) => t.startsWith('1 minute left')).at(-1)).toBe('1 minute left: ci-bot · gpt⟨RLO⟩-4o');
    } finally {
      hasFocus.mockRestore();
      vi.unstubAllGlobals();
      vi.useRealTimers();
    }
  });

  it('batches notifications for a burst while the console is in the background', async () => {
    vi.useFakeTimers();
    const shown: { title: string; options?: NotificationOptions }[] = [];
    class FakeNotification {
      static permission = 'granted';
      onclick: (() => void) | null = null;
      constructor(title: string, options?: NotificationOptions) {
        shown.push({ title, options });
      }
      close() {}
    }
    vi.stubGlobal('Notification', FakeNotification);
    const hasFocus = vi.spyOn(document, 'hasFocus').mockReturnValue(false);
    try {
      useSettingsStore();
      const queue = useQueueStore();
      queue.start();
      for (let i = 0; i < 7; i++) emit({ type: 'request.pending', request: summary() });
      vi.advanceTimersByTime(1000);
      expect(shown).toHaveLength(1);
      expect(shown[0].title).toBe('7 requests waiting from ci-bot');
    } finally {
      hasFocus.mockRestore();
      vi.unstubAllGlobals();
      vi.useRealTimers();
    }
  });
});
