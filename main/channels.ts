// The IPC contract between main and the preloads: one map per direction, so a channel's name fixes its types.
// Type-only (plus the names), so both the preloads and main import it without pulling in either side's code.
import type { DesktopSettings, DesktopSettingsUpdate } from './bridge.js';

/** Renderer → main, answered: `ipcRenderer.invoke(channel, ...args)` resolves to `result`. */
export interface InvokeChannels {
  'airlock:get-reviewer-token': { args: []; result: string };
  'airlock:get-settings': { args: []; result: DesktopSettings };
  'airlock:save-settings': { args: [update: DesktopSettingsUpdate]; result: DesktopSettings };
  'airlock:set-passphrase': { args: [passphrase: string]; result: void };
  /** The passphrase prompt window (before the gateway runs); answered once the key opened or why not. */
  'airlock:prompt-submit': { args: [passphrase: string]; result: PromptAnswer };
  'airlock:prompt-cancel': { args: []; result: void };
}

/** Main → renderer pushes: `webContents.send(channel, ...payload)`. */
export interface PushChannels {
  'airlock:open-request': [requestId: string];
  'airlock:open-settings': [];
}

export type InvokeChannel = keyof InvokeChannels;
export type PushChannel = keyof PushChannels;
export type InvokeArgs<K extends InvokeChannel> = InvokeChannels[K]['args'];
export type InvokeResult<K extends InvokeChannel> = InvokeChannels[K]['result'];

export type PromptAnswer = { ok: true } | { ok: false; message: string };
