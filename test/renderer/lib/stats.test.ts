import { describe, expect, it } from 'vitest';
import { fillHours } from '../../../renderer/src/lib/stats.js';

describe('fillHours', () => {
  it('lists every hour of the window, oldest first, with zeros where nothing happened', () => {
    const now = Date.parse('2026-11-20T10:25:00Z');
    const filled = fillHours([{ hour: '2026-11-20T09:00:00.000Z', total: 5, approved: 3, rejected: 2 }], 3, now);
    expect(filled).toEqual([
      { hour: '2026-11-20T08:00:00.000Z', total: 0, approved: 0, rejected: 0 },
      { hour: '2026-11-20T09:00:00.000Z', total: 5, approved: 3, rejected: 2 },
      { hour: '2026-11-20T10:00:00.000Z', total: 0, approved: 0, rejected: 0 },
    ]);
  });
});
