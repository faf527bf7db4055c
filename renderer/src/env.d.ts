// Ambient types for the console: Vite's client types, .vue modules, and the desktop bridge global.
/// <reference types="vite/client" />

declare module '*.vue' {
  import type { DefineComponent } from 'vue';
  const component: DefineComponent<object, object, unknown>;
  export default component;
}

interface Window {
  /** Present only inside the Electron window (preload's contextBridge). */
  airlockDesktop?: import('../../main/bridge.js').DesktopBridge;
}
