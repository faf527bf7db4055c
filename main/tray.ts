// The tray icon: how many requests wait (tooltip, title, a menu line; the dock badge on macOS) and the menu
// Open / Pause intake / Settings / Quit. It reads the count from the gateway, never keeps its own.
import type { EventEmitter } from 'node:events';
import type { App, Menu, MenuItemConstructorOptions, NativeImage } from 'electron';
import type { Gateway } from '../gateway/server.js';

/** The part of Electron's Tray this module uses. */
export interface TrayLike {
  setToolTip(toolTip: string): void;
  setTitle(title: string): void;
  setContextMenu(menu: Menu | null): void;
  on(event: 'click', listener: () => void): unknown;
  destroy(): void;
  isDestroyed(): boolean;
}
export type TrayCtor = new (image: NativeImage | string) => TrayLike;
export type MenuBuilder = { buildFromTemplate(template: MenuItemConstructorOptions[]): Menu };

export interface TrayGateway {
  readonly events: EventEmitter;
  pendingCount(): number;
  readonly intakePaused: boolean;
}

export interface TrayOptions {
  Tray: TrayCtor;
  Menu: MenuBuilder;
  app: Pick<App, 'setBadgeCount'>;
  icon: NativeImage | string;
  platform: NodeJS.Platform;
  gateway: TrayGateway;
  onOpen(): void;
  onPauseIntake(paused: boolean): void;
  onSettings(): void;
  onQuit(): void;
}

export interface AirlockTray {
  /** Reads the count and pause state again (events call it; so does a pause from elsewhere). */
  refresh(): void;
  destroy(): void;
}

const EVENTS = ['request.pending', 'request.updated', 'request.decided', 'request.completed'] as const;

export function createTray(opts: TrayOptions): AirlockTray {
  const tray = new opts.Tray(opts.icon);
  let shown: { count: number; paused: boolean } | null = null;
  let scheduled = false;

  const render = () => {
    scheduled = false;
    if (tray.isDestroyed()) return;
    const count = opts.gateway.pendingCount();
    const paused = opts.gateway.intakePaused;
    if (shown && shown.count === count && shown.paused === paused) return;
    shown = { count, paused };
    const status = waitingLabel(count) + (paused ? ' (intake paused)' : '');
    tray.setToolTip(`Airlock: ${status}`);
    if (opts.platform !== 'win32') tray.setTitle(count > 0 ? String(count) : '');
    opts.app.setBadgeCount(count);
    tray.setContextMenu(
      opts.Menu.buildFromTemplate([
        // Some Linux trays show no tooltip: the count is in the menu too.
        { label: status, enabled: false },
        { type: 'separator' },
        { label: 'Open Airlock', click: () => opts.onOpen() },
        { label: 'Pause intake', type: 'checkbox', checked: paused, click: (item) => opts.onPauseIntake(item.checked) },
        { label: 'Settings…', click: () => opts.onSettings() },
        { type: 'separator' },
        { label: 'Quit Airlock', click: () => opts.onQuit() },
      ]),
    );
  };

  // A burst of events renders once.
  const refresh = () => {
    if (scheduled) return;
    scheduled = true;
    setImmediate(render);
  };

  tray.on('click', () => opts.onOpen());
  for (const event of EVENTS) opts.gateway.events.on(event, refresh);
  render();

  return {
    refresh,
    destroy() {
      for (const event of EVENTS) opts.gateway.events.off(event, refresh);
      if (!tray.isDestroyed()) tray.destroy();
      opts.app.setBadgeCount(0);
    },
  };
}

export function waitingLabel(count: number): string {
  if (count === 0) return 'nothing waiting';
  return `${count} request${count === 1 ? '' : 's'} waiting`;
}
