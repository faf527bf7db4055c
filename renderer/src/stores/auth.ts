// Who is reviewing. The session is an HttpOnly cookie the gateway sets; the console keeps only
// the reviewer's name and role in memory and never stores the token.
import { acceptHMRUpdate, defineStore } from 'pinia';
import { computed, ref } from 'vue';
import type { Me } from '../../../gateway/api/types.js';
import { api, ApiError, setUnauthorizedHandler } from '../api/client.js';
import { desktopBridge } from '../platform/desktop.js';
import { useQueueStore } from './queue.js';
import { useRequestStore } from './request.js';

export type AuthStatus = 'unknown' | 'anonymous' | 'signing-in' | 'signed-in';

export const useAuthStore = defineStore('auth', () => {
  const me = ref<Me | null>(null);
  const status = ref<AuthStatus>('unknown');
  const error = ref<string | null>(null);
  /** The session ended by itself (12 h, revoked): the login form says so. */
  const expired = ref(false);

  const signedIn = computed(() => status.value === 'signed-in' && me.value !== null);
  /** Auditors read everything and decide nothing. */
  const canDecide = computed(() => me.value !== null && me.value.role !== 'auditor');

  function signedInAs(who: Me): void {
    me.value = who;
    status.value = 'signed-in';
    error.value = null;
    expired.value = false;
    useQueueStore().start();
  }

  function signedOut(): void {
    useRequestStore().close({ release: false });
    useQueueStore().stop();
    me.value = null;
    status.value = 'anonymous';
  }

  /** On start: an existing session cookie, else the desktop user's own token, else the login form. */
  async function restore(): Promise<void> {
    setUnauthorizedHandler(expire);
    try {
      signedInAs(await api.me());
      return;
    } catch (e) {
      if (!(e instanceof ApiError) || e.status !== 401) {
        status.value = 'anonymous';
        error.value = e instanceof Error ? e.message : String(e);
        return;
      }
    }
    const bridge = desktopBridge();
    if (bridge) {
      await login(await bridge.getReviewerToken());
      return;
    }
    status.value = 'anonymous';
  }

  async function login(token: string): Promise<boolean> {
    status.value = 'signing-in';
    error.value = null;
    try {
      signedInAs(await api.login(token.trim()));
      return true;
    } catch (e) {
      status.value = 'anonymous';
      error.value = e instanceof ApiError && (e.status === 401 || e.status === 403) ? 'That token was not accepted.' : e instanceof Error ? e.message : String(e);
      return false;
    }
  }

  async function logout(): Promise<void> {
    useRequestStore().close({ release: true });
    try {
      await api.logout();
    } catch {
      // The cookie may already be gone; signing out locally is what matters.
    }
    expired.value = false;
    signedOut();
  }

  /** Any 401 from the API: the session is over. */
  function expire(): void {
    if (status.value !== 'signed-in') return;
    expired.value = true;
    signedOut();
  }

  return { me, status, error, expired, signedIn, canDecide, restore, login, logout, expire };
});

if (import.meta.hot) import.meta.hot.accept(acceptHMRUpdate(useAuthStore, import.meta.hot));
