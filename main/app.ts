// The desktop app's lifecycle: one instance, the gateway started once the key is open, the console window,
// tray and notifications wired to it; closing the window keeps Airlock in the tray; quitting stops the gateway.
// Electron's modules come in as arguments, so tests run this with fakes.
import { join } from 'node:path';
import type { App, Dialog, Session, Shell } from 'electron';
import type { Logger } from 'pino';
import { registerDesktopApi } from './desktop-api.js';
import { EmbeddedGateway, type StartGateway } from './embedded-gateway.js';
import { gatewayOptions } from './gateway-options.js';
import { createIpcRegistry, fromGatewayOrigin, type IpcMainLike, type IpcRegistry } from './ipc.js';
import { keyStoreState, safeStorageProtector, type SafeStorageLike } from './keys.js';
import { setOpenAtLogin, startedHidden } from './login-item.js';
import { createNotifier, type NotificationCtor, type Notifier } from './notifications.js';
import { passphrasePrompt } from './passphrase-prompt.js';
import { DESKTOP_REVIEWER, ensureReviewerToken } from './reviewer-token.js';
import { DesktopSecrets } from './secrets.js';
import { SettingsStore, type Settings } from './settings.js';
import { createTray, type AirlockTray, type MenuBuilder, type TrayCtor } from './tray.js';
import { UnlockCancelled, unlock } from './unlock.js';
import {
  CONSOLE_PARTITION,
  ConsoleWindow,
  guardSession,
  guardWebContents,
  mainWindowOptions,
  type BrowserWindowCtor,
} from './window.js';
import { defaultDataDir } from '../gateway/config/paths.js';
import type { KeyProtector } from '../gateway/store/keyring.js';

export const APP_ID = 'dev.airlock.app';

export type AppLike = Pick<
  App,
  | 'requestSingleInstanceLock'
  | 'on'
  | 'whenReady'
  | 'quit'
  | 'getPath'
  | 'setBadgeCount'
  | 'setLoginItemSettings'
  | 'getLoginItemSettings'
  | 'isPackaged'
  | 'getAppPath'
  | 'setAppUserModelId'
  | 'enableSandbox'
>;

export interface ElectronModules {
  app: AppLike;
  BrowserWindow: BrowserWindowCtor;
  Tray: TrayCtor;
  Menu: MenuBuilder;
  Notification: NotificationCtor;
  shell: Pick<Shell, 'openExternal'>;
  safeStorage: SafeStorageLike;
  ipcMain: IpcMainLike;
  dialog: Pick<Dialog, 'showErrorBox' | 'showMessageBox'>;
  session: { readonly defaultSession: Session; fromPartition(partition: string): Session };
}

export interface DesktopAppOptions {
  electron: ElectronModules;
  startGateway: StartGateway;
  files: { preload: string; promptPreload: string; consoleDir: string; icon: string; trayIcon: string };
  platform: NodeJS.Platform;
  argv: string[];
  env: NodeJS.ProcessEnv;
  home: string;
  execPath: string;
  logger: Logger;
  /** Burst window for notifications (tests shorten it). */
  notificationBatchMs?: number;
}

export interface DesktopApp {
  /** False when another instance already runs (this one quits at once). */
  readonly primary: boolean;
  /** Settles once started (or failed and quitting). */
  readonly ready: Promise<void>;
  readonly gateway: EmbeddedGateway;
}

export function startDesktopApp(opts: DesktopAppOptions): DesktopApp {
  const { app, dialog, shell } = opts.electron;
  const { logger } = opts;
  let settings: SettingsStore | null = null;
  let secrets: DesktopSecrets | null = null;
  let home: KeyProtector | null = null;
  let tray: AirlockTray | null = null;
  let notifier: Notifier | null = null;
  let ipc: IpcRegistry | null = null;
  let dataDir = '';
  let stopping: Promise<void> | null = null;
  let stopped = false;

  const gateway = new EmbeddedGateway({
    startGateway: opts.startGateway,
    async options(protector) {
      // While unlocking, each protector tried opens the secrets too (a wrong passphrase fails here first);
      // once running, the open secrets are the truth and restarts reuse them.
      if (!home || !secrets) secrets = await DesktopSecrets.open(join(app.getPath('userData'), 'secrets.json'), protector);
      return gatewayOptions({
        settings: settings!.get(),
        dataDir,
        keyProtector: protector,
        upstreamKeys: secrets.upstreamKeys,
        consoleDir: opts.files.consoleDir,
        logger: logger.child({ component: 'gateway' }),
      });
    },
    async onPortBusy(address) {
      const { response } = await dialog.showMessageBox({
        type: 'warning',
        message: `${address} is already in use`,
        detail:
          'Another program (perhaps `airlock serve`) listens there. Airlock can start on a free port for now; ' +
          'programs pointed at the usual address reach it only after you change the port in Settings.',
        buttons: ['Start on a free port', 'Quit'],
        defaultId: 0,
        cancelId: 1,
      });
      return response === 0;
    },
    logger,
  });

  if (!app.requestSingleInstanceLock()) {
    logger.info('Airlock already runs: focusing it');
    app.quit();
    return { primary: false, ready: Promise.resolve(), gateway };
  }

  app.enableSandbox();
  if (opts.platform === 'win32') app.setAppUserModelId(APP_ID);

  const window = new ConsoleWindow({
    BrowserWindow: opts.electron.BrowserWindow,
    options: mainWindowOptions({ preload: opts.files.preload, icon: opts.files.icon, devTools: !app.isPackaged }),
    gatewayUrl: () => gateway.url,
    logger,
  });

  const shutdown = () => {
    stopping ??= (async () => {
      notifier?.dispose();
      tray?.destroy();
      ipc?.dispose();
      window.destroy();
      try {
        await gateway.stop();
      } catch (err) {
        logger.error({ err }, 'the gateway did not stop cleanly');
      }
      stopped = true;
    })();
    return stopping;
  };

  const fail = (err: unknown) => {
    if (!(err instanceof UnlockCancelled)) {
      logger.error({ err }, 'Airlock could not start');
      dialog.showErrorBox('Airlock could not start', err instanceof Error ? err.message : String(err));
    }
    app.quit();
  };

  const restartSoon = (previous: Settings) => {
    setImmediate(async () => {
      try {
        await gateway.restart();
      } catch (err) {
        logger.error({ err }, 'gateway restart failed; restoring the previous settings');
        dialog.showErrorBox(
          'Airlock could not apply the new settings',
          `${err instanceof Error ? err.message : String(err)}\nThe previous address and upstreams are restored.`,
        );
        await settings!.save({ port: previous.port, host: previous.host, upstreams: previous.upstreams });
        try {
          await gateway.restart();
        } catch (again) {
          return fail(again);
        }
      }
      window.reload();
      tray?.refresh();
    });
  };

  const boot = async () => {
    const userData = app.getPath('userData');
    settings = await SettingsStore.open(join(userData, 'settings.json'));
    // The same default as `airlock serve`, so both open one store (see docs/desktop.md).
    dataDir = opts.env.AIRLOCK_DATA_DIR || settings.get().dataDir || defaultDataDir(opts.env, opts.platform);
    for (const session of [opts.electron.session.defaultSession, opts.electron.session.fromPartition(CONSOLE_PARTITION)]) {
      guardSession(session, { gatewayUrl: () => gateway.url, logger });
    }

    const keyStore = keyStoreState(opts.electron.safeStorage, opts.platform);
    if (!keyStore.usable) logger.warn({ why: keyStore.why }, 'no OS key store: the data key is protected by a passphrase');
    const unlocked = await unlock({
      dataDir,
      keyStore,
      safeStorage: safeStorageProtector(opts.electron.safeStorage),
      envPassphrase: opts.env.AIRLOCK_PASSPHRASE,
      ask: passphrasePrompt({
        BrowserWindow: opts.electron.BrowserWindow,
        ipcMain: opts.electron.ipcMain,
        preload: opts.files.promptPreload,
        icon: opts.files.icon,
        logger,
      }),
      start: async (protector) => {
        await gateway.start(protector);
      },
      addProtector: (protector) => gateway.running.addKeyProtector(protector),
    });
    home = unlocked.home;
    gateway.useProtector(home);
    const openSecrets = secrets!;
    if (openSecrets.unreadableKind) {
      logger.warn({ sealedBy: openSecrets.unreadableKind }, 'upstream keys were sealed by another protection; enter them again');
    } else if (openSecrets.kind !== home.kind) {
      await openSecrets.rewrap(home);
    }
    if (settings.get().passphraseSet !== unlocked.passphraseSet) await settings.save({ passphraseSet: unlocked.passphraseSet });
    gateway.setIntakePaused(settings.get().intakePaused);
    const reviewerToken = await ensureReviewerToken(gateway.running, openSecrets);

    const store = settings;
    tray = createTray({
      Tray: opts.electron.Tray,
      Menu: opts.electron.Menu,
      app,
      icon: opts.files.trayIcon,
      platform: opts.platform,
      gateway,
      onOpen: () => window.show(),
      onPauseIntake: (paused) => {
        gateway.setIntakePaused(paused);
        tray?.refresh();
        store.save({ intakePaused: paused }).catch((err) => logger.error({ err }, 'could not save the intake state'));
      },
      onSettings: () => window.openSettings(),
      onQuit: () => app.quit(),
    });
    notifier = createNotifier({
      Notification: opts.electron.Notification,
      gateway,
      prefs: () => store.get(),
      openRequest: (id) => window.openRequest(id),
      reviewer: DESKTOP_REVIEWER,
      platform: opts.platform,
      batchMs: opts.notificationBatchMs,
      icon: opts.files.icon,
      logger,
    });
    ipc = createIpcRegistry(opts.electron.ipcMain, fromGatewayOrigin(() => gateway.url), logger);
    registerDesktopApi(ipc, {
      settings: store,
      secrets: openSecrets,
      gateway,
      dataDir,
      home: {
        get: () => home!,
        set: (protector) => {
          home = protector;
          gateway.useProtector(protector);
        },
      },
      reviewerToken: () => reviewerToken,
      setOpenAtLogin: (enabled) =>
        setOpenAtLogin({ app, platform: opts.platform, env: opts.env, execPath: opts.execPath, home: opts.home }, enabled),
      restartSoon,
      logger,
    });
    logger.info({ url: gateway.url, keyProtection: home.kind }, 'Airlock desktop ready');
    if (!startedHidden(opts.argv, app, opts.platform)) window.show();
  };

  app.on('second-instance', () => window.show());
  app.on('activate', () => window.show());
  // Closing the window is not quitting: Airlock keeps holding requests from the tray.
  app.on('window-all-closed', () => undefined);
  app.on('web-contents-created', (_event, contents) =>
    guardWebContents(contents, { gatewayUrl: () => gateway.url, openExternal: (url) => shell.openExternal(url), logger }),
  );
  app.on('before-quit', (event) => {
    if (stopped) return;
    event.preventDefault();
    void shutdown().then(() => app.quit());
  });

  const ready = app.whenReady().then(boot).catch(fail);
  return { primary: true, ready, gateway };
}

/**
 * userData: the "Airlock" folder in the OS's app-data folder, in development and packaged alike; the same folder
 * `airlock serve` uses as its default data dir, so settings.json, secrets.json and logs/ sit beside the store.
 */
export function desktopUserData(app: Pick<App, 'getPath'>, env: NodeJS.ProcessEnv): string {
  return env.AIRLOCK_USER_DATA || join(app.getPath('appData'), 'Airlock');
}
