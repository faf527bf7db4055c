// @vitest-environment happy-dom
import { createPinia, setActivePinia } from 'pinia';
import { beforeEach, describe, expect, it, vi } from 'vitest';
import { apiMock, resetApiMock, stream } from '../api-mock.js';
import { summary } from '../fixtures.js';

vi.mock('../../../renderer/src/api/client.js', async (orig) => (await import('../api-mock.js')).clientModule(orig));
vi.mock('../../../renderer/src/api/events.js', async () => (await import('../api-mock.js')).eventsModule());

const { ApiError } = await import('../../../renderer/src/api/client.js');
const { useAuthStore } = await import('../../../renderer/src/stores/auth.js');
const { useHistoryStore, filterQuery, emptyFilters } = await import('../../../renderer/src/stores/history.js');
const { useSettingsStore } = await import('../../../renderer/src/stores/settings.js');

describe('useAuthStore', () => {
  beforeEach(() => {
    resetApiMock();
    setActivePinia(createPinia());
    localStorage.clear();
    delete window.airlockDesktop;
  });

  it('restores an existing session and starts the live queue', async () => {
    apiMock.me.mockResolvedValue({ name: 'alice', role: 'reviewer' });
    const auth = useAuthStore();
    await auth.restore();
    expect(auth.signedIn).toBe(true);
    expect(stream.handlers).not.toBeNull();
  });

  it('shows the login form without a session, and logs in with a token it does not keep', async () => {
    apiMock.me.mockRejectedValue(new ApiError(401, 'unauthorized', 'Log in'));
    const auth = useAuthStore();
    await auth.restore();
    expect(auth.status).toBe('anonymous');
    apiMock.login.mockRejectedValueOnce(new ApiError(401, 'unauthorized', 'Unknown')).mockResolvedValueOnce({ name: 'alice', role: 'admin' });
    expect(await auth.login('wrong')).toBe(false);
    expect(auth.error).toBe('That token was not accepted.');
    expect(await auth.login('  rt_good  ')).toBe(true);
    expect(apiMock.login).toHaveBeenLastCalledWith('rt_good');
    expect(JSON.stringify(localStorage)).not.toContain('rt_good');
    expect(JSON.stringify(auth.$state)).not.toContain('rt_good');
  });

  it('logs in by itself in the desktop window with the desktop reviewer token', async () => {
    apiMock.me.mockRejectedValue(new ApiError(401, 'unauthorized', 'Log in'));
    apiMock.login.mockResolvedValue({ name: 'desktop', role: 'admin' });
    window.airlockDesktop = {
      getReviewerToken: async () => 'rt_desktop',
      onOpenRequest: () => () => undefined,
      onOpenSettings: () => () => undefined,
      getSettings: vi.fn(),
      saveSettings: vi.fn(),
      setPassphrase: vi.fn(),
    };
    const auth = useAuthStore();
    await auth.restore();
    expect(apiMock.login).toHaveBeenCalledWith('rt_desktop');
    expect(auth.me?.name).toBe('desktop');
    delete window.airlockDesktop;
  });

  it('an expired session signs out and says so; logout stops the stream', async () => {
    apiMock.me.mockResolvedValue({ name: 'alice', role: 'reviewer' });
    const auth = useAuthStore();
    await auth.restore();
    auth.expire();
    expect(auth.signedIn).toBe(false);
    expect(auth.expired).toBe(true);
    expect(stream.closed).toBe(1);
    await auth.login('rt');
    await auth.logout();
    expect(apiMock.logout).toHaveBeenCalled();
    expect(auth.expired).toBe(false);
  });
});

describe('useHistoryStore', () => {
  beforeEach(() => {
    resetApiMock();
    setActivePinia(createPinia());
  });

  it('turns filters into a server query', () => {
    const q = filterQuery({ ...emptyFilters(), status: 'rejected', caller: ' ci-bot ', q: 'secret', since: '2026-11-20T10:00' });
    expect(q).toMatchObject({ status: 'rejected', caller: 'ci-bot', q: 'secret', limit: 50 });
    expect(q.since).toBe(new Date('2026-11-20T10:00').toISOString());
    expect(q.until).toBeUndefined();
  });

  it('pages with the cursor and drops answers to superseded searches', async () => {
    const history = useHistoryStore();
    const first = summary();
    let slow!: (v: unknown) => void;
    apiMock.listRequests.mockReturnValueOnce(new Promise((r) => (slow = r))).mockResolvedValueOnce({ items: [first], next: 'c2', total: 2 });
    const stale = history.setFilters({ q: 'old' });
    await history.setFilters({ q: 'new' });
    slow({ items: [summary(), summary()], next: null });
    await stale;
    expect(history.items.map((i) => i.id)).toEqual([first.id]);
    const second = summary();
    apiMock.listRequests.mockResolvedValueOnce({ items: [second], next: null });
    await history.loadMore();
    expect(apiMock.listRequests).toHaveBeenLastCalledWith(expect.objectContaining({ q: 'new', cursor: 'c2' }));
    expect(history.items.map((i) => i.id)).toEqual([first.id, second.id]);
    expect(history.next).toBeNull();
  });
});

describe('useSettingsStore', () => {
  beforeEach(() => {
    setActivePinia(createPinia());
    localStorage.clear();
  });

  it('keeps preferences across reloads, with finished notifications off by default', () => {
    const settings = useSettingsStore();
    expect(settings.prefs).toEqual({ sound: false, notifyPending: true, notifyFinished: false });
    settings.setPref('sound', true);
    setActivePinia(createPinia());
    expect(useSettingsStore().prefs.sound).toBe(true);
  });
});
