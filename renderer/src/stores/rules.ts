// Remembered approvals ("for 15 min", "this conversation", "always"): listed for everyone, revocable
// by an admin or the reviewer who made them.
import { acceptHMRUpdate, defineStore } from 'pinia';
import { computed, ref, shallowRef } from 'vue';
import type { RememberedRule } from '../../../gateway/api/types.js';
import { api } from '../api/client.js';

export const useRulesStore = defineStore('rules', () => {
  const rules = shallowRef<RememberedRule[]>([]);
  const loading = ref(false);
  const error = ref<string | null>(null);

  const active = computed(() => rules.value.filter((r) => !r.revokedAt && (!r.expiresAt || Date.parse(r.expiresAt) > Date.now())));
  const inactive = computed(() => rules.value.filter((r) => !active.value.includes(r)));

  async function load(): Promise<void> {
    loading.value = true;
    error.value = null;
    try {
      rules.value = (await api.listRules()).items;
    } catch (e) {
      error.value = e instanceof Error ? e.message : String(e);
    } finally {
      loading.value = false;
    }
  }

  async function revoke(id: string): Promise<void> {
    error.value = null;
    try {
      await api.revokeRule(id);
    } catch (e) {
      error.value = e instanceof Error ? e.message : String(e);
    }
    await load();
  }

  return { rules, active, inactive, loading, error, load, revoke };
});

if (import.meta.hot) import.meta.hot.accept(acceptHMRUpdate(useRulesStore, import.meta.hot));
