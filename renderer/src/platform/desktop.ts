// The Electron preload's bridge, when the console runs in the desktop window; null in a browser.
import type { DesktopBridge } from '../../../main/bridge.js';

export function desktopBridge(): DesktopBridge | null {
  return typeof window !== 'undefined' && window.airlockDesktop ? window.airlockDesktop : null;
}
