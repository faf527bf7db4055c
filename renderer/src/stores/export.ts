// Audit bundle export for admins and auditors: the filters and their session count, the gateway's signing key an
// auditor verifies against, and one export at a time, streamed so the screen can show how far it has come.
import { acceptHMRUpdate, defineStore } from 'pinia';
import { computed, ref, shallowRef, watch } from 'vue';
import type { RequestStatus } from '../../../gateway/api/types.js';
import type { ExportFiltersBody, ExportRequestBody, SigningKeyInfo } from '../../../gateway/audit/api-types.js';
import { api } from '../api/client.js';
import { bundleFileName, expectedBytes, progressPercent } from '../lib/export-bundle.js';
import { saveBlob } from '../platform/download.js';
import { useAuthStore } from './auth.js';
import { toIso } from './history.js';

export interface ExportFilters {
  /** datetime-local values (the reviewer's time zone); sent as ISO. */
  since: string;
  until: string;
  caller: string;
  statuses: RequestStatus[];
}

export type ExportPhase = 'idle' | 'exporting' | 'done' | 'failed';

export const ESTIMATE_DELAY_MS = 300;

export const emptyExportFilters = (): ExportFilters => ({ since: '', until: '', caller: '', statuses: [] });

export function exportFiltersBody(f: ExportFilters): ExportFiltersBody {
  const body: ExportFiltersBody = {};
  const since = toIso(f.since);
  const until = toIso(f.until);
  if (since) body.since = since;
  if (until) body.until = until;
  if (f.caller.trim()) body.caller = f.caller.trim();
  if (f.statuses.length) body.status = [...f.statuses];
  return body;
}

const message = (e: unknown) => (e instanceof Error ? e.message : String(e));

export const useExportStore = defineStore('export', () => {
  const filters = ref<ExportFilters>(emptyExportFilters());
  /** Unmasked content: admins only, and recorded as an audited action. */
  const raw = ref(false);
  /** Encrypts the bundle (age) when set; never kept beyond the page. */
  const passphrase = ref('');

  const estimate = ref<number | null>(null);
  const estimating = ref(false);
  const estimateError = ref<string | null>(null);
  const key = shallowRef<SigningKeyInfo | null>(null);
  const keyError = ref<string | null>(null);

  const phase = ref<ExportPhase>('idle');
  const received = ref(0);
  const sessions = ref<number | null>(null);
  const fileName = ref<string | null>(null);
  const error = ref<string | null>(null);

  const mayExportRaw = computed(() => useAuthStore().me?.role === 'admin');
  /** 0–100, or null while the size is unknown (an indeterminate bar). */
  const percent = computed(() => progressPercent(received.value, expectedBytes(sessions.value), phase.value === 'done'));

  let seq = 0;
  let timer: ReturnType<typeof setTimeout> | null = null;
  let controller: AbortController | null = null;

  async function refreshEstimate(): Promise<void> {
    if (timer) clearTimeout(timer);
    timer = null;
    const mine = ++seq;
    estimating.value = true;
    estimateError.value = null;
    try {
      const { sessions: n } = await api.estimateExport(exportFiltersBody(filters.value));
      if (mine === seq) estimate.value = n;
    } catch (e) {
      if (mine !== seq) return;
      estimate.value = null;
      estimateError.value = message(e);
    } finally {
      if (mine === seq) estimating.value = false;
    }
  }

  /** Filters change as the reviewer types: count once they settle. */
  function scheduleEstimate(): void {
    if (timer) clearTimeout(timer);
    timer = setTimeout(() => void refreshEstimate(), ESTIMATE_DELAY_MS);
  }
  watch(filters, scheduleEstimate, { deep: true });

  async function loadKey(): Promise<void> {
    keyError.value = null;
    try {
      key.value = await api.getSigningKey();
    } catch (e) {
      keyError.value = message(e);
    }
  }

  function clearFilters(): void {
    filters.value = emptyExportFilters();
  }

  async function start(): Promise<void> {
    if (phase.value === 'exporting') return;
    const encrypted = passphrase.value !== '';
    const body: ExportRequestBody = { ...exportFiltersBody(filters.value) };
    if (raw.value && mayExportRaw.value) body.raw = true;
    if (encrypted) body.passphrase = passphrase.value;
    controller = new AbortController();
    phase.value = 'exporting';
    received.value = 0;
    sessions.value = estimate.value;
    fileName.value = null;
    error.value = null;
    try {
      const download = await api.startExport(body, controller.signal);
      if (download.sessions !== null) sessions.value = download.sessions;
      const name = bundleFileName(download.disposition, encrypted);
      const chunks: Uint8Array<ArrayBuffer>[] = [];
      const reader = download.body.getReader();
      for (;;) {
        const { done, value } = await reader.read();
        if (done) break;
        chunks.push(new Uint8Array(value));
        received.value += value.byteLength;
      }
      saveBlob(new Blob(chunks, { type: encrypted ? 'application/octet-stream' : 'application/zip' }), name);
      fileName.value = name;
      phase.value = 'done';
    } catch (e) {
      phase.value = 'failed';
      error.value = controller?.signal.aborted ? 'Export cancelled.' : message(e);
    } finally {
      controller = null;
    }
  }

  function cancel(): void {
    controller?.abort();
  }

  return {
    filters, raw, passphrase, estimate, estimating, estimateError, key, keyError, phase, received, sessions, fileName, error,
    mayExportRaw, percent, refreshEstimate, scheduleEstimate, loadKey, clearFilters, start, cancel,
  };
});

if (import.meta.hot) import.meta.hot.accept(acceptHMRUpdate(useExportStore, import.meta.hot));
