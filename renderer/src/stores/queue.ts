// The pending queue, live from the event stream: newest first, with countdowns, claims and
// notifications. A resync after every (re)connect covers events missed while disconnected.
import { acceptHMRUpdate, defineStore } from 'pinia';
import { computed, ref, shallowRef, triggerRef } from 'vue';
import type { Claim, QueueEvent, RequestDetail, RequestSummary } from '../../../gateway/api/types.js';
import { api } from '../api/client.js';
import { connectEvents, type EventStream } from '../api/events.js';
import { countdown } from '../lib/duration.js';
import { NotificationBatcher, type BatchedNotice } from '../lib/notification-batch.js';
import { consoleInBackground, playChime, showNotification } from '../platform/notifications.js';
import { navigate, route } from '../router.js';
import { useAuthStore } from './auth.js';
import { useHistoryStore } from './history.js';
import { useRequestStore } from './request.js';
import { useSettingsStore } from './settings.js';

const PAGE = 200;
const MAX_PAGES = 10;
/** Decided requests are remembered (so a late copy cannot revive them) up to this many. */
const KEEP_SETTLED = 1000;

/** A detail (from claim or decide) keeps only its summary fields here: the queue holds no prompts. */
export function summaryOnly(request: RequestSummary): RequestSummary {
  const { path: _p, body: _b, editedBody: _e, decisions: _d, previousId: _pr, response: _r, error: _er, ...summary } = request as RequestSummary & Partial<RequestDetail>;
  return summary;
}

export const useQueueStore = defineStore('queue', () => {
  /** Every request seen this session by id; the queue shows the pending ones. */
  const byId = shallowRef(new Map<string, RequestSummary>());
  const connected = ref(false);
  const loading = ref(false);
  const error = ref<string | null>(null);
  /** Wall clock for countdowns, ticking once a second while signed in. */
  const now = ref(Date.now());

  /** Waiting requests, one row per group: an identical copy is shown (and decided) as its leader's row, badged ×N. */
  const pending = computed(() => {
    const all = byId.value;
    const leads = (s: RequestSummary) => s.groupOf === null || all.get(s.groupOf)?.status !== 'pending';
    return [...all.values()].filter((s) => s.status === 'pending' && leads(s)).sort((a, b) => b.createdAt.localeCompare(a.createdAt) || b.id.localeCompare(a.id));
  });
  const pendingCount = computed(() => pending.value.length);
  const selectedId = computed(() => (route.value.view === 'queue' ? route.value.id : null));

  let stream: EventStream | null = null;
  let ticker: ReturnType<typeof setInterval> | null = null;
  let batcher: NotificationBatcher | null = null;
  const warned = new Set<string>();
  let lastChime = 0;
  /** Ids the stream touched while a resync was in flight: the list may predate them. */
  let touchedDuringSync: Set<string> | null = null;

  /** Keeps the newer of two copies (by updatedAt), so a late list response cannot revive a decided request. */
  function upsert(incoming: RequestSummary): boolean {
    const summary = summaryOnly(incoming);
    const known = byId.value.get(summary.id);
    if (known && known.updatedAt > summary.updatedAt) return false;
    byId.value.set(summary.id, summary);
    triggerRef(byId);
    return true;
  }

  function start(): void {
    if (stream) return;
    batcher = new NotificationBatcher(announce);
    ticker = setInterval(tick, 1000);
    stream = connectEvents({
      onEvent: applyEvent,
      onOpen: () => void resync(),
      onRefused: async () => {
        try {
          await api.me();
          return true;
        } catch {
          return false; // 401: the auth store has signed out
        }
      },
      onStateChange: (up) => {
        connected.value = up;
      },
    });
  }

  function stop(): void {
    stream?.close();
    stream = null;
    if (ticker) clearInterval(ticker);
    ticker = null;
    batcher?.dispose();
    batcher = null;
    connected.value = false;
    byId.value = new Map();
    warned.clear();
  }

  async function resync(): Promise<void> {
    loading.value = true;
    error.value = null;
    touchedDuringSync = new Set();
    try {
      const seen = new Set<string>();
      let cursor: string | null = null;
      for (let page = 0; page < MAX_PAGES; page++) {
        const list = await api.listRequests({ status: 'pending', limit: PAGE, cursor });
        for (const s of list.items) {
          seen.add(s.id);
          upsert(s);
        }
        cursor = list.next;
        if (!cursor) break;
      }
      // Pending here but absent there, and not touched since we asked: decided while we were away.
      for (const s of pending.value) {
        if (!seen.has(s.id) && !touchedDuringSync.has(s.id)) byId.value.delete(s.id);
      }
      triggerRef(byId);
    } catch (e) {
      error.value = e instanceof Error ? e.message : String(e);
    } finally {
      touchedDuringSync = null;
      loading.value = false;
    }
  }

  function applyEvent(event: QueueEvent): void {
    const summary = event.request;
    const wasKnown = byId.value.has(summary.id);
    touchedDuringSync?.add(summary.id);
    if (!upsert(summary)) return;
    useRequestStore().applySummary(summary);
    useHistoryStore().applySummary(summary);
    const settings = useSettingsStore();
    if (summary.status === 'pending') {
      if (!wasKnown && event.type === 'request.pending') {
        // One chime for a burst, not one per request.
        if (settings.prefs.sound && Date.now() - lastChime > 2000) {
          lastChime = Date.now();
          playChime();
        }
        if (settings.prefs.notifyPending) batcher?.add({ id: summary.id, caller: summary.caller, model: summary.model, preview: summary.preview });
      }
      return;
    }
    batcher?.remove(summary.id);
    warned.delete(summary.id);
    pruneSettled();
    if (event.type === 'request.completed' && settings.prefs.notifyFinished && consoleInBackground()) {
      showNotification({
        title: `${summary.caller} · ${summary.model} ${summary.status === 'failed' ? 'failed' : 'finished'}`,
        body: summary.preview,
        tag: `airlock-finished-${summary.id}`,
        onClick: () => navigate({ view: 'history', id: summary.id }),
      });
    }
  }

  function pruneSettled(): void {
    if (byId.value.size <= KEEP_SETTLED * 2) return;
    const settled = [...byId.value.values()].filter((s) => s.status !== 'pending').sort((a, b) => a.updatedAt.localeCompare(b.updatedAt));
    for (const s of settled.slice(0, settled.length - KEEP_SETTLED)) byId.value.delete(s.id);
    triggerRef(byId);
  }

  function announce(notice: BatchedNotice): void {
    // Anything decided meanwhile is already gone from the batch; the reviewer looking at the queue needs no popup.
    if (!consoleInBackground()) return;
    showNotification({ title: notice.title, body: notice.body, tag: 'airlock-pending', onClick: () => select(notice.focusId) });
  }

  function tick(): void {
    now.value = Date.now();
    const settings = useSettingsStore();
    for (const s of pending.value) {
      const c = countdown(s.timeoutAt, now.value);
      if (!c?.warning || c.expired || warned.has(s.id)) continue;
      warned.add(s.id);
      if (settings.prefs.notifyPending && consoleInBackground()) {
        showNotification({
          title: `1 minute left: ${s.caller} · ${s.model}`,
          body: s.preview,
          tag: `airlock-expiring-${s.id}`,
          onClick: () => select(s.id),
        });
      }
    }
  }

  /** Opens another item; unsaved edits of the open one are discarded only after the reviewer agrees. */
  function select(id: string | null): void {
    if (id !== null && id === selectedId.value) return;
    useRequestStore().whenEditsDiscarded(() => navigate({ view: 'queue', id }));
  }

  /** The item to show after this one leaves the queue: the one below it, else the one above. */
  function neighbourOf(id: string): string | null {
    const list = pending.value;
    const i = list.findIndex((s) => s.id === id);
    if (i < 0) return list[0]?.id ?? null;
    return list[i + 1]?.id ?? list[i - 1]?.id ?? null;
  }

  function move(step: 1 | -1): void {
    const list = pending.value;
    if (list.length === 0) return;
    const i = list.findIndex((s) => s.id === selectedId.value);
    const next = i < 0 ? 0 : Math.min(list.length - 1, Math.max(0, i + step));
    select(list[next].id);
  }

  /** Our own claim came back: others see it through the stream, we see it here. */
  function claimed(summary: RequestSummary): void {
    upsert(summary);
  }

  /** "alice is reviewing" (or "is editing"): a live claim by someone else. */
  function claimedByOther(summary: RequestSummary): Claim | null {
    const claim = summary.claim;
    const me = useAuthStore().me?.name;
    if (!claim || claim.reviewer === me || Date.parse(claim.until) <= now.value) return null;
    return claim;
  }

  return {
    byId, connected, loading, error, now, pending, pendingCount, selectedId,
    start, stop, resync, applyEvent, select, neighbourOf, move, claimed, claimedByOther,
  };
});

if (import.meta.hot) import.meta.hot.accept(acceptHMRUpdate(useQueueStore, import.meta.hot));
