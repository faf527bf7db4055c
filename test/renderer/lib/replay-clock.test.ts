import { describe, expect, it } from 'vitest';
import type { TimelineEvent } from '../../../gateway/api/types.js';
import { buildTrack, findText, recordedTime, ReplayClock, textAt, trackPosition } from '../../../renderer/src/lib/replay-clock.js';

const timeline: TimelineEvent[] = [
  { t: 0, type: 'arrived' },
  { t: 5, type: 'notified' },
  { t: 2000, type: 'claimed', by: 'alice' },
  { t: 60_000, type: 'approved', by: 'alice' },
  { t: 60_300, type: 'first_byte' },
  { t: 60_300, type: 'chunk', text: 'Hello' },
  { t: 60_500, type: 'chunk', text: ', world' },
  { t: 61_000, type: 'chunk', text: '!' },
  { t: 61_050, type: 'completed' },
];

describe('buildTrack', () => {
  it('keeps the recorded timing and labels markers with who', () => {
    const track = buildTrack(timeline);
    expect(track.duration).toBe(61_050);
    expect(track.markers.map((m) => m.label)).toEqual(['Arrived', 'Notified', 'Claimed by alice', 'Approved by alice', 'First byte', 'Completed']);
    expect(textAt(track, 60_299)).toBe('');
    expect(textAt(track, 60_300)).toBe('Hello');
    expect(textAt(track, 60_700)).toBe('Hello, world');
    expect(textAt(track, track.duration)).toBe('Hello, world!');
  });

  it('tells opening the editor apart from the edit that was approved', () => {
    const track = buildTrack([
      { t: 0, type: 'arrived' },
      { t: 1000, type: 'edited', by: 'alice', detail: 'started editing' },
      { t: 9000, type: 'edited', by: 'alice' },
      { t: 9000, type: 'approved', by: 'alice' },
    ]);
    expect(track.markers.map((m) => m.label)).toEqual(['Arrived', 'Started editing by alice', 'Edited by alice', 'Approved by alice']);
  });

  it('squeezes idle gaps when skipping idle, and maps positions back to recorded time', () => {
    const track = buildTrack(timeline, { idleLimitMs: 2000 });
    // 0→5→2000 stay, 2000→60000 becomes 2000, the rest stays.
    expect(track.duration).toBe(2000 + 2000 + 1050);
    const approved = track.markers.find((m) => m.type === 'approved')!;
    expect(approved.at).toBe(4000);
    expect(approved.t).toBe(60_000);
    expect(recordedTime(track, 4000)).toBe(60_000);
    expect(trackPosition(track, 60_500)).toBe(4500);
    expect(recordedTime(track, 3000)).toBe(31_000);
  });

  it('shows a non-streamed answer whole at completion', () => {
    const track = buildTrack([{ t: 0, type: 'arrived' }, { t: 900, type: 'completed' }], { fallbackText: 'All done' });
    expect(textAt(track, 899)).toBe('');
    expect(textAt(track, 900)).toBe('All done');
  });

  it('finds when a text first became visible', () => {
    const track = buildTrack(timeline);
    expect(findText(track, 'WORLD')).toBe(60_500);
    expect(findText(track, 'absent')).toBeNull();
  });
});

describe('ReplayClock', () => {
  it('plays at a speed, pauses, seeks, stops at the end and restarts from zero', () => {
    let now = 0;
    const clock = new ReplayClock(1000, () => now);
    clock.play();
    now = 100;
    expect(clock.position()).toBe(100);
    clock.setSpeed(10);
    now = 150;
    expect(clock.position()).toBe(600);
    clock.pause();
    now = 400;
    expect(clock.position()).toBe(600);
    expect(clock.playing).toBe(false);
    clock.seek(900);
    clock.play();
    now = 1000;
    expect(clock.position()).toBe(1000);
    expect(clock.playing).toBe(false);
    clock.play();
    expect(clock.position()).toBe(0);
  });

  it('stays stopped when seeking after the end, and keeps playing when seeking while playing', () => {
    let now = 0;
    const clock = new ReplayClock(100, () => now);
    clock.play();
    now = 500;
    clock.seek(0);
    expect(clock.playing).toBe(false);
    now = 600;
    expect(clock.position()).toBe(0);
    clock.play();
    now = 620;
    clock.seek(50);
    expect(clock.playing).toBe(true);
    now = 640;
    expect(clock.position()).toBe(70);
  });

  it('jumps to the end on "instant"', () => {
    let now = 0;
    const clock = new ReplayClock(5000, () => now);
    clock.play();
    clock.setSpeed('instant');
    expect(clock.position()).toBe(5000);
    now = 10;
    expect(clock.playing).toBe(false);
  });

  it('toggles like the space bar', () => {
    let now = 0;
    const clock = new ReplayClock(1000, () => now);
    clock.toggle();
    expect(clock.playing).toBe(true);
    now = 50;
    clock.toggle();
    expect(clock.playing).toBe(false);
    expect(clock.position()).toBe(50);
  });
});
