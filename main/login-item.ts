// "Open at login": the OS's login items on macOS and Windows, an XDG autostart entry on Linux
// (Electron's setLoginItemSettings does nothing there). Started at login, Airlock opens in the tray only.
import { mkdir, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { App } from 'electron';

export const HIDDEN_FLAG = '--hidden';

export interface LoginItemTarget {
  app: Pick<App, 'setLoginItemSettings' | 'isPackaged' | 'getAppPath'>;
  platform: NodeJS.Platform;
  env: NodeJS.ProcessEnv;
  execPath: string;
  home: string;
}

export async function setOpenAtLogin(target: LoginItemTarget, enabled: boolean): Promise<void> {
  if (target.platform !== 'linux') {
    target.app.setLoginItemSettings({ openAtLogin: enabled, args: [HIDDEN_FLAG] });
    return;
  }
  const file = autostartFile(target);
  if (!enabled) {
    await rm(file, { force: true });
    return;
  }
  await mkdir(join(file, '..'), { recursive: true });
  await writeFile(file, autostartEntry(target));
}

export function autostartFile(target: Pick<LoginItemTarget, 'env' | 'home'>): string {
  const config = target.env.XDG_CONFIG_HOME || join(target.home, '.config');
  return join(config, 'autostart', 'dev.airlock.app.desktop');
}

export function autostartEntry(target: LoginItemTarget): string {
  // An AppImage moves with its file; electron-builder's runtime names it in APPIMAGE.
  const command = target.env.APPIMAGE
    ? [target.env.APPIMAGE]
    : target.app.isPackaged
      ? [target.execPath]
      : [target.execPath, target.app.getAppPath()];
  const exec = [...command, HIDDEN_FLAG].map(quoteExecArg).join(' ');
  return ['[Desktop Entry]', 'Type=Application', 'Name=Airlock', `Exec=${exec}`, 'X-GNOME-Autostart-enabled=true', ''].join('\n');
}

/** Quoting per the Desktop Entry spec's Exec key. */
function quoteExecArg(arg: string): string {
  if (!/[\s"'\\$`]/.test(arg)) return arg;
  return `"${arg.replace(/(["`$\\])/g, '\\$1')}"`;
}

/** Whether this start came from the login item (then no window opens). */
export function startedHidden(argv: string[], app: Pick<App, 'getLoginItemSettings'>, platform: NodeJS.Platform): boolean {
  if (argv.includes(HIDDEN_FLAG)) return true;
  return platform === 'darwin' && app.getLoginItemSettings().wasOpenedAtLogin === true;
}
