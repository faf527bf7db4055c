// The console window, hardened where it is made: Electron's security checklist applied to the window,
// to every webContents (links leave for the system browser) and to the session (no remote content, a CSP).
import type { BrowserWindow, BrowserWindowConstructorOptions, Session, WebContents } from 'electron';
import type { Logger } from 'pino';
import type { PushChannels, PushChannel } from './channels.js';
import { originOf } from './ipc.js';

export type BrowserWindowCtor = new (options: BrowserWindowConstructorOptions) => BrowserWindow;
type OpenExternal = (url: string) => Promise<void>;

/** The policy the desktop window runs under whatever the gateway's own header says (both apply; they match). */
export const CONTENT_SECURITY_POLICY = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "font-src 'self' data:",
  "connect-src 'self'",
  "object-src 'none'",
  "base-uri 'none'",
  "form-action 'self'",
  "frame-ancestors 'none'",
].join('; ');

/**
 * The console's session lives in memory only: Chromium's disk cache would otherwise keep API answers, prompt text
 * included, in plain files. Nothing the console needs across restarts is kept there (the token comes from main).
 */
export const CONSOLE_PARTITION = 'airlock-console';

export function mainWindowOptions(opts: { preload: string; icon?: string; devTools: boolean }): BrowserWindowConstructorOptions {
  return {
    title: 'Airlock',
    width: 1280,
    height: 840,
    minWidth: 880,
    minHeight: 560,
    show: false,
    icon: opts.icon,
    autoHideMenuBar: true,
    webPreferences: {
      preload: opts.preload,
      partition: CONSOLE_PARTITION,
      contextIsolation: true,
      sandbox: true,
      nodeIntegration: false,
      nodeIntegrationInWorker: false,
      nodeIntegrationInSubFrames: false,
      webSecurity: true,
      allowRunningInsecureContent: false,
      webviewTag: false,
      experimentalFeatures: false,
      navigateOnDragDrop: false,
      safeDialogs: true,
      devTools: opts.devTools,
    },
  };
}

export function isWebUrl(url: string): boolean {
  return originOf(url) !== null;
}

/**
 * Applied to every webContents the app creates (app 'web-contents-created'): new windows are denied and
 * http(s) links go to the system browser; navigation away from the gateway's origin is blocked.
 */
export function guardWebContents(
  contents: WebContents,
  opts: { gatewayUrl: () => string | null; openExternal: OpenExternal; logger?: Logger },
): void {
  const ownOrigin = () => {
    const url = opts.gatewayUrl();
    return url ? originOf(url) : null;
  };
  const leave = (url: string) => {
    if (isWebUrl(url)) opts.openExternal(url).catch((err) => opts.logger?.warn({ err }, 'could not open link in the browser'));
  };
  contents.setWindowOpenHandler(({ url }) => {
    leave(url);
    return { action: 'deny' };
  });
  const stayHome = (event: { preventDefault(): void }, url: string) => {
    const origin = originOf(url);
    if (origin !== null && origin === ownOrigin()) return;
    event.preventDefault();
    leave(url);
  };
  contents.on('will-navigate', stayHome);
  contents.on('will-redirect', stayHome);
  contents.on('will-attach-webview', (event) => event.preventDefault());
}

/**
 * The session's policies: requests only to the gateway's origin (no remote content), the CSP on its pages,
 * and of all permissions only notifications, only for the gateway's pages.
 */
export function guardSession(session: Session, opts: { gatewayUrl: () => string | null; logger?: Logger }): void {
  const ownOrigin = () => {
    const url = opts.gatewayUrl();
    return url ? originOf(url) : null;
  };
  const isOwn = (url: string) => {
    const origin = originOf(url);
    return origin !== null && origin === ownOrigin();
  };
  session.webRequest.onBeforeRequest({ urls: ['*://*/*'] }, (details, callback) => {
    const allowed = isOwn(details.url);
    if (!allowed) opts.logger?.warn({ origin: originOf(details.url) }, 'blocked a request to another origin');
    callback({ cancel: !allowed });
  });
  session.webRequest.onHeadersReceived((details, callback) => {
    if (!isOwn(details.url)) return callback({});
    callback({ responseHeaders: { ...details.responseHeaders, 'Content-Security-Policy': [CONTENT_SECURITY_POLICY] } });
  });
  session.setPermissionRequestHandler((_contents, permission, callback, details) => {
    callback(permission === 'notifications' && isOwn(details.requestingUrl));
  });
  session.setPermissionCheckHandler((_contents, permission, requestingOrigin) => {
    return permission === 'notifications' && isOwn(requestingOrigin);
  });
}

/**
 * The one console window: made when needed, destroyed when closed (Airlock stays in the tray), and told
 * which request or view to show through the preload's push channels.
 */
export class ConsoleWindow {
  private window: BrowserWindow | null = null;
  private loaded = false;

  constructor(
    private readonly deps: {
      BrowserWindow: BrowserWindowCtor;
      options: BrowserWindowConstructorOptions;
      gatewayUrl: () => string | null;
      logger?: Logger;
    },
  ) {}

  get current(): BrowserWindow | null {
    return this.window && !this.window.isDestroyed() ? this.window : null;
  }

  show(): BrowserWindow | null {
    const existing = this.current;
    if (existing) {
      if (existing.isMinimized()) existing.restore();
      existing.show();
      existing.focus();
      return existing;
    }
    const url = this.deps.gatewayUrl();
    if (!url) return null;
    const window = new this.deps.BrowserWindow(this.deps.options);
    this.window = window;
    this.loaded = false;
    window.once('ready-to-show', () => {
      window.show();
      window.focus();
    });
    window.webContents.on('did-finish-load', () => {
      this.loaded = true;
    });
    window.on('closed', () => {
      if (this.window === window) this.window = null;
    });
    this.load(window, url);
    return window;
  }

  /** Shows the window and asks the console to open one request. */
  openRequest(requestId: string): void {
    this.push('airlock:open-request', requestId);
  }

  openSettings(): void {
    this.push('airlock:open-settings');
  }

  /** After a gateway restart: the console comes from the new address. */
  reload(): void {
    const window = this.current;
    const url = this.deps.gatewayUrl();
    if (window && url) this.load(window, url);
  }

  destroy(): void {
    this.current?.destroy();
    this.window = null;
  }

  private load(window: BrowserWindow, gatewayUrl: string): void {
    this.loaded = false;
    window.loadURL(new URL('/', gatewayUrl).toString()).catch((err) => this.deps.logger?.error({ err }, 'console did not load'));
  }

  private push<K extends PushChannel>(channel: K, ...payload: PushChannels[K]): void {
    const window = this.show();
    if (!window) return;
    // The preload keeps a message that arrives before the console subscribed; one sent before the page exists is lost.
    if (this.loaded) window.webContents.send(channel, ...payload);
    else window.webContents.once('did-finish-load', () => window.webContents.send(channel, ...payload));
  }
}
