import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { batchTitle, createNotifier, describeRequest, firstWords, pendingTitle, type NotificationPrefs } from '../../main/notifications.js';
import { FakeNotification, fakeGateway, summary, type FakeGateway } from './fakes.js';

describe('notifications', () => {
  let gateway: FakeGateway;
  let openRequest: ReturnType<typeof vi.fn<(id: string) => void>>;
  let prefs: NotificationPrefs;
  const start = (platform: NodeJS.Platform = 'linux') =>
    createNotifier({
      Notification: FakeNotification,
      gateway,
      prefs: () => prefs,
      openRequest,
      reviewer: 'desktop',
      platform,
      batchMs: 1000,
    });

  beforeEach(() => {
    vi.useFakeTimers();
    FakeNotification.reset();
    gateway = fakeGateway();
    openRequest = vi.fn();
    prefs = { notifyPending: true, notifyFinished: false };
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it('raises one notification per pending request saying caller, model and the first words', () => {
    start();
    gateway.arrive(summary({ id: 'req_a', caller: 'ci-bot', model: 'gpt-4o' }));
    vi.advanceTimersByTime(1000);
    expect(FakeNotification.instances).toHaveLength(1);
    const [n] = FakeNotification.instances;
    expect(n.show).toHaveBeenCalled();
    expect(n.title).toBe('Waiting for you: ci-bot');
    expect(n.body).toBe('gpt-4o · “Summarize the incident report from last night and list every action item…”');
    expect(n.options.actions).toBeUndefined(); // not macOS: no actions rather than fake ones
  });

  it('folds a burst into one notification', () => {
    start();
    for (let i = 0; i < 7; i++) gateway.arrive(summary({ caller: 'ci-bot' }));
    vi.advanceTimersByTime(1000);
    expect(FakeNotification.instances).toHaveLength(1);
    expect(FakeNotification.instances[0].title).toBe('7 requests waiting from ci-bot');
    expect(FakeNotification.instances[0].body).toContain('gpt-4o');
  });

  it('names several callers in a burst and starts a new batch after the window', () => {
    start();
    gateway.arrive(summary({ caller: 'ci-bot' }));
    gateway.arrive(summary({ caller: 'agent' }));
    gateway.arrive(summary({ caller: 'nightly' }));
    vi.advanceTimersByTime(1000);
    expect(FakeNotification.instances[0].title).toBe('3 requests waiting from ci-bot, agent and 1 other');
    gateway.arrive(summary({ caller: 'agent', model: 'claude-sonnet-4' }));
    vi.advanceTimersByTime(1000);
    expect(FakeNotification.instances).toHaveLength(2);
    expect(FakeNotification.instances[1].title).toBe('Waiting for you: agent');
  });

  it('does not announce what was decided before the burst ended', () => {
    start();
    const a = summary();
    gateway.arrive(a);
    void gateway.decide(a.id, { action: 'approve', reviewer: 'alice' });
    vi.advanceTimersByTime(1000);
    expect(FakeNotification.instances).toHaveLength(0);
  });

  it('opens the window on the request when clicked (a batch: on its first request)', () => {
    start();
    gateway.arrive(summary({ id: 'req_one' }));
    vi.advanceTimersByTime(1000);
    FakeNotification.instances[0].emit('click');
    expect(openRequest).toHaveBeenCalledWith('req_one');

    gateway.arrive(summary({ id: 'req_first' }));
    gateway.arrive(summary({ id: 'req_second' }));
    vi.advanceTimersByTime(1000);
    FakeNotification.instances[1].emit('click');
    expect(openRequest).toHaveBeenLastCalledWith('req_first');
  });

  it('on macOS offers Approve and Reject that really decide', async () => {
    start('darwin');
    gateway.arrive(summary({ id: 'req_mac' }));
    gateway.arrive(summary({ id: 'req_mac2' }));
    vi.advanceTimersByTime(1000);
    // A batch offers no actions: which request would they decide?
    expect(FakeNotification.instances[0].options.actions).toBeUndefined();

    gateway.arrive(summary({ id: 'req_ok' }));
    vi.advanceTimersByTime(1000);
    const approveable = FakeNotification.instances[1];
    expect(approveable.options.actions?.map((a) => a.text)).toEqual(['Approve', 'Reject']);
    approveable.emit('action', {}, 0);
    await vi.runAllTimersAsync();
    expect(gateway.decide).toHaveBeenCalledWith('req_ok', { action: 'approve', reviewer: 'desktop', reason: undefined });

    gateway.arrive(summary({ id: 'req_no' }));
    vi.advanceTimersByTime(1000);
    FakeNotification.instances[2].emit('action', {}, 1);
    await vi.runAllTimersAsync();
    expect(gateway.decide).toHaveBeenLastCalledWith('req_no', {
      action: 'reject',
      reviewer: 'desktop',
      reason: 'Rejected from a desktop notification',
    });
    expect(gateway.pending.has('req_no')).toBe(false);
  });

  it('sends a request claimed by another reviewer to the console instead of deciding it', async () => {
    start('darwin');
    const request = summary({ id: 'req_claimed' });
    gateway.arrive(request);
    vi.advanceTimersByTime(1000);
    gateway.events.emit('request.updated', { ...request, claim: { reviewer: 'alice', until: new Date(Date.now() + 60_000).toISOString() } });
    FakeNotification.instances[0].emit('action', {}, 0);
    await vi.runAllTimersAsync();
    expect(gateway.decide).not.toHaveBeenCalled();
    expect(openRequest).toHaveBeenCalledWith('req_claimed');
  });

  it('closes a request\'s notification once it is decided elsewhere', () => {
    start();
    const request = summary();
    gateway.arrive(request);
    vi.advanceTimersByTime(1000);
    void gateway.decide(request.id, { action: 'reject', reviewer: 'alice', reason: 'no' });
    expect(FakeNotification.instances[0].close).toHaveBeenCalled();
  });

  it('warns a minute before a hold times out', () => {
    start();
    gateway.arrive(summary({ id: 'req_slow', timeoutAt: new Date(Date.now() + 5 * 60_000).toISOString() }));
    vi.advanceTimersByTime(1000);
    expect(FakeNotification.instances).toHaveLength(1);
    vi.advanceTimersByTime(4 * 60_000 - 1000);
    expect(FakeNotification.instances).toHaveLength(2);
    expect(FakeNotification.instances[1].title).toBe('About to time out: ci-bot');
  });

  it('keeps "finished/failed" off by default, and uses a separate notification when on', () => {
    start();
    const done = summary({ id: 'req_done', status: 'completed' });
    gateway.events.emit('request.completed', done);
    expect(FakeNotification.instances).toHaveLength(0);
    prefs.notifyFinished = true;
    gateway.events.emit('request.completed', done);
    gateway.events.emit('request.completed', summary({ id: 'req_bad', status: 'failed', caller: 'agent' }));
    expect(FakeNotification.instances.map((n) => n.title)).toEqual(['Finished: ci-bot', 'Failed: agent']);
  });

  it('stays quiet when pending notifications are turned off', () => {
    start();
    prefs.notifyPending = false;
    gateway.arrive(summary());
    vi.advanceTimersByTime(1000);
    expect(FakeNotification.instances).toHaveLength(0);
  });

  it('stops listening on dispose', () => {
    const notifier = start();
    notifier.dispose();
    gateway.arrive(summary());
    vi.advanceTimersByTime(1000);
    expect(FakeNotification.instances).toHaveLength(0);
    expect(gateway.events.listenerCount('request.pending')).toBe(0);
  });
});

describe('notification text', () => {
  it('cuts the preview to its first words', () => {
    expect(firstWords('  one\ntwo   three ')).toBe('one two three');
    expect(firstWords('a b c d e', 3)).toBe('a b c…');
    expect(firstWords('x'.repeat(200))).toHaveLength(91);
  });

  it('mentions folded duplicates and an empty preview gracefully', () => {
    expect(describeRequest(summary({ model: 'm', preview: '', duplicates: 2 }))).toBe('m (+2 identical)');
    // Direction controls would reorder the notification's text: they show as markers instead.
    expect(describeRequest(summary({ model: 'gpt\u202E4o', preview: 'abc \u202Eevil\u202C done', duplicates: 0 }))).toBe('gpt⟨RLO⟩4o · “abc ⟨RLO⟩evil⟨PDF⟩ done”');
  });

  it('tells a held answer from a held request', () => {
    expect(pendingTitle(summary({ caller: 'agent', phase: 'response' }))).toBe('Answer to review: agent');
    expect(pendingTitle(summary({ caller: 'agent' }))).toBe('Waiting for you: agent');
  });

  it('counts callers in a batch title', () => {
    expect(batchTitle([summary({ caller: 'a' }), summary({ caller: 'b' })])).toBe('2 requests waiting from a and b');
  });
});
