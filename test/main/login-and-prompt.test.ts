import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { autostartEntry, autostartFile, setOpenAtLogin, startedHidden } from '../../main/login-item.js';
import { passphrasePrompt, promptPage } from '../../main/passphrase-prompt.js';
import type { BrowserWindowCtor } from '../../main/window.js';
import { FakeBrowserWindow, FakeIpcMain, until } from './fakes.js';

describe('open at login', () => {
  let home: string;
  const app = { setLoginItemSettings: vi.fn(), isPackaged: true, getAppPath: () => '/opt/Airlock/resources/app.asar' };
  beforeEach(async () => {
    home = await mkdtemp(join(tmpdir(), 'airlock-login-'));
  });
  afterEach(async () => {
    await rm(home, { recursive: true, force: true });
  });

  it('uses the OS login items on macOS and Windows, starting hidden', async () => {
    await setOpenAtLogin({ app, platform: 'darwin', env: {}, execPath: '/x', home }, true);
    expect(app.setLoginItemSettings).toHaveBeenCalledWith({ openAtLogin: true, args: ['--hidden'] });
  });

  it('writes and removes an XDG autostart entry on Linux', async () => {
    const target = { app, platform: 'linux' as const, env: { APPIMAGE: '/home/me/Apps/Airlock 1.0.AppImage' }, execPath: '/tmp/.mount/airlock', home };
    await setOpenAtLogin(target, true);
    const file = autostartFile(target);
    expect(file).toBe(join(home, '.config', 'autostart', 'dev.airlock.app.desktop'));
    expect(await readFile(file, 'utf8')).toContain('Exec="/home/me/Apps/Airlock 1.0.AppImage" --hidden');
    await setOpenAtLogin(target, false);
    expect(existsSync(file)).toBe(false);
  });

  it('runs the app folder with electron in development', () => {
    const entry = autostartEntry({ app: { ...app, isPackaged: false, getAppPath: () => '/src/airlock' }, platform: 'linux', env: {}, execPath: '/src/airlock/node_modules/electron/dist/electron', home });
    expect(entry).toContain('Exec=/src/airlock/node_modules/electron/dist/electron /src/airlock --hidden');
  });

  it('knows a start from the login item', () => {
    const loginItems = { getLoginItemSettings: () => ({ wasOpenedAtLogin: false }) } as never;
    expect(startedHidden(['airlock', '--hidden'], loginItems, 'linux')).toBe(true);
    expect(startedHidden(['airlock'], loginItems, 'linux')).toBe(false);
  });
});

describe('passphrase prompt', () => {
  it('is a static page under a hash-pinned CSP, the message escaped', () => {
    const page = promptPage({ mode: 'create', message: 'No key store <script>alert(1)</script> & more' });
    expect(page).toMatch(/script-src 'sha256-[A-Za-z0-9+/=]+'/);
    expect(page).toContain("default-src 'none'");
    expect(page).not.toContain('<script>alert(1)');
    expect(page).toContain('&#60;script&#62;alert(1)');
    expect(page).toContain('id="second"'); // choosing one: type it twice
    expect(promptPage({ mode: 'enter', message: 'x' })).not.toContain('id="second"');
  });

  it('answers only its own window and closes once the key opened', async () => {
    FakeBrowserWindow.reset();
    const ipcMain = new FakeIpcMain();
    const ask = passphrasePrompt({ BrowserWindow: FakeBrowserWindow as unknown as BrowserWindowCtor, ipcMain, preload: 'prompt-preload.cjs' });
    const check = vi.fn(async (p: string) => (p === 'right passphrase' ? null : 'That passphrase does not open this data dir.'));
    const answered = ask({ mode: 'enter', message: 'Enter it', check });
    const window = await until(() => FakeBrowserWindow.instances[0], 'the prompt');
    expect(window.options).toMatchObject({ resizable: false, webPreferences: { sandbox: true, contextIsolation: true, nodeIntegration: false, devTools: false } });

    await expect(ipcMain.invoke('airlock:prompt-submit', { id: window.webContents.id + 1 }, 'right passphrase')).rejects.toThrow(/refused/);
    expect(check).not.toHaveBeenCalled();
    expect(await ipcMain.invoke('airlock:prompt-submit', { id: window.webContents.id }, 'wrong')).toEqual({
      ok: false,
      message: 'That passphrase does not open this data dir.',
    });
    expect(await ipcMain.invoke('airlock:prompt-submit', { id: window.webContents.id }, 'right passphrase')).toEqual({ ok: true });
    await expect(answered).resolves.toBe(true);
    expect(window.isDestroyed()).toBe(true);
    expect(ipcMain.handlers.size).toBe(0);
  });

  it('resolves false when the user quits from it or closes it', async () => {
    FakeBrowserWindow.reset();
    const ipcMain = new FakeIpcMain();
    const ask = passphrasePrompt({ BrowserWindow: FakeBrowserWindow as unknown as BrowserWindowCtor, ipcMain, preload: 'p' });
    const first = ask({ mode: 'enter', message: 'x', check: async () => null });
    const window = await until(() => FakeBrowserWindow.instances[0], 'the prompt');
    await ipcMain.invoke('airlock:prompt-cancel', { id: window.webContents.id });
    await expect(first).resolves.toBe(false);

    const second = ask({ mode: 'enter', message: 'x', check: async () => null });
    const other = await until(() => FakeBrowserWindow.instances[1], 'the prompt');
    other.close();
    await expect(second).resolves.toBe(false);
  });
});
