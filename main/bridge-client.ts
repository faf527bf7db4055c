// The DesktopBridge as the preload builds it from ipcRenderer: one function per message, push channels that
// keep a message until the console subscribes. Kept apart from preload.ts so it is tested without Electron.
import type { DesktopBridge } from './bridge.js';
import type { InvokeArgs, InvokeChannel, InvokeResult, PushChannel, PushChannels } from './channels.js';

/** The part of Electron's ipcRenderer the bridge uses. */
export interface IpcRendererLike {
  invoke(channel: string, ...args: unknown[]): Promise<unknown>;
  on(channel: string, listener: (event: unknown, ...args: unknown[]) => void): unknown;
}

export function createBridge(ipc: IpcRendererLike): DesktopBridge {
  const invoke = <K extends InvokeChannel>(channel: K, ...args: InvokeArgs<K>): Promise<InvokeResult<K>> =>
    ipc.invoke(channel, ...args) as Promise<InvokeResult<K>>;

  const openRequest = pushed(ipc, 'airlock:open-request', (id) => typeof id === 'string');
  const openSettings = pushed(ipc, 'airlock:open-settings', () => true);

  return {
    getReviewerToken: () => invoke('airlock:get-reviewer-token'),
    onOpenRequest: (listener) => openRequest((id) => listener(id)),
    getSettings: () => invoke('airlock:get-settings'),
    saveSettings: (settings) => invoke('airlock:save-settings', settings),
    onOpenSettings: (listener) => openSettings(() => listener()),
    setPassphrase: (passphrase) => invoke('airlock:set-passphrase', passphrase),
  };
}

/**
 * Listens to one push channel from the start, and keeps the latest message until the console subscribes:
 * a notification clicked while the window was closed opens a new window that subscribes only after it loaded.
 */
function pushed<K extends PushChannel>(
  ipc: IpcRendererLike,
  channel: K,
  valid: (...payload: PushChannels[K]) => boolean,
): (listener: (...payload: PushChannels[K]) => void) => () => void {
  const listeners = new Set<(...payload: PushChannels[K]) => void>();
  let waiting: PushChannels[K] | null = null;
  ipc.on(channel, (_event, ...payload: unknown[]) => {
    const message = payload as PushChannels[K];
    if (!valid(...message)) return;
    if (listeners.size === 0) waiting = message;
    for (const listener of listeners) listener(...message);
  });
  return (listener) => {
    listeners.add(listener);
    if (waiting) {
      const message = waiting;
      waiting = null;
      queueMicrotask(() => listener(...message));
    }
    return () => {
      listeners.delete(listener);
    };
  };
}
