// Stand-ins for Electron's modules and for the gateway, so main/ is tested without an Electron binary
// and without depending on the gateway's timing. Each fake records what main asked of it.
import { EventEmitter } from 'node:events';
import type {
  BrowserWindowConstructorOptions,
  IpcMainInvokeEvent,
  MenuItemConstructorOptions,
  NotificationConstructorOptions,
} from 'electron';
import { vi } from 'vitest';
import type { RequestSummary } from '../../gateway/api/types.js';
import { defaultConfig } from '../../gateway/config/schema.js';
import type { Gateway, GatewayEvents } from '../../gateway/server.js';
import type { ElectronModules } from '../../main/app.js';

// ---------- the gateway ----------

export interface FakeGateway extends Gateway {
  readonly pending: Map<string, RequestSummary>;
  arrive(summary: RequestSummary): void;
  stop: ReturnType<typeof vi.fn<() => Promise<void>>>;
  decide: ReturnType<typeof vi.fn<Gateway['decide']>>;
  addKeyProtector: ReturnType<typeof vi.fn<Gateway['addKeyProtector']>>;
}

export function fakeGateway(url = 'http://127.0.0.1:1'): FakeGateway {
  const events: GatewayEvents = new EventEmitter();
  const pending = new Map<string, RequestSummary>();
  let paused = false;
  const gateway: FakeGateway = {
    url,
    port: Number(new URL(url).port),
    events,
    config: defaultConfig(),
    pending,
    arrive(summary) {
      pending.set(summary.id, summary);
      events.emit('request.pending', summary);
    },
    pendingCount: () => pending.size,
    get intakePaused() {
      return paused;
    },
    setIntakePaused(value) {
      paused = value;
    },
    issueReviewerToken: vi.fn(async (name: string) => `token-for-${name}`),
    issueCallerKey: vi.fn(async (name: string) => `key-for-${name}`),
    decide: vi.fn(async (id, decision) => {
      const request = pending.get(id);
      if (!request) throw new Error(`request ${id} is not pending`);
      pending.delete(id);
      events.emit('request.decided', { ...request, status: decision.action === 'approve' ? 'approved' : 'rejected' });
    }),
    addKeyProtector: vi.fn(async () => undefined),
    stop: vi.fn(async () => undefined),
  };
  return gateway;
}

let sequence = 0;
export function summary(overrides: Partial<RequestSummary> = {}): RequestSummary {
  sequence += 1;
  const now = new Date().toISOString();
  return {
    id: `req_${sequence}`,
    status: 'pending',
    caller: 'ci-bot',
    protocol: 'openai-chat',
    model: 'gpt-4o',
    stream: false,
    createdAt: now,
    updatedAt: now,
    policy: null,
    preview: 'Summarize the incident report from last night and list every action item with an owner',
    tokens: 42,
    timeoutAt: null,
    claim: null,
    duplicates: 0,
    groupOf: null,
    shredded: false,
    escalated: false,
    escalateTo: [],
    approvalsNeeded: 1,
    phase: 'request',
    extendable: true,
    ...overrides,
  };
}

// ---------- Electron ----------

export class FakeNotification extends EventEmitter {
  static instances: FakeNotification[] = [];
  static supported = true;
  static isSupported(): boolean {
    return FakeNotification.supported;
  }
  readonly show = vi.fn();
  readonly close = vi.fn(() => {
    this.emit('close');
  });
  constructor(readonly options: NotificationConstructorOptions) {
    super();
    FakeNotification.instances.push(this);
  }
  get title(): string {
    return this.options.title ?? '';
  }
  get body(): string {
    return this.options.body ?? '';
  }
  static reset(): void {
    FakeNotification.instances = [];
    FakeNotification.supported = true;
  }
}

export class FakeWebContents extends EventEmitter {
  private static nextId = 1;
  readonly id = FakeWebContents.nextId++;
  readonly send = vi.fn();
  windowOpenHandler: ((details: { url: string }) => { action: 'allow' | 'deny' }) | null = null;
  setWindowOpenHandler(handler: (details: { url: string }) => { action: 'allow' | 'deny' }): void {
    this.windowOpenHandler = handler;
  }
}

export class FakeBrowserWindow extends EventEmitter {
  static instances: FakeBrowserWindow[] = [];
  readonly webContents = new FakeWebContents();
  readonly loadURL = vi.fn(async (url: string) => {
    this.url = url;
    setImmediate(() => {
      if (this.destroyed) return;
      this.emit('ready-to-show');
      this.webContents.emit('did-finish-load');
    });
  });
  readonly show = vi.fn(() => {
    this.visible = true;
  });
  readonly focus = vi.fn();
  readonly restore = vi.fn(() => {
    this.minimized = false;
  });
  url = '';
  visible = false;
  minimized = false;
  private destroyed = false;
  constructor(readonly options: BrowserWindowConstructorOptions) {
    super();
    FakeBrowserWindow.instances.push(this);
  }
  isDestroyed(): boolean {
    return this.destroyed;
  }
  isMinimized(): boolean {
    return this.minimized;
  }
  destroy(): void {
    if (this.destroyed) return;
    this.destroyed = true;
    this.emit('closed');
  }
  /** What the user's close button does. */
  close(): void {
    this.destroy();
  }
  static reset(): void {
    FakeBrowserWindow.instances = [];
  }
  static live(): FakeBrowserWindow[] {
    return FakeBrowserWindow.instances.filter((w) => !w.isDestroyed());
  }
}

export class FakeTray extends EventEmitter {
  static instances: FakeTray[] = [];
  readonly setToolTip = vi.fn();
  readonly setTitle = vi.fn();
  menu: MenuItemConstructorOptions[] = [];
  private destroyed = false;
  readonly destroy = vi.fn(() => {
    this.destroyed = true;
  });
  constructor(readonly image: unknown) {
    super();
    FakeTray.instances.push(this);
  }
  setContextMenu(menu: unknown): void {
    this.menu = menu as MenuItemConstructorOptions[];
  }
  isDestroyed(): boolean {
    return this.destroyed;
  }
  item(label: string): MenuItemConstructorOptions {
    const found = this.menu.find((i) => i.label === label);
    if (!found) throw new Error(`no menu item "${label}" in ${this.menu.map((i) => i.label).join(', ')}`);
    return found;
  }
  static reset(): void {
    FakeTray.instances = [];
  }
}

export const FakeMenu = { buildFromTemplate: (template: MenuItemConstructorOptions[]) => template };

export class FakeIpcMain {
  readonly handlers = new Map<string, (event: IpcMainInvokeEvent, ...args: unknown[]) => unknown>();
  handle(channel: string, handler: (event: IpcMainInvokeEvent, ...args: unknown[]) => unknown): void {
    if (this.handlers.has(channel)) throw new Error(`second handler for ${channel}`);
    this.handlers.set(channel, handler);
  }
  removeHandler(channel: string): void {
    this.handlers.delete(channel);
  }
  /** Calls a handler as a renderer at `url` would (senderFrame.parent null: the top frame). */
  async invoke(channel: string, sender: { url?: string; id?: number; subframe?: boolean }, ...args: unknown[]): Promise<unknown> {
    const handler = this.handlers.get(channel);
    if (!handler) throw new Error(`No handler registered for '${channel}'`);
    const event = {
      sender: { id: sender.id ?? -1 },
      senderFrame: sender.url === undefined ? null : { url: sender.url, parent: sender.subframe ? {} : null },
    } as unknown as IpcMainInvokeEvent;
    return handler(event, ...args);
  }
}

/** Encrypts for real-ish (not the identity), and refuses what it did not encrypt, like the OS key store would. */
export function fakeSafeStorage(opts: { available?: boolean; backend?: string } = {}) {
  const mark = Buffer.from('OSKEY1');
  const xor = (b: Buffer) => Buffer.from(b.map((byte, i) => byte ^ (0x5a + (i % 7))));
  return {
    available: opts.available ?? true,
    backend: opts.backend ?? 'gnome_libsecret',
    isEncryptionAvailable(): boolean {
      return this.available;
    },
    getSelectedStorageBackend() {
      return this.backend as 'gnome_libsecret';
    },
    encryptString(text: string): Buffer {
      if (!this.available) throw new Error('Encryption is not available.');
      return Buffer.concat([mark, xor(Buffer.from(text, 'utf8'))]);
    },
    decryptString(data: Buffer): string {
      if (!data.subarray(0, mark.length).equals(mark)) throw new Error('Error while decrypting the ciphertext provided to safeStorage.decryptString.');
      return xor(data.subarray(mark.length)).toString('utf8');
    },
  };
}

export class FakeSession {
  beforeRequest: ((details: { url: string }, callback: (response: { cancel?: boolean }) => void) => void) | null = null;
  headersReceived:
    | ((details: { url: string; responseHeaders?: Record<string, string[]> }, callback: (response: { responseHeaders?: Record<string, string[]> }) => void) => void)
    | null = null;
  permissionRequest: ((contents: unknown, permission: string, callback: (granted: boolean) => void, details: { requestingUrl: string }) => void) | null = null;
  permissionCheck: ((contents: unknown, permission: string, requestingOrigin: string) => boolean) | null = null;
  readonly webRequest = {
    onBeforeRequest: (_filter: unknown, listener: NonNullable<FakeSession['beforeRequest']>) => {
      this.beforeRequest = listener;
    },
    onHeadersReceived: (listener: NonNullable<FakeSession['headersReceived']>) => {
      this.headersReceived = listener;
    },
  };
  setPermissionRequestHandler(handler: NonNullable<FakeSession['permissionRequest']>): void {
    this.permissionRequest = handler;
  }
  setPermissionCheckHandler(handler: NonNullable<FakeSession['permissionCheck']>): void {
    this.permissionCheck = handler;
  }
  requestAllowed(url: string): boolean {
    let cancel: boolean | undefined;
    this.beforeRequest!({ url }, (response) => (cancel = response.cancel));
    return cancel === false;
  }
  permissionGranted(permission: string, requestingUrl: string): boolean {
    let granted = false;
    this.permissionRequest!(null, permission, (value) => (granted = value), { requestingUrl });
    return granted;
  }
}

export class FakeApp extends EventEmitter {
  gotLock = true;
  isPackaged = false;
  quitted = false;
  readonly paths: Record<string, string>;
  readonly requestSingleInstanceLock = vi.fn(() => this.gotLock);
  readonly setBadgeCount = vi.fn(() => true);
  readonly setLoginItemSettings = vi.fn();
  readonly setAppUserModelId = vi.fn();
  readonly enableSandbox = vi.fn();
  readonly quit = vi.fn(() => {
    let prevented = false;
    this.emit('before-quit', { preventDefault: () => (prevented = true) });
    if (!prevented) this.quitted = true;
  });
  constructor(userData: string) {
    super();
    this.paths = { userData, appData: userData };
  }
  whenReady(): Promise<void> {
    return Promise.resolve();
  }
  getPath(name: string): string {
    return this.paths[name];
  }
  getAppPath(): string {
    return '/opt/airlock';
  }
  getLoginItemSettings() {
    return { wasOpenedAtLogin: false };
  }
}

export interface FakeElectron {
  app: FakeApp;
  ipcMain: FakeIpcMain;
  safeStorage: ReturnType<typeof fakeSafeStorage>;
  shell: { openExternal: ReturnType<typeof vi.fn<(url: string) => Promise<void>>> };
  dialog: {
    showErrorBox: ReturnType<typeof vi.fn<(title: string, content: string) => void>>;
    showMessageBox: ReturnType<typeof vi.fn<(options: unknown) => Promise<{ response: number }>>>;
  };
  sessions: Map<string, FakeSession>;
  modules: ElectronModules;
}

export function fakeElectron(userData: string, opts: { safeStorage?: Parameters<typeof fakeSafeStorage>[0] } = {}): FakeElectron {
  FakeBrowserWindow.reset();
  FakeTray.reset();
  FakeNotification.reset();
  const app = new FakeApp(userData);
  const ipcMain = new FakeIpcMain();
  const safeStorage = fakeSafeStorage(opts.safeStorage);
  const shell = { openExternal: vi.fn(async (_url: string) => undefined) };
  const dialog = {
    showErrorBox: vi.fn((_title: string, _content: string) => undefined),
    showMessageBox: vi.fn(async (_options: unknown) => ({ response: 0 })),
  };
  const sessions = new Map<string, FakeSession>([['default', new FakeSession()]]);
  const session = {
    get defaultSession() {
      return sessions.get('default')!;
    },
    fromPartition(partition: string) {
      if (!sessions.has(partition)) sessions.set(partition, new FakeSession());
      return sessions.get(partition)!;
    },
  };
  // The one place fakes meet Electron's full types: each fake implements the part main uses.
  const modules = {
    app,
    BrowserWindow: FakeBrowserWindow,
    Tray: FakeTray,
    Menu: FakeMenu,
    Notification: FakeNotification,
    shell,
    safeStorage,
    ipcMain,
    dialog,
    session,
  } as unknown as ElectronModules;
  return { app, ipcMain, safeStorage, shell, dialog, sessions, modules };
}

/** Lets queued setImmediate/promise work run (real timers). */
export const settle = () => new Promise<void>((resolve) => setImmediate(resolve));

export async function until<T>(probe: () => T | undefined | null | false, what: string, timeoutMs = 5000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = probe();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}
