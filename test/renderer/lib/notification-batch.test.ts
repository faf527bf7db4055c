import { describe, expect, it } from 'vitest';
import { firstWords, NotificationBatcher, summarize, type BatchedNotice, type BatchTimers } from '../../../renderer/src/lib/notification-batch.js';

function fakeTimers() {
  let now = 0;
  let seq = 0;
  const pending = new Map<number, { at: number; fn: () => void }>();
  const timers: BatchTimers = {
    now: () => now,
    setTimeout: (fn, ms) => {
      pending.set(++seq, { at: now + ms, fn });
      return seq;
    },
    clearTimeout: (h) => void pending.delete(h as number),
  };
  const advance = (ms: number) => {
    now += ms;
    for (const [id, t] of [...pending.entries()].sort((a, b) => a[1].at - b[1].at)) {
      if (t.at <= now) {
        pending.delete(id);
        t.fn();
      }
    }
  };
  return { timers, advance };
}

const notice = (i: number, caller = 'ci-bot') => ({ id: `r${i}`, caller, model: 'gpt-4o', preview: `prompt number ${i}` });

describe('summarize', () => {
  it('says who, which model and the first words for one request', () => {
    expect(summarize([notice(1)])).toEqual({ title: 'ci-bot · gpt-4o is waiting', body: 'prompt number 1', focusId: 'r1', ids: ['r1'] });
  });

  it('counts a burst and names the callers, busiest first', () => {
    const items = [notice(1, 'deploy'), ...[2, 3, 4, 5, 6, 7].map((i) => notice(i))];
    const s = summarize(items);
    expect(s.title).toBe('7 requests waiting from ci-bot and deploy');
    expect(s.focusId).toBe('r7');
    expect(summarize([notice(1, 'a'), notice(2, 'b'), notice(3, 'c'), notice(4, 'd')]).title).toBe('4 requests waiting from a, b and 2 others');
    expect(summarize([1, 2, 3, 4, 5, 6, 7].map((i) => notice(i))).title).toBe('7 requests waiting from ci-bot');
  });

  it('cuts previews to their first words', () => {
    expect(firstWords('one two three four', 2)).toBe('one two…');
    expect(firstWords('  spaced   out  ')).toBe('spaced out');
  });
});

describe('NotificationBatcher', () => {
  it('turns a burst into one notification', () => {
    const { timers, advance } = fakeTimers();
    const sent: BatchedNotice[] = [];
    const b = new NotificationBatcher((n) => sent.push(n), { windowMs: 400, cooldownMs: 4000, timers });
    for (let i = 1; i <= 7; i++) b.add(notice(i));
    expect(sent).toHaveLength(0);
    advance(400);
    expect(sent).toHaveLength(1);
    expect(sent[0].title).toBe('7 requests waiting from ci-bot');
  });

  it('holds a steady trickle to one notification per cool-down', () => {
    const { timers, advance } = fakeTimers();
    const sent: BatchedNotice[] = [];
    const b = new NotificationBatcher((n) => sent.push(n), { windowMs: 400, cooldownMs: 4000, timers });
    b.add(notice(1));
    advance(400);
    expect(sent).toHaveLength(1);
    for (let i = 2; i <= 6; i++) {
      b.add(notice(i));
      advance(500);
    }
    expect(sent).toHaveLength(1);
    advance(2000);
    expect(sent).toHaveLength(2);
    expect(sent[1].ids).toEqual(['r2', 'r3', 'r4', 'r5', 'r6']);
  });

  it('forgets requests decided before the notification went out, and ignores repeats', () => {
    const { timers, advance } = fakeTimers();
    const sent: BatchedNotice[] = [];
    const b = new NotificationBatcher((n) => sent.push(n), { windowMs: 400, timers });
    b.add(notice(1));
    b.add(notice(1));
    b.add(notice(2));
    b.remove('r2');
    advance(400);
    expect(sent.map((s) => s.ids)).toEqual([['r1']]);
    b.add(notice(3));
    b.remove('r3');
    advance(10_000);
    expect(sent).toHaveLength(1);
  });
});
