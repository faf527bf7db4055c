// Past requests, searched and paged on the server (cursor pages of 50), so 100,000 sessions cost
// the console only the pages the reviewer scrolls through.
import { acceptHMRUpdate, defineStore } from 'pinia';
import { ref } from 'vue';
import type { RequestStatus, RequestSummary } from '../../../gateway/api/types.js';
import { api, type RequestFilter } from '../api/client.js';

export interface HistoryFilters {
  status: RequestStatus | '';
  caller: string;
  model: string;
  q: string;
  /** datetime-local values (the reviewer's time zone); sent as ISO. */
  since: string;
  until: string;
}

export const PAGE_SIZE = 50;

export const emptyFilters = (): HistoryFilters => ({ status: '', caller: '', model: '', q: '', since: '', until: '' });

export function toIso(local: string): string | undefined {
  if (!local) return undefined;
  const ms = Date.parse(local);
  return Number.isNaN(ms) ? undefined : new Date(ms).toISOString();
}

export function filterQuery(filters: HistoryFilters): RequestFilter {
  return {
    status: filters.status,
    caller: filters.caller.trim(),
    model: filters.model.trim(),
    q: filters.q.trim(),
    since: toIso(filters.since),
    until: toIso(filters.until),
    limit: PAGE_SIZE,
  };
}

export const useHistoryStore = defineStore('history', () => {
  const filters = ref<HistoryFilters>(emptyFilters());
  const items = ref<RequestSummary[]>([]);
  const next = ref<string | null>(null);
  const total = ref<number | null>(null);
  const loading = ref(false);
  const loaded = ref(false);
  const error = ref<string | null>(null);
  /** Each search gets a number; answers to superseded searches are dropped. */
  let seq = 0;

  async function search(): Promise<void> {
    const mine = ++seq;
    loading.value = true;
    error.value = null;
    try {
      const page = await api.listRequests(filterQuery(filters.value));
      if (mine !== seq) return;
      items.value = page.items;
      next.value = page.next;
      total.value = page.total ?? null;
      loaded.value = true;
    } catch (e) {
      if (mine === seq) error.value = e instanceof Error ? e.message : String(e);
    } finally {
      if (mine === seq) loading.value = false;
    }
  }

  async function loadMore(): Promise<void> {
    if (!next.value || loading.value) return;
    const mine = seq;
    loading.value = true;
    try {
      const page = await api.listRequests({ ...filterQuery(filters.value), cursor: next.value });
      if (mine !== seq) return;
      const have = new Set(items.value.map((i) => i.id));
      items.value = [...items.value, ...page.items.filter((i) => !have.has(i.id))];
      next.value = page.next;
    } catch (e) {
      if (mine === seq) error.value = e instanceof Error ? e.message : String(e);
    } finally {
      if (mine === seq) loading.value = false;
    }
  }

  function setFilters(update: Partial<HistoryFilters>): Promise<void> {
    filters.value = { ...filters.value, ...update };
    return search();
  }

  function clearFilters(): Promise<void> {
    filters.value = emptyFilters();
    return search();
  }

  /** A live update for a request already listed (its status moved on). */
  function applySummary(summary: RequestSummary): void {
    const i = items.value.findIndex((s) => s.id === summary.id);
    if (i >= 0 && items.value[i].updatedAt <= summary.updatedAt) items.value[i] = summary;
  }

  return { filters, items, next, total, loading, loaded, error, search, loadMore, setFilters, clearFilters, applySummary };
});

if (import.meta.hot) import.meta.hot.accept(acceptHMRUpdate(useHistoryStore, import.meta.hot));
