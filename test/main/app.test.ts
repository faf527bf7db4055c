// The app's lifecycle with Electron and the gateway replaced: single instance, tray life, notifications with
// the window closed, the passphrase fallback, and a clean shutdown.
import { mkdir, mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { openDataKey } from '../../gateway/store/keyring.js';
import type { GatewayOptions } from '../../gateway/server.js';
import { startDesktopApp, type DesktopApp } from '../../main/app.js';
import {
  FakeBrowserWindow,
  FakeNotification,
  FakeTray,
  fakeElectron,
  fakeGateway,
  settle,
  summary,
  until,
  type FakeElectron,
  type FakeGateway,
} from './fakes.js';

describe('desktop app lifecycle', () => {
  let userData: string;
  let electron: FakeElectron;
  let gateway: FakeGateway;
  let startGateway: ReturnType<typeof vi.fn<(opts: GatewayOptions) => Promise<FakeGateway>>>;
  let desktop: DesktopApp;

  const launch = (over: { argv?: string[]; env?: NodeJS.ProcessEnv; platform?: NodeJS.Platform } = {}) => {
    desktop = startDesktopApp({
      electron: electron.modules,
      startGateway,
      files: { preload: 'preload.cjs', promptPreload: 'prompt-preload.cjs', consoleDir: '/opt/console', icon: 'icon.png', trayIcon: 'tray.png' },
      platform: over.platform ?? 'linux',
      argv: over.argv ?? ['electron', '.'],
      env: { AIRLOCK_DATA_DIR: join(userData, 'data'), ...over.env },
      home: userData,
      execPath: '/usr/bin/electron',
      logger: pino({ level: 'silent' }),
      notificationBatchMs: 20,
    });
    return desktop;
  };

  beforeEach(async () => {
    userData = await mkdtemp(join(tmpdir(), 'airlock-desktop-'));
    electron = fakeElectron(userData);
    gateway = fakeGateway();
    // Like the real one: the data key opens with the given protector or the start fails.
    startGateway = vi.fn(async (opts: GatewayOptions) => {
      await mkdir(opts.dataDir, { recursive: true });
      await openDataKey(opts.dataDir, opts.keyProtector, { create: true });
      return gateway;
    });
  });
  afterEach(async () => {
    if (!electron.app.quitted) electron.app.quit();
    await until(() => electron.app.quitted, 'quit');
    await rm(userData, { recursive: true, force: true });
  });

  it('starts the gateway with the desktop settings, then the window, tray and reviewer identity', async () => {
    await launch().ready;
    expect(startGateway).toHaveBeenCalledTimes(1);
    const opts = startGateway.mock.calls[0][0];
    expect(opts).toMatchObject({ port: 8787, host: '127.0.0.1', dataDir: join(userData, 'data'), consoleDir: '/opt/console', demo: true });
    expect(opts.keyProtector.kind).toBe('safeStorage');
    expect(electron.app.enableSandbox).toHaveBeenCalled();
    expect(FakeTray.instances).toHaveLength(1);
    expect(FakeBrowserWindow.live()).toHaveLength(1);
    expect(FakeBrowserWindow.live()[0].loadURL).toHaveBeenCalledWith(`${gateway.url}/`);
    expect(gateway.issueReviewerToken).toHaveBeenCalledWith('desktop', 'admin');
    // The token reaches the console's own page through the preload, and nobody else.
    await expect(electron.ipcMain.invoke('airlock:get-reviewer-token', { url: `${gateway.url}/` })).resolves.toBe('token-for-desktop');
    await expect(electron.ipcMain.invoke('airlock:get-reviewer-token', { url: 'https://evil.example/' })).rejects.toThrow(/refused/);
  });

  it('quits at once when another instance holds the lock', async () => {
    electron.app.gotLock = false;
    const app = launch();
    await app.ready;
    expect(app.primary).toBe(false);
    expect(electron.app.quit).toHaveBeenCalled();
    expect(startGateway).not.toHaveBeenCalled();
    expect(FakeBrowserWindow.instances).toHaveLength(0);
  });

  it('focuses the running window on a second launch, or makes one if it was closed', async () => {
    await launch().ready;
    const [first] = FakeBrowserWindow.live();
    first.minimized = true;
    electron.app.emit('second-instance', {}, ['airlock']);
    expect(first.restore).toHaveBeenCalled();
    expect(first.focus).toHaveBeenCalled();
    expect(FakeBrowserWindow.live()).toEqual([first]);

    first.close();
    electron.app.emit('second-instance', {}, ['airlock']);
    expect(FakeBrowserWindow.live()).toHaveLength(1);
    expect(FakeBrowserWindow.live()[0]).not.toBe(first);
  });

  it('keeps running in the tray with the window closed, and still notifies', async () => {
    await launch().ready;
    FakeBrowserWindow.live()[0].close();
    expect(electron.app.listenerCount('window-all-closed')).toBe(1);
    electron.app.emit('window-all-closed');
    expect(electron.app.quit).not.toHaveBeenCalled();
    expect(gateway.stop).not.toHaveBeenCalled();

    gateway.arrive(summary({ id: 'req_closed', caller: 'nightly' }));
    const notification = await until(() => FakeNotification.instances[0], 'a notification');
    expect(notification.title).toContain('nightly');
    await settle();
    expect(FakeTray.instances[0].setToolTip).toHaveBeenLastCalledWith('Airlock: 1 request waiting');

    // Clicking it opens a window on that request.
    notification.emit('click');
    const window = FakeBrowserWindow.live()[0];
    await until(() => window.webContents.send.mock.calls.length > 0, 'open-request');
    expect(window.webContents.send).toHaveBeenCalledWith('airlock:open-request', 'req_closed');
  });

  it('starts hidden at login', async () => {
    await launch({ argv: ['airlock', '--hidden'] }).ready;
    expect(FakeBrowserWindow.instances).toHaveLength(0);
    expect(FakeTray.instances).toHaveLength(1);
  });

  it('pauses intake from the tray and remembers it', async () => {
    await launch().ready;
    FakeTray.instances[0].item('Pause intake').click!({ checked: true } as never, undefined, {} as never);
    expect(gateway.intakePaused).toBe(true);
    const saved = async () => JSON.parse(await readFile(join(userData, 'settings.json'), 'utf8').catch(() => '{}'));
    for (let i = 0; i < 50 && !(await saved()).intakePaused; i++) await settle();
    expect((await saved()).intakePaused).toBe(true);
  });

  it('asks for a passphrase in a sandboxed window when safeStorage is unavailable', async () => {
    electron.safeStorage.available = false;
    const app = launch();
    const prompt = await until(() => FakeBrowserWindow.instances[0], 'the prompt window');
    expect(prompt.options.webPreferences).toMatchObject({ sandbox: true, contextIsolation: true, nodeIntegration: false, preload: 'prompt-preload.cjs' });
    expect(prompt.loadURL.mock.calls[0][0]).toMatch(/^data:text\/html/);
    expect(decodeURIComponent(prompt.loadURL.mock.calls[0][0])).toContain('cannot use the OS key store');
    // Only the prompt's own page may answer.
    await expect(electron.ipcMain.invoke('airlock:prompt-submit', { id: 999 }, 'x')).rejects.toThrow(/refused/);
    const answer = await electron.ipcMain.invoke('airlock:prompt-submit', { id: prompt.webContents.id }, 'correct horse battery');
    expect(answer).toEqual({ ok: true });
    await app.ready;
    expect(startGateway.mock.calls.at(-1)![0].keyProtector.kind).toBe('passphrase');
    expect(prompt.isDestroyed()).toBe(true);
    await expect(electron.ipcMain.invoke('airlock:get-settings', { url: `${gateway.url}/` })).resolves.toMatchObject({
      keyProtection: 'passphrase',
      passphraseSet: true,
    });
  });

  it('restarts the gateway on a new address with the stored keys, and reloads the window', async () => {
    await launch().ready;
    const consolePage = { url: `${gateway.url}/` };
    await electron.ipcMain.invoke('airlock:save-settings', consolePage, {
      port: 9191,
      upstreams: [{ name: 'openai', url: 'https://api.openai.com', protocol: 'openai', key: 'sk-test-123' }],
    });
    const next = fakeGateway('http://127.0.0.1:9191');
    startGateway.mockImplementationOnce(async () => next);
    await until(() => startGateway.mock.calls.length === 2, 'the restart');
    const opts = startGateway.mock.calls[1][0];
    expect(opts).toMatchObject({ port: 9191, upstreamKeys: { openai: 'sk-test-123' }, demo: false });
    expect(opts.keyProtector.kind).toBe('safeStorage');
    expect(gateway.stop).toHaveBeenCalledTimes(1);
    const window = FakeBrowserWindow.live()[0];
    await until(() => window.loadURL.mock.calls.some(([url]) => url === 'http://127.0.0.1:9191/'), 'the reload');
    // The tray now follows the new gateway.
    next.arrive(summary());
    await settle();
    expect(FakeTray.instances[0].setToolTip).toHaveBeenLastCalledWith('Airlock: 1 request waiting');
    gateway = next; // so afterEach's quit stops the running one
  });

  it('quits cleanly: the gateway stops once, the tray goes, then the app ends', async () => {
    await launch().ready;
    electron.app.quit();
    electron.app.quit(); // a second Quit while stopping
    expect(electron.app.quitted).toBe(false); // held until the gateway stopped
    await until(() => electron.app.quitted, 'the app to quit');
    expect(gateway.stop).toHaveBeenCalledTimes(1);
    expect(FakeTray.instances[0].destroy).toHaveBeenCalled();
    expect(FakeBrowserWindow.live()).toHaveLength(0);
    expect(electron.ipcMain.handlers.size).toBe(0);
    expect(gateway.events.listenerCount('request.pending')).toBe(0);
  });

  it('shows why it could not start, then quits', async () => {
    startGateway.mockRejectedValueOnce(new Error('cannot open the store: disk full'));
    await launch().ready;
    expect(electron.dialog.showErrorBox).toHaveBeenCalledWith('Airlock could not start', 'cannot open the store: disk full');
    await until(() => electron.app.quitted, 'quit');
  });

  it('offers a free port when the usual one is taken', async () => {
    startGateway.mockRejectedValueOnce(new Error('port 8787 on 127.0.0.1 is already in use'));
    await launch().ready;
    expect(electron.dialog.showMessageBox).toHaveBeenCalled();
    expect(startGateway.mock.calls.at(-1)![0].port).toBe(0);
  });
});
