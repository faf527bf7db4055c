// Numbers for the dashboard: requests per hour, waits, rejection rate, per caller.
import { acceptHMRUpdate, defineStore } from 'pinia';
import { ref, shallowRef } from 'vue';
import type { Stats } from '../../../gateway/api/types.js';
import { api } from '../api/client.js';

export const useStatsStore = defineStore('stats', () => {
  const stats = shallowRef<Stats | null>(null);
  const hours = ref(24);
  const loading = ref(false);
  const error = ref<string | null>(null);

  async function load(window = hours.value): Promise<void> {
    hours.value = window;
    loading.value = true;
    error.value = null;
    try {
      stats.value = await api.getStats(window);
    } catch (e) {
      error.value = e instanceof Error ? e.message : String(e);
    } finally {
      loading.value = false;
    }
  }

  return { stats, hours, loading, error, load };
});

if (import.meta.hot) import.meta.hot.accept(acceptHMRUpdate(useStatsStore, import.meta.hot));
