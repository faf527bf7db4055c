// Console preferences (sound, which notifications) kept in localStorage: they hold no secret.
// In the desktop window it also reads and saves the app's settings through the bridge.
import { acceptHMRUpdate, defineStore } from 'pinia';
import { ref } from 'vue';
import type { DesktopBridge, DesktopSettings, DesktopSettingsUpdate } from '../../../main/bridge.js';
import { desktopBridge } from '../platform/desktop.js';
import { notificationPermission, requestNotificationPermission, type Permission } from '../platform/notifications.js';

export interface ConsolePrefs {
  sound: boolean;
  /** "Waiting for you" notifications. */
  notifyPending: boolean;
  /** "Finished / failed" notifications: off by default. */
  notifyFinished: boolean;
}

const PREFS_KEY = 'airlock.console.prefs';
const DEFAULT_PREFS: ConsolePrefs = { sound: false, notifyPending: true, notifyFinished: false };

function readPrefs(): ConsolePrefs {
  try {
    const raw = localStorage.getItem(PREFS_KEY);
    const saved = raw ? (JSON.parse(raw) as Partial<ConsolePrefs>) : {};
    return {
      sound: typeof saved.sound === 'boolean' ? saved.sound : DEFAULT_PREFS.sound,
      notifyPending: typeof saved.notifyPending === 'boolean' ? saved.notifyPending : DEFAULT_PREFS.notifyPending,
      notifyFinished: typeof saved.notifyFinished === 'boolean' ? saved.notifyFinished : DEFAULT_PREFS.notifyFinished,
    };
  } catch {
    return { ...DEFAULT_PREFS };
  }
}

export const useSettingsStore = defineStore('settings', () => {
  const prefs = ref<ConsolePrefs>(readPrefs());
  const permission = ref<Permission>(notificationPermission());
  const isDesktop = ref(desktopBridge() !== null);
  const desktop = ref<DesktopSettings | null>(null);
  const saving = ref(false);
  const error = ref<string | null>(null);
  const savedAt = ref<number | null>(null);

  function setPref<K extends keyof ConsolePrefs>(key: K, value: ConsolePrefs[K]): void {
    prefs.value = { ...prefs.value, [key]: value };
    try {
      localStorage.setItem(PREFS_KEY, JSON.stringify(prefs.value));
    } catch {
      // Private mode or storage full: the preference lasts this session.
    }
  }

  async function requestNotifications(): Promise<void> {
    permission.value = await requestNotificationPermission();
  }

  function refreshPermission(): void {
    permission.value = notificationPermission();
  }

  async function loadDesktop(): Promise<void> {
    const bridge = desktopBridge();
    if (!bridge) return;
    error.value = null;
    try {
      desktop.value = await bridge.getSettings();
    } catch (e) {
      error.value = e instanceof Error ? e.message : String(e);
    }
  }

  /** One change through the bridge; the settings it answers with replace the shown ones. */
  async function save(change: (bridge: DesktopBridge) => Promise<DesktopSettings>): Promise<boolean> {
    const bridge = desktopBridge();
    if (!bridge) return false;
    saving.value = true;
    error.value = null;
    try {
      desktop.value = await change(bridge);
      savedAt.value = Date.now();
      return true;
    } catch (e) {
      error.value = e instanceof Error ? e.message : String(e);
      return false;
    } finally {
      saving.value = false;
    }
  }

  function saveDesktop(update: DesktopSettingsUpdate): Promise<boolean> {
    return save((bridge) => bridge.saveSettings(update));
  }

  /** Also protects the data key with a passphrase, so `airlock serve` can open the same data dir headless. */
  function setPassphrase(passphrase: string): Promise<boolean> {
    return save(async (bridge) => {
      await bridge.setPassphrase(passphrase);
      return bridge.getSettings();
    });
  }

  return { prefs, permission, isDesktop, desktop, saving, error, savedAt, setPref, requestNotifications, refreshPermission, loadDesktop, saveDesktop, setPassphrase };
});

if (import.meta.hot) import.meta.hot.accept(acceptHMRUpdate(useSettingsStore, import.meta.hot));
