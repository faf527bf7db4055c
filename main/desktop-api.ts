// What the console window may ask of main (DesktopBridge), each handler behind the gateway-origin sender check.
// Settings are validated here; secrets go to the sealed secrets file, never back to the renderer.
import type { Logger } from 'pino';
import { passphraseProtector, type KeyProtector } from '../gateway/store/keyring.js';
import type { Gateway } from '../gateway/server.js';
import type { DesktopSettings } from './bridge.js';
import type { IpcRegistry } from './ipc.js';
import type { DesktopSecrets } from './secrets.js';
import { needsRestart, parseSettingsUpdate, toDesktopSettings, type Settings, type SettingsStore } from './settings.js';
import { MIN_PASSPHRASE_LENGTH } from './unlock.js';

export interface DesktopApiContext {
  settings: SettingsStore;
  secrets: DesktopSecrets;
  gateway: { readonly running: Pick<Gateway, 'addKeyProtector'>; readonly intakePaused: boolean };
  dataDir: string;
  /** The protection the data key and the secrets are kept under (changes when a fallback passphrase changes). */
  home: { get(): KeyProtector; set(protector: KeyProtector): void };
  reviewerToken(): string;
  setOpenAtLogin(enabled: boolean): Promise<void>;
  /** Restarts the gateway after the answer went out (the window then reloads from the new address). */
  restartSoon(previous: Settings): void;
  logger?: Logger;
}

export function registerDesktopApi(ipc: IpcRegistry, ctx: DesktopApiContext): void {
  const current = (): DesktopSettings =>
    toDesktopSettings(ctx.settings.get(), {
      hasKey: (name) => ctx.secrets.hasKey(name),
      keyProtection: ctx.home.get().kind,
      intakePaused: ctx.gateway.intakePaused,
      dataDir: ctx.dataDir,
    });

  ipc.handle('airlock:get-reviewer-token', () => ctx.reviewerToken());
  ipc.handle('airlock:get-settings', current);

  ipc.handle('airlock:save-settings', async (raw) => {
    const update = parseSettingsUpdate(raw);
    const before = ctx.settings.get();
    let keysChanged = false;
    if (update.upstreams) {
      const stored = ctx.secrets.upstreamKeys;
      const next: Record<string, string> = {};
      for (const upstream of update.upstreams) {
        const key = upstream.key === undefined ? stored[upstream.name] : upstream.key;
        if (key) next[upstream.name] = key;
      }
      keysChanged = !sameKeys(stored, next);
      if (keysChanged) await ctx.secrets.update({ upstreamKeys: next });
    }
    const patch: Partial<Settings> = {};
    if (update.port !== undefined) patch.port = update.port;
    if (update.host !== undefined) patch.host = update.host;
    if (update.upstreams) patch.upstreams = update.upstreams.map(({ key: _key, ...upstream }) => upstream);
    if (update.openAtLogin !== undefined) patch.openAtLogin = update.openAtLogin;
    if (update.notifyPending !== undefined) patch.notifyPending = update.notifyPending;
    if (update.notifyFinished !== undefined) patch.notifyFinished = update.notifyFinished;
    const after = await ctx.settings.save(patch);
    if (after.openAtLogin !== before.openAtLogin) await ctx.setOpenAtLogin(after.openAtLogin);
    ctx.logger?.info({ restart: needsRestart(before, after) || keysChanged }, 'desktop settings saved');
    if (needsRestart(before, after) || keysChanged) ctx.restartSoon(before);
    return current();
  });

  ipc.handle('airlock:set-passphrase', async (passphrase) => {
    if (typeof passphrase !== 'string' || passphrase.length < MIN_PASSPHRASE_LENGTH) {
      throw new Error(`the passphrase needs at least ${MIN_PASSPHRASE_LENGTH} characters`);
    }
    const protector = passphraseProtector(passphrase);
    await ctx.gateway.running.addKeyProtector(protector);
    // Without an OS key store the passphrase is the home protection: the new one replaces it everywhere.
    if (ctx.home.get().kind === protector.kind) {
      ctx.home.set(protector);
      await ctx.secrets.rewrap(protector);
    }
    await ctx.settings.save({ passphraseSet: true });
    ctx.logger?.info('a passphrase now protects the data key');
  });
}

function sameKeys(a: Record<string, string>, b: Record<string, string>): boolean {
  const names = new Set([...Object.keys(a), ...Object.keys(b)]);
  for (const name of names) if (a[name] !== b[name]) return false;
  return true;
}
