// The console window's preload: exposes exactly DesktopBridge as `window.airlockDesktop`, one function per message.
// Built to dist/main/preload.cjs (sandboxed preloads are CommonJS and may require nothing but 'electron').
import { contextBridge, ipcRenderer } from 'electron';
import { createBridge } from './bridge-client.js';

contextBridge.exposeInMainWorld('airlockDesktop', createBridge(ipcRenderer));
