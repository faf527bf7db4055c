import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { DesktopSettings } from '../../main/bridge.js';
import { registerDesktopApi, type DesktopApiContext } from '../../main/desktop-api.js';
import { createIpcRegistry } from '../../main/ipc.js';
import { safeStorageProtector } from '../../main/keys.js';
import { DesktopSecrets } from '../../main/secrets.js';
import { SettingsStore } from '../../main/settings.js';
import type { KeyProtector } from '../../gateway/store/keyring.js';
import { FakeIpcMain, fakeSafeStorage } from './fakes.js';

const CONSOLE = { url: 'http://127.0.0.1:8787/' };

describe('desktop settings', () => {
  let dir: string;
  let ipcMain: FakeIpcMain;
  let ctx: DesktopApiContext;
  let home: KeyProtector;
  let addKeyProtector: ReturnType<typeof vi.fn<(p: KeyProtector) => Promise<void>>>;

  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'airlock-settings-'));
    ipcMain = new FakeIpcMain();
    home = safeStorageProtector(fakeSafeStorage());
    addKeyProtector = vi.fn(async () => undefined);
    ctx = {
      settings: await SettingsStore.open(join(dir, 'settings.json')),
      secrets: await DesktopSecrets.open(join(dir, 'secrets.json'), home),
      gateway: { running: { addKeyProtector }, intakePaused: false },
      dataDir: join(dir, 'data'),
      home: { get: () => home, set: (p) => (home = p) },
      reviewerToken: () => 'rt_token',
      setOpenAtLogin: vi.fn(async () => undefined),
      restartSoon: vi.fn(),
    };
    registerDesktopApi(createIpcRegistry(ipcMain, () => true), ctx);
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  const call = (channel: string, ...args: unknown[]) => ipcMain.invoke(channel, CONSOLE, ...args) as Promise<DesktopSettings>;

  it('starts from defaults that match `airlock serve`', async () => {
    expect(await call('airlock:get-settings')).toEqual({
      port: 8787,
      host: '127.0.0.1',
      upstreams: [],
      openAtLogin: false,
      notifyPending: true,
      notifyFinished: false,
      keyProtection: 'safeStorage',
      passphraseSet: false,
      dataDir: join(dir, 'data'),
      intakePaused: false,
    });
  });

  it('keeps upstream keys out of settings.json and out of the answer', async () => {
    const saved = await call('airlock:save-settings', {
      upstreams: [{ name: 'openai', url: 'https://api.openai.com', protocol: 'openai', key: 'sk-proj-SECRET123456' }],
    });
    expect(saved.upstreams).toEqual([{ name: 'openai', url: 'https://api.openai.com', protocol: 'openai', hasKey: true }]);
    expect(JSON.stringify(saved)).not.toContain('SECRET');
    const settingsFile = await readFile(join(dir, 'settings.json'), 'utf8');
    expect(settingsFile).toContain('api.openai.com');
    expect(settingsFile).not.toContain('SECRET');
    expect(await readFile(join(dir, 'secrets.json'), 'utf8')).not.toContain('SECRET');
    expect((await DesktopSecrets.open(join(dir, 'secrets.json'), home)).upstreamKeys).toEqual({ openai: 'sk-proj-SECRET123456' });
    expect(ctx.restartSoon).toHaveBeenCalledTimes(1);
  });

  it('keeps a stored key when the console leaves it out, removes it with an empty one', async () => {
    const upstream = { name: 'openai', url: 'https://api.openai.com', protocol: 'openai' as const };
    await call('airlock:save-settings', { upstreams: [{ ...upstream, key: 'sk-1' }] });
    expect((await call('airlock:save-settings', { upstreams: [upstream] })).upstreams[0].hasKey).toBe(true);
    expect((await call('airlock:save-settings', { upstreams: [{ ...upstream, key: '' }] })).upstreams[0].hasKey).toBe(false);
    expect(ctx.secrets.upstreamKeys).toEqual({});
  });

  it('applies notification and login preferences without a restart', async () => {
    const saved = await call('airlock:save-settings', { notifyFinished: true, openAtLogin: true });
    expect(saved).toMatchObject({ notifyFinished: true, openAtLogin: true });
    expect(ctx.setOpenAtLogin).toHaveBeenCalledWith(true);
    expect(ctx.restartSoon).not.toHaveBeenCalled();
  });

  it('restarts the gateway for a new address', async () => {
    await call('airlock:save-settings', { port: 9090, host: '0.0.0.0' });
    expect(ctx.restartSoon).toHaveBeenCalledWith(expect.objectContaining({ port: 8787, host: '127.0.0.1' }));
    expect(ctx.settings.get()).toMatchObject({ port: 9090, host: '0.0.0.0' });
  });

  it('rejects what the renderer should not be able to set', async () => {
    await expect(call('airlock:save-settings', { port: 'eighty' })).rejects.toThrow(/port/);
    await expect(call('airlock:save-settings', { port: 70000 })).rejects.toThrow(/port/);
    await expect(call('airlock:save-settings', { dataDir: '/etc' })).rejects.toThrow(/dataDir/);
    await expect(call('airlock:save-settings', { host: 'a b; rm -rf' })).rejects.toThrow(/host/);
    await expect(
      call('airlock:save-settings', { upstreams: [{ name: 'x', url: 'not a url', protocol: 'openai' }] }),
    ).rejects.toThrow(/url/);
    expect(ctx.settings.get().port).toBe(8787);
  });

  it('adds a passphrase so the data dir opens headless', async () => {
    await expect(call('airlock:set-passphrase', 'short')).rejects.toThrow(/at least 8/);
    await call('airlock:set-passphrase', 'a long enough passphrase');
    expect(addKeyProtector).toHaveBeenCalledWith(expect.objectContaining({ kind: 'passphrase' }));
    expect((await call('airlock:get-settings')).passphraseSet).toBe(true);
    expect(home.kind).toBe('safeStorage');
  });

  it('reports a broken settings file by name', async () => {
    const file = join(dir, 'broken.json');
    await writeFile(file, '{"port": "x"}');
    await expect(SettingsStore.open(file)).rejects.toThrow(/broken\.json: port/);
  });
});
