// @vitest-environment happy-dom
// The Export screen against a mocked API: the debounced estimate, raw for admins only with its warning, the streamed
// export with its progress bar and the saved file, and the signing key with the verify command.
import { flushPromises, mount } from '@vue/test-utils';
import { createPinia, setActivePinia } from 'pinia';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { apiMock, resetApiMock } from '../api-mock.js';

vi.mock('../../../renderer/src/api/client.js', async (orig) => (await import('../api-mock.js')).clientModule(orig));
vi.mock('../../../renderer/src/api/events.js', async () => (await import('../api-mock.js')).eventsModule());
const saved: { blob: Blob; name: string }[] = [];
vi.mock('../../../renderer/src/platform/download.js', () => ({ saveBlob: (blob: Blob, name: string) => void saved.push({ blob, name }) }));

const { default: ExportView } = await import('../../../renderer/src/views/ExportView.vue');
const { useAuthStore } = await import('../../../renderer/src/stores/auth.js');
const { ESTIMATE_DELAY_MS, exportFiltersBody, useExportStore } = await import('../../../renderer/src/stores/export.js');
const { bundleFileName, progressPercent, formatSessions } = await import('../../../renderer/src/lib/export-bundle.js');

const KEY = { algorithm: 'Ed25519', gatewayId: 'gw_1', fingerprint: 'SHA256:abc+def/ghi', publicKey: '-----BEGIN PUBLIC KEY-----\nMCowBQYDK2VwAyEA\n-----END PUBLIC KEY-----\n' };

/** A body the test feeds chunk by chunk, so it can look at the bar between them. */
function controlledBody() {
  let ctrl!: ReadableStreamDefaultController<Uint8Array>;
  const body = new ReadableStream<Uint8Array>({ start: (c) => void (ctrl = c) });
  return { body, push: (n: number) => ctrl.enqueue(new Uint8Array(n).fill(7)), end: () => ctrl.close() };
}

function mountAs(role: 'admin' | 'auditor') {
  const auth = useAuthStore();
  auth.me = { name: 'alice', role } as typeof auth.me;
  auth.status = 'signed-in';
  return mount(ExportView, { attachTo: document.body });
}

describe('ExportView', () => {
  beforeEach(() => {
    resetApiMock();
    setActivePinia(createPinia());
    saved.length = 0;
    apiMock.getSigningKey.mockResolvedValue(KEY);
    apiMock.estimateExport.mockResolvedValue({ sessions: 1234 });
  });
  afterEach(() => {
    vi.useRealTimers();
    document.body.innerHTML = '';
  });

  it('shows the estimate, and counts again once the filters settle', async () => {
    vi.useFakeTimers();
    const w = mountAs('auditor');
    await flushPromises();
    expect(w.get('[data-testid="export-estimate"]').text()).toBe('1,234 sessions');
    expect(apiMock.estimateExport).toHaveBeenCalledTimes(1);

    apiMock.estimateExport.mockResolvedValue({ sessions: 1 });
    await w.get('[data-testid="export-caller"]').setValue('ci');
    await w.get('[data-testid="export-caller"]').setValue('ci-bot');
    await w.get('[data-testid="export-status-rejected"]').setValue(true);
    await w.get('[data-testid="export-since"]').setValue('2026-07-01T00:00');
    expect(apiMock.estimateExport).toHaveBeenCalledTimes(1);
    await vi.advanceTimersByTimeAsync(ESTIMATE_DELAY_MS);
    await flushPromises();
    expect(apiMock.estimateExport).toHaveBeenCalledTimes(2);
    expect(apiMock.estimateExport).toHaveBeenLastCalledWith({ caller: 'ci-bot', status: ['rejected'], since: new Date('2026-07-01T00:00').toISOString() });
    expect(w.get('[data-testid="export-estimate"]').text()).toBe('1 session');
  });

  it('offers raw content to admins only, with the audited-action warning', async () => {
    const auditor = mountAs('auditor');
    await flushPromises();
    expect(auditor.find('[data-testid="export-raw"]').exists()).toBe(false);
    auditor.unmount();

    setActivePinia(createPinia());
    const admin = mountAs('admin');
    await flushPromises();
    expect(admin.find('[data-testid="export-raw-warning"]').exists()).toBe(false);
    await admin.get('[data-testid="export-raw"]').setValue(true);
    expect(admin.get('[data-testid="export-raw-warning"]').text()).toContain('recorded as an audited action');
  });

  it('streams the export with a progress bar, then saves the file', async () => {
    const stream = controlledBody();
    apiMock.startExport.mockResolvedValue({ sessions: 10, disposition: 'attachment; filename="airlock-audit-2026-11-20T10-00-00-000Z.zip"', body: stream.body });
    const w = mountAs('admin');
    await flushPromises();
    await w.get('[data-testid="export-raw"]').setValue(true);
    await w.get('[data-testid="export-form"]').trigger('submit');
    await flushPromises();
    expect(apiMock.startExport).toHaveBeenCalledWith({ raw: true }, expect.any(AbortSignal));

    const bar = () => w.get('[data-testid="export-progress"]');
    expect(bar().attributes('role')).toBe('progressbar');
    expect(bar().attributes('aria-valuenow')).toBe('0');
    stream.push(13_500); // half of 12,000 + 10 × 1,500
    await flushPromises();
    expect(bar().attributes('aria-valuenow')).toBe('50');
    expect(w.get('[data-testid="export-status"]').text()).toContain('10 sessions');
    expect(w.get('[data-testid="export-start"]').attributes('disabled')).toBeDefined();
    stream.push(500);
    stream.end();
    await flushPromises();
    expect(bar().attributes('aria-valuenow')).toBe('100');
    expect(saved).toHaveLength(1);
    expect(saved[0].name).toBe('airlock-audit-2026-11-20T10-00-00-000Z.zip');
    expect(saved[0].blob.size).toBe(14_000);
    expect(w.get('[data-testid="export-status"]').text()).toContain('Saved airlock-audit-2026-11-20T10-00-00-000Z.zip');
    expect(w.get('[data-testid="export-verify-command"]').text()).toBe('airlock verify airlock-audit-2026-11-20T10-00-00-000Z.zip --key public-key.pem');
  });

  it('shows an indeterminate bar when the size is unknown, and sends the passphrase', async () => {
    apiMock.estimateExport.mockRejectedValue(new Error('The gateway cannot be reached.'));
    const stream = controlledBody();
    apiMock.startExport.mockResolvedValue({ sessions: null, disposition: null, body: stream.body });
    const w = mountAs('auditor');
    await flushPromises();
    expect(w.get('[data-testid="export-estimate"]').text()).toBe('The gateway cannot be reached.');
    await w.get('[data-testid="export-passphrase"]').setValue('correct horse');
    await w.get('[data-testid="export-form"]').trigger('submit');
    stream.push(100);
    await flushPromises();
    expect(apiMock.startExport).toHaveBeenCalledWith({ passphrase: 'correct horse' }, expect.any(AbortSignal));
    expect(w.get('[data-testid="export-progress"]').attributes('aria-valuenow')).toBeUndefined();
    expect(w.get('[data-testid="export-progress"]').classes()).toContain('indeterminate');
    stream.end();
    await flushPromises();
    expect(saved[0].name).toMatch(/^airlock-audit-\d{4}-\d{2}-\d{2}\.zip\.age$/);
  });

  it('reports a refused export', async () => {
    apiMock.startExport.mockRejectedValue(new Error('Only an admin may export unmasked (raw) content.'));
    const w = mountAs('admin');
    await flushPromises();
    await w.get('[data-testid="export-form"]').trigger('submit');
    await flushPromises();
    expect(w.get('[data-testid="export-error"]').text()).toBe('Only an admin may export unmasked (raw) content.');
    expect(useExportStore().phase).toBe('failed');
    expect(saved).toHaveLength(0);
  });

  it('shows the signing key as text, with the verify command', async () => {
    const evil = { ...KEY, gatewayId: '<img src=x onerror="window.__pwned=1">' };
    apiMock.getSigningKey.mockResolvedValue(evil);
    const w = mountAs('auditor');
    await flushPromises();
    expect(w.get('[data-testid="export-fingerprint"]').text()).toBe(KEY.fingerprint);
    expect(w.get('[data-testid="export-public-key"]').text()).toBe(KEY.publicKey.trim());
    expect(w.get('[data-testid="export-verify-command"]').text()).toBe('airlock verify FILE --key public-key.pem');
    expect(w.find('img').exists()).toBe(false);
    expect(w.text()).toContain(evil.gatewayId);
    const writeText = vi.fn().mockResolvedValue(undefined);
    Object.defineProperty(navigator, 'clipboard', { value: { writeText }, configurable: true });
    await w.get('[data-testid="copy-public-key"]').trigger('click');
    await flushPromises();
    expect(writeText).toHaveBeenCalledWith(KEY.publicKey);
    expect(w.get('[data-testid="copy-public-key"]').text()).toBe('Copied');
  });

  it('gives every control an accessible name', async () => {
    const w = mountAs('admin');
    await flushPromises();
    for (const el of w.findAll('input, button, select')) {
      const named = el.element.closest('label') !== null || el.attributes('aria-label') || el.text().trim();
      expect(named, el.html()).toBeTruthy();
    }
  });
});

describe('export helpers', () => {
  it('build the request body, file name, progress and counts', () => {
    expect(exportFiltersBody({ since: '', until: '', caller: '  ', statuses: [] })).toEqual({});
    expect(bundleFileName('attachment; filename="../../evil.sh"', false, new Date('2026-11-20T10:00:00Z'))).toBe('airlock-audit-2026-11-20.zip');
    expect(bundleFileName(null, true, new Date('2026-11-20T10:00:00Z'))).toBe('airlock-audit-2026-11-20.zip.age');
    expect(progressPercent(5_000, 1_000, false)).toBe(99);
    expect(progressPercent(5_000, null, false)).toBeNull();
    expect(progressPercent(5_000, null, true)).toBe(100);
    expect(formatSessions(0)).toBe('0 sessions');
  });
});
