// @vitest-environment happy-dom
import { mount } from '@vue/test-utils';
import { describe, expect, it } from 'vitest';
import QueueRow from '../../../renderer/src/components/QueueRow.vue';
import { summary } from '../fixtures.js';

describe('QueueRow', () => {
  const now = Date.parse('2026-11-20T10:10:00Z');

  it('shows caller, model, protocol, wait, policy, preview, tokens and countdown', () => {
    const s = summary({ createdAt: '2026-11-20T10:07:00Z', timeoutAt: '2026-11-20T10:15:00Z', tokens: 1234, preview: 'Summarise <b>this</b>' });
    const w = mount(QueueRow, { props: { request: s, now, selected: false, claimedBy: null } });
    const text = w.text();
    for (const part of ['ci-bot', 'gpt-4o', 'chat', 'waited 3m 00s', 'policy review-all', 'Summarise <b>this</b>', '1.2k tokens', '5m 00s']) expect(text).toContain(part);
    expect(w.find('b').exists()).toBe(false);
    expect(w.find('[data-testid="countdown"]').attributes('data-warning')).toBeUndefined();
  });

  it('warns inside the last minute, shows the claim and the duplicate count', () => {
    const s = summary({ timeoutAt: '2026-11-20T10:10:30Z', duplicates: 3 });
    const w = mount(QueueRow, { props: { request: s, now, selected: true, claimedBy: { reviewer: 'alice', until: '2026-11-20T10:11:00Z' } } });
    expect(w.find('[data-testid="countdown"]').attributes('data-warning')).toBe('true');
    expect(w.find('[data-testid="claim-badge"]').text()).toBe('alice is reviewing');
    expect(w.find('[data-testid="duplicates"]').text()).toBe('×4');
    expect(w.attributes('aria-current')).toBe('true');
  });

  it('says when the other reviewer is editing, not only reviewing', () => {
    const w = mount(QueueRow, { props: { request: summary(), now, selected: false, claimedBy: { reviewer: 'alice', until: '2026-11-20T10:11:00Z', editing: true } } });
    expect(w.find('[data-testid="claim-badge"]').text()).toBe('alice is editing');
  });

  it('shows direction controls in the preview and the model as markers, not applied', () => {
    const s = summary({ preview: 'abc \u202Eevil\u202C done', model: 'gpt\u202E-4o' });
    const w = mount(QueueRow, { props: { request: s, now, selected: false, claimedBy: null } });
    const preview = w.find('[data-testid="queue-preview"]');
    expect(preview.text()).toBe('abc ⟨RLO⟩evil⟨PDF⟩ done');
    expect(preview.element.textContent).not.toMatch(/[\u202A-\u202E]/);
    expect(preview.findAll('[data-testid="direction-control"]').map((m) => m.attributes('title'))).toEqual([
      expect.stringContaining('U+202E RIGHT-TO-LEFT OVERRIDE'),
      expect.stringContaining('U+202C POP DIRECTIONAL FORMATTING'),
    ]);
    expect(w.text()).toContain('gpt⟨RLO⟩-4o');
  });

  it('emits select with its id', async () => {
    const s = summary();
    const w = mount(QueueRow, { props: { request: s, now, selected: false, claimedBy: null } });
    await w.trigger('click');
    expect(w.emitted('select')).toEqual([[s.id]]);
  });
});
