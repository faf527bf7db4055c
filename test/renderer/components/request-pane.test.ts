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
const { useQueueStore } = await import('../../../renderer/src/stores/queue.js');
const { navigate } = await import('../../../renderer/src/router.js');

async function openPane(role: 'reviewer' | 'auditor' = 'reviewer', d = detail()) {
  const auth = useAuthStore();
  auth.me = { name: 'bob', role };
  auth.status = 'signed-in';
  apiMock.getRequest.mockResolvedValue(d);
  apiMock.claim.mockResolvedValue(d);
  navigate({ view: 'queue', id: d.id });
  const wrapper = mount(RequestPane, { attachTo: document.body });
  await useRequestStore().open(d.id);
  await flushPromises();
  return { wrapper, d };
}

const press = (key: string, target: EventTarget = document.body) => target.dispatchEvent(new KeyboardEvent('keydown', { key, bubbles: true, cancelable: true }));

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

  it('Esc leaves the editor at once when nothing was changed, even from inside the text box', async () => {
    const { wrapper } = await openPane();
    press('e');
    await flushPromises();
    const box = wrapper.find('[data-testid="edit-text"]').element;
    expect(document.activeElement).toBe(box);
    press('Escape', box);
    await flushPromises();
    expect(wrapper.find('[data-testid="edit-panel"]').exists()).toBe(false);
    expect(document.querySelector('[data-testid="discard-edits"]')).toBeNull();
    wrapper.unmount();
  });

  it('Esc with unsaved edits asks first: keep editing keeps them, discard leaves', async () => {
    const { wrapper } = await openPane();
    press('e');
    await flushPromises();
    await wrapper.findAll('[data-testid="edit-text"]')[1].setValue('Summarise the log without names');
    press('Escape', wrapper.find('[data-testid="edit-text"]').element);
    await flushPromises();
    expect(document.querySelector('[data-testid="discard-edits"]')).not.toBeNull();
    document.querySelector<HTMLButtonElement>('[data-testid="keep-editing"]')!.click();
    await flushPromises();
    expect(document.querySelector('[data-testid="discard-edits"]')).toBeNull();
    expect(wrapper.findAll<HTMLTextAreaElement>('[data-testid="edit-text"]')[1].element.value).toBe('Summarise the log without names');

    press('Escape');
    await flushPromises();
    document.querySelector<HTMLButtonElement>('[data-testid="confirm-discard"]')!.click();
    await flushPromises();
    expect(wrapper.find('[data-testid="edit-panel"]').exists()).toBe(false);
    expect(useRequestStore().edited).toBe(false);
    wrapper.unmount();
  });

  it('j/k while editing: typed into the box they are letters; outside it they ask before discarding edits', async () => {
    const other = summary();
    const { wrapper, d } = await openPane();
    const queue = useQueueStore();
    queue.claimed(d);
    queue.claimed(other);
    press('e');
    await flushPromises();
    const box = wrapper.findAll('[data-testid="edit-text"]')[1];
    await box.setValue('Summarise the log without names');
    press('j', box.element);
    press('k', box.element);
    await flushPromises();
    expect(queue.selectedId).toBe(d.id);
    expect(document.querySelector('[data-testid="discard-edits"]')).toBeNull();

    // Focus elsewhere (as after clicking the page): j would open the next item and lose the edit.
    (document.activeElement as HTMLElement).blur();
    const QueueView = (await import('../../../renderer/src/views/QueueView.vue')).default;
    const view = mount(QueueView, { attachTo: document.body });
    press('j');
    await flushPromises();
    expect(queue.selectedId).toBe(d.id);
    expect(document.querySelector('[data-testid="discard-edits"]')).not.toBeNull();
    expect(useRequestStore().edited).toBe(true);
    document.querySelector<HTMLButtonElement>('[data-testid="confirm-discard"]')!.click();
    await flushPromises();
    expect(queue.selectedId).toBe(other.id);
    view.unmount();
    wrapper.unmount();
  });

  it('the remember-scope select is disabled with the buttons when another reviewer decided', async () => {
    const { wrapper, d } = await openPane();
    expect(wrapper.find('[data-testid="remember-scope"]').attributes('disabled')).toBeUndefined();
    apiMock.getRequest.mockResolvedValue({ ...d, status: 'approved' });
    useRequestStore().applySummary({ ...summary({ id: d.id }), status: 'approved', updatedAt: new Date(Date.parse(d.updatedAt) + 5).toISOString() });
    await flushPromises();
    for (const id of ['approve', 'reject', 'edit', 'remember-scope']) expect(wrapper.find(`[data-testid="${id}"]`).attributes('disabled'), id).toBeDefined();
    wrapper.unmount();
  });

  it('shows who else is editing the open request', async () => {
    const until = new Date(Date.now() + 60_000).toISOString();
    const { wrapper } = await openPane('reviewer', detail({ claim: { reviewer: 'alice', until, editing: true } }));
    expect(wrapper.find('[data-testid="claim-badge"]').text()).toBe('alice is editing');
    wrapper.unmount();
  });

  it('a shredded session says so instead of showing an empty request', async () => {
    const decided = { action: 'approve' as const, reviewer: 'alice', reason: null, note: null, edited: false, at: '2026-11-20T10:01:00.000Z' };
    const { wrapper } = await openPane('reviewer', detail({ status: 'completed', shredded: true, body: null, preview: '', decisions: [decided] }));
    expect(wrapper.find('[data-testid="shredded"]').text()).toContain('Shredded: the text of this session was destroyed; its metadata and audit trail remain.');
    expect(wrapper.text()).not.toContain('{}');
    expect(wrapper.find('[data-testid="conversation"]').exists()).toBe(false);
    expect(wrapper.find('[role="tablist"]').exists()).toBe(false);
    expect(wrapper.find('[data-testid="open-replay"]').exists()).toBe(false);
    expect(wrapper.find('[data-testid="decision"]').text()).toContain('Approved by alice');
    expect(wrapper.find('[data-testid="detail-title"]').text()).toContain('ci-bot');
    wrapper.unmount();
  });

  it('with nothing waiting, says how to send a first request instead of "press j"', async () => {
    const auth = useAuthStore();
    auth.me = { name: 'bob', role: 'reviewer' };
    auth.status = 'signed-in';
    navigate({ view: 'queue' });
    const wrapper = mount(RequestPane);
    const hint = wrapper.find('[data-testid="first-request"]');
    expect(hint.text()).toContain(`${location.origin}/v1`);
    expect(hint.text()).toContain('airlock callers add <name>');
    expect(wrapper.text()).not.toContain('press');
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
