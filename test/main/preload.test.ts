import { EventEmitter } from 'node:events';
import { describe, expect, it, vi } from 'vitest';
import type { DesktopBridge } from '../../main/bridge.js';
import { createBridge } from '../../main/bridge-client.js';

const BRIDGE_KEYS: (keyof DesktopBridge)[] = [
  'getReviewerToken',
  'onOpenRequest',
  'getSettings',
  'saveSettings',
  'onOpenSettings',
  'setPassphrase',
];

class FakeIpcRenderer extends EventEmitter {
  readonly invoke = vi.fn(async (channel: string, ...args: unknown[]) => ({ channel, args }));
  push(channel: string, ...payload: unknown[]) {
    this.emit(channel, { sender: 'event object the console must not see' }, ...payload);
  }
}

const electron = vi.hoisted(() => ({
  exposed: new Map<string, unknown>(),
  ipcRenderer: null as unknown,
}));

vi.mock('electron', async () => {
  const { EventEmitter: Emitter } = await import('node:events');
  electron.ipcRenderer = Object.assign(new Emitter(), { invoke: async () => undefined });
  return {
    contextBridge: { exposeInMainWorld: (key: string, api: unknown) => electron.exposed.set(key, api) },
    ipcRenderer: electron.ipcRenderer,
  };
});

describe('preload', () => {
  it('exposes exactly DesktopBridge as window.airlockDesktop', async () => {
    await import('../../main/preload.js');
    expect([...electron.exposed.keys()]).toEqual(['airlockDesktop']);
    const api = electron.exposed.get('airlockDesktop') as Record<string, unknown>;
    expect(Object.keys(api).sort()).toEqual([...BRIDGE_KEYS].sort());
    for (const key of BRIDGE_KEYS) expect(typeof api[key]).toBe('function');
  });

  it('maps each function to its one channel', async () => {
    const ipc = new FakeIpcRenderer();
    const bridge = createBridge(ipc);
    await bridge.getReviewerToken();
    await bridge.getSettings();
    await bridge.saveSettings({ notifyFinished: true });
    await bridge.setPassphrase('correct horse');
    expect(ipc.invoke.mock.calls).toEqual([
      ['airlock:get-reviewer-token'],
      ['airlock:get-settings'],
      ['airlock:save-settings', { notifyFinished: true }],
      ['airlock:set-passphrase', 'correct horse'],
    ]);
  });

  it('delivers "open this request" without the IPC event, and unsubscribes', () => {
    const ipc = new FakeIpcRenderer();
    const bridge = createBridge(ipc);
    const listener = vi.fn();
    const off = bridge.onOpenRequest(listener);
    ipc.push('airlock:open-request', 'req_1');
    expect(listener).toHaveBeenCalledWith('req_1');
    expect(listener.mock.calls[0]).toHaveLength(1);
    ipc.push('airlock:open-request', 42); // not a request id
    off();
    ipc.push('airlock:open-request', 'req_2');
    expect(listener).toHaveBeenCalledTimes(1);
  });

  it('keeps a request opened before the console subscribed', async () => {
    const ipc = new FakeIpcRenderer();
    const bridge = createBridge(ipc);
    ipc.push('airlock:open-request', 'req_early');
    ipc.push('airlock:open-settings');
    const request = vi.fn();
    const settings = vi.fn();
    bridge.onOpenRequest(request);
    bridge.onOpenSettings(settings);
    await Promise.resolve();
    expect(request).toHaveBeenCalledWith('req_early');
    expect(settings).toHaveBeenCalledTimes(1);
    const late = vi.fn();
    bridge.onOpenRequest(late);
    await Promise.resolve();
    expect(late).not.toHaveBeenCalled();
  });
});
