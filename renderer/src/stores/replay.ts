// The recorded session being replayed: fetched once, turned into a track by lib/replay-clock.
import { acceptHMRUpdate, defineStore } from 'pinia';
import { computed, ref, shallowRef } from 'vue';
import type { SessionRecord } from '../../../gateway/api/types.js';
import { api, ApiError } from '../api/client.js';
import { buildTrack, IDLE_LIMIT_MS } from '../lib/replay-clock.js';

export const useReplayStore = defineStore('replay', () => {
  const session = shallowRef<SessionRecord | null>(null);
  const loading = ref(false);
  const error = ref<string | null>(null);
  const skipIdle = ref(true);
  let seq = 0;

  const track = computed(() =>
    session.value
      ? buildTrack(session.value.timeline, {
          idleLimitMs: skipIdle.value ? IDLE_LIMIT_MS : null,
          fallbackText: session.value.request.response?.text ?? '',
        })
      : null,
  );

  async function load(id: string): Promise<void> {
    if (session.value?.id === id) return;
    const mine = ++seq;
    loading.value = true;
    error.value = null;
    session.value = null;
    try {
      const record = await api.getSession(id);
      if (mine === seq) session.value = record;
    } catch (e) {
      if (mine === seq) error.value = e instanceof ApiError && e.status === 404 ? 'No recorded session for this request.' : e instanceof Error ? e.message : String(e);
    } finally {
      if (mine === seq) loading.value = false;
    }
  }

  function setSkipIdle(value: boolean): void {
    skipIdle.value = value;
  }

  return { session, loading, error, skipIdle, track, load, setSkipIdle };
});

if (import.meta.hot) import.meta.hot.accept(acceptHMRUpdate(useReplayStore, import.meta.hot));
