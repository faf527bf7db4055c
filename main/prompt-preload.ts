// The passphrase prompt's preload: two functions, nothing else. Built to dist/main/prompt-preload.cjs.
import { contextBridge, ipcRenderer } from 'electron';
import type { PromptAnswer } from './channels.js';

contextBridge.exposeInMainWorld('airlockPrompt', {
  submit: (passphrase: string): Promise<PromptAnswer> => ipcRenderer.invoke('airlock:prompt-submit', String(passphrase)),
  cancel: (): Promise<void> => ipcRenderer.invoke('airlock:prompt-cancel'),
});
