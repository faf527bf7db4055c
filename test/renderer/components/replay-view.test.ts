// @vitest-environment happy-dom
// The replay view: a streamed answer with direction controls shows markers, and a shredded session
// says what happened to it instead of "no recorded answer text".
import { flushPromises, mount } from '@vue/test-utils';
import { createPinia, setActivePinia } from 'pinia';
import { beforeEach, describe, expect, it, vi } from 'vitest';
import type { SessionRecord } from '../../../gateway/api/types.js';
import { apiMock, resetApiMock } from '../api-mock.js';
import { detail } from '../fixtures.js';

vi.mock('../../../renderer/src/api/client.js', async (orig) => (await import('../api-mock.js')).clientModule(orig));
vi.mock('../../../renderer/src/api/events.js', async () => (await import('../api-mock.js')).eventsModule());

const { default: ReplayView } = await import('../../../renderer/src/views/ReplayView.vue');
const { navigate } = await import('../../../renderer/src/router.js');

async function replay(session: SessionRecord) {
  apiMock.getSession.mockResolvedValue(session);
  navigate({ view: 'replay', id: session.id });
  const w = mount(ReplayView);
  await flushPromises();
  return w;
}

describe('ReplayView', () => {
  beforeEach(() => {
    resetApiMock();
    setActivePinia(createPinia());
  });

  it('shows direction controls in the streamed answer as markers', async () => {
    const request = detail({ status: 'completed', response: { status: 200, body: null, text: 'abc \u202Eevil\u202C done' } });
    const w = await replay({
      id: request.id,
      request,
      timeline: [
        { t: 0, type: 'arrived' },
        { t: 10, type: 'first_byte' },
        { t: 10, type: 'chunk', text: 'abc \u202Eevil' },
        { t: 20, type: 'chunk', text: '\u202C done' },
        { t: 30, type: 'completed' },
      ],
    });
    await w.find('[data-testid="replay-speed-instant"]').trigger('click');
    const output = w.find('[data-testid="replay-output"]');
    expect(output.text()).toBe('abc ⟨RLO⟩evil⟨PDF⟩ done');
    expect(output.element.textContent).not.toMatch(/[\u202A-\u202E]/);
    w.unmount();
  });

  it('the clock keeps recorded time with skip idle on, as the markers do', async () => {
    const request = detail({ status: 'completed', response: { status: 200, body: null, text: 'ok' } });
    const w = await replay({
      id: request.id,
      request,
      timeline: [
        { t: 0, type: 'arrived' },
        { t: 117_000, type: 'approved', by: 'alice' },
        { t: 117_200, type: 'chunk', text: 'ok' },
        { t: 117_300, type: 'completed' },
      ],
    });
    const skip = w.find('[data-testid="replay-skip-idle"]');
    if (!(skip.element as HTMLInputElement).checked) await skip.setValue(true);
    await flushPromises();
    expect(w.find('[data-testid="replay-clock"]').text()).toBe('0:00.0 / 1:57.3');
    w.unmount();
  });

  it('a shredded session: the notice, the metadata, and no player', async () => {
    const request = detail({ status: 'completed', shredded: true, body: null, preview: '' });
    const w = await replay({ id: request.id, request, timeline: [] });
    expect(w.find('[data-testid="shredded"]').text()).toContain('Shredded: the text of this session was destroyed; its metadata and audit trail remain.');
    expect(w.text()).toContain('Replay: ci-bot → gpt-4o');
    expect(w.text()).not.toContain('no recorded answer text');
    expect(w.find('[data-testid="replay-play"]').exists()).toBe(false);
    w.unmount();
  });
});
