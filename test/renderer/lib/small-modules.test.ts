import { describe, expect, it } from 'vitest';
import { countdown, formatClock, formatDuration, formatWait } from '../../../renderer/src/lib/duration.js';
import { formatRoute, parseRoute } from '../../../renderer/src/lib/route.js';
import { estimateTokens, formatTokens, heuristicTokens, loadTokenizer, tokenizerLoaded } from '../../../renderer/src/lib/tokens.js';

describe('durations', () => {
  it('formats waits, clocks and stats', () => {
    expect(formatDuration(45_000)).toBe('45s');
    expect(formatDuration(192_000)).toBe('3m 12s');
    expect(formatDuration(2 * 3_600_000 + 5 * 60_000)).toBe('2h 05m');
    expect(formatDuration(27 * 3_600_000)).toBe('1d 3h');
    expect(formatClock(3200)).toBe('0:03.2');
    expect(formatClock(3_723_000)).toBe('1:02:03');
    expect(formatWait(850)).toBe('850 ms');
    expect(formatWait(12_300)).toBe('12.3 s');
  });

  it('warns inside the last minute of a countdown', () => {
    const now = Date.parse('2026-11-20T10:00:00Z');
    expect(countdown('2026-11-20T10:05:00Z', now)).toMatchObject({ text: '5m 00s', warning: false, expired: false });
    expect(countdown('2026-11-20T10:00:59Z', now)).toMatchObject({ text: '59s', warning: true, expired: false });
    expect(countdown('2026-11-20T09:59:00Z', now)).toMatchObject({ text: 'timing out', expired: true });
    expect(countdown(null, now)).toBeNull();
  });
});

describe('routes', () => {
  it('round-trips every view', () => {
    expect(parseRoute('')).toEqual({ view: 'queue', id: null, t: null });
    expect(parseRoute('#/queue/req_1')).toEqual({ view: 'queue', id: 'req_1', t: null });
    expect(parseRoute('#/replay/req_2?t=1500')).toEqual({ view: 'replay', id: 'req_2', t: 1500 });
    expect(parseRoute('#/dashboard/x')).toEqual({ view: 'dashboard', id: null, t: null });
    expect(parseRoute('#/rules')).toEqual({ view: 'rules', id: null, t: null });
    expect(parseRoute('#/nonsense')).toEqual({ view: 'queue', id: null, t: null });
    expect(formatRoute({ view: 'replay', id: 'a/b', t: 12.6 })).toBe('#/replay/a%2Fb?t=13');
    expect(parseRoute(formatRoute({ view: 'history', id: 'a/b' }))).toEqual({ view: 'history', id: 'a/b', t: null });
  });
});

describe('token estimates', () => {
  it('estimates at once and exactly once the tokenizer is loaded', async () => {
    expect(heuristicTokens('')).toBe(0);
    expect(heuristicTokens('abcdefgh')).toBe(2);
    await loadTokenizer();
    expect(tokenizerLoaded()).toBe(true);
    expect(estimateTokens('hello world')).toBe(2);
    expect(formatTokens(950)).toBe('950');
    expect(formatTokens(1234)).toBe('1.2k');
    expect(formatTokens(45_678)).toBe('46k');
  });
});
