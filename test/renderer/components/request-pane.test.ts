// @vitest-environment happy-dom
import { flushPromises, mount } from '@vue/test-utils';
import { createPinia, setActivePinia } from 'pinia';
import { beforeEach, describe, expect, it, vi } from 'vitest';
import { apiMock, resetApiMock } from '../api-mock.js';
import { detail, summary } from '../fixtures.js';

vi.mock('../../../renderer/src/api/client.js', async (orig) => (await import('../api-mock.js')).clientModule(orig));
vi.mock('../../../renderer/src/api/events.js', async () => (await import('../api-mock.js')).eventsModule());

const RequestPane = (await import('../../../renderer/src/components/RequestPane.vue')).default;
const { useRequestStore } = await import('../../../renderer/src/stores/request.js');
const { useAuthStore } = await import('../../../renderer/src/stores/auth.js');
const { navigate } = await import('../../../renderer/src/router.js');

async function openPane(role: 'reviewer' | 'auditor' = 'reviewer') {
  const auth = useAuthStore();
  auth.me = { name: 'bob', role };
  auth.status = 'signed-in';
  const d = detail();
  apiMock.getRequest.mockResolvedValue(d);
  apiMock.claim.mockResolvedValue(d);
  navigate({ view: 'queue', id: d.id });
  const wrapper = mount(RequestPane, { attachTo: document.body });
  await useRequestStore().open(d.id);
  await flushPromises();
  return { wrapper, d };
}

const press = (key: string, target: EventTarget = document.body) => target.dispatchEvent(new KeyboardEvent('keydown', { key, bubbles: true }));

describe('RequestPane', () => {
  beforeEach(() => {
    resetApiMock();
    setActivePinia(createPinia());
    document.body.innerHTML = '';
  });

  it('rejects with a reason from the keyboard: r focuses the reason, Enter sends', async () => {
    const { wrapper, d } = await openPane();
    apiMock.reject.mockResolvedValue({ ...d, status: 'rejected' });
    press('r');
    await flushPromises();
    const reason = document.querySelector<HTMLTextAreaElement>('[data-testid="reject-reason"]')!;
    expect(reason).not.toBeNull();
    expect(document.activeElement).toBe(reason);
    reason.value = 'Contains a customer email';
    reason.dispatchEvent(new Event('input'));
    reason.dispatchEvent(new KeyboardEvent('keydown', { key: 'Enter', bubbles: true }));
    await flushPromises();
    expect(apiMock.reject).toHaveBeenCalledWith(d.id, { reason: 'Contains a customer email' });
    wrapper.unmount();
  });

  it('offers preset reasons', async () => {
    const { wrapper } = await openPane();
    await wrapper.find('[data-testid="reject"]').trigger('click');
    const presets = [...document.querySelectorAll<HTMLButtonElement>('[aria-label="Preset reasons"] button')];
    expect(presets.length).toBeGreaterThanOrEqual(3);
    presets[0].click();
    await flushPromises();
    expect(document.querySelector<HTMLTextAreaElement>('[data-testid="reject-reason"]')!.value).toBe(presets[0].textContent!.trim());
    wrapper.unmount();
  });

  it('moves between approve and reject with the arrow keys and approves with a', async () => {
    const { wrapper, d } = await openPane();
    apiMock.approve.mockResolvedValue({ ...d, status: 'approved' });
    const approve = wrapper.find<HTMLButtonElement>('[data-testid="approve"]').element;
    const reject = wrapper.find<HTMLButtonElement>('[data-testid="reject"]').element;
    approve.focus();
    press('ArrowRight', approve);
    expect(document.activeElement).toBe(reject);
    press('ArrowLeft', reject);
    expect(document.activeElement).toBe(approve);
    press('a');
    await flushPromises();
    expect(apiMock.approve).toHaveBeenCalledWith(d.id, {});
    wrapper.unmount();
  });

  it('disables the buttons the moment the request is decided elsewhere', async () => {
    const { wrapper, d } = await openPane();
    expect(wrapper.find('[data-testid="approve"]').attributes('disabled')).toBeUndefined();
    apiMock.getRequest.mockResolvedValue({ ...d, status: 'timed_out' });
    useRequestStore().applySummary({ ...summary({ id: d.id }), status: 'timed_out', updatedAt: new Date(Date.parse(d.updatedAt) + 5).toISOString() });
    await wrapper.vm.$nextTick();
    expect(wrapper.find('[data-testid="approve"]').attributes('disabled')).toBeDefined();
    expect(wrapper.find('[data-testid="reject"]').attributes('disabled')).toBeDefined();
    expect(wrapper.find('[data-testid="decided-elsewhere"]').text()).toContain('timed out');
    wrapper.unmount();
  });

  it('edits in place and shows the edit against the original', async () => {
    const { wrapper } = await openPane();
    press('e');
    await flushPromises();
    const areas = wrapper.findAll('[data-testid="edit-text"]');
    expect(areas).toHaveLength(2);
    await areas[1].setValue('Summarise the deployment log without names');
    expect(wrapper.findAll('[data-diff="added"]').map((e) => e.text()).join(' ')).toContain('without names');
    expect(wrapper.find('[data-testid="approve"]').text()).toContain('Approve edited');
    wrapper.unmount();
  });

  it('hides the decision for an auditor', async () => {
    const { wrapper } = await openPane('auditor');
    expect(wrapper.find('[data-testid="approve"]').exists()).toBe(false);
    expect(wrapper.text()).toContain('Read-only');
    wrapper.unmount();
  });

  it('gives every control an accessible name', async () => {
    const { wrapper } = await openPane();
    for (const el of wrapper.findAll('button, input, textarea, select')) {
      const name = el.attributes('aria-label') ?? el.text().trim() ?? '';
      expect(name, el.html()).not.toBe('');
    }
    wrapper.unmount();
  });
});
