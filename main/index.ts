// Electron's entry (package.json "main" → dist/main/index.js, built by scripts/build-main.mjs): hands the real
// Electron modules and the gateway to startDesktopApp. Everything testable lives in app.ts and its modules.
import { homedir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  app,
  BrowserWindow,
  dialog,
  ipcMain,
  Menu,
  Notification,
  safeStorage,
  session,
  shell,
  Tray,
} from 'electron';
import pino from 'pino';
import { startGateway } from '../gateway/server.js';
import { desktopUserData, startDesktopApp } from './app.js';

const here = fileURLToPath(new URL('.', import.meta.url));
const assets = join(here, 'assets');

// Before 'ready', so every path Electron derives (caches, cookies) lands in the same folder as settings and data.
app.setPath('userData', desktopUserData(app, process.env));

const logger = pino(
  {
    name: 'airlock-desktop',
    level: process.env.AIRLOCK_LOG_LEVEL ?? 'info',
    // The gateway's own logger redacts these; it logs through this one here, so the same holds.
    redact: { paths: ['req.headers.authorization', 'req.headers["x-api-key"]', 'key', 'token'], remove: true },
  },
  pino.multistream([
    { stream: pino.destination({ dest: join(app.getPath('userData'), 'logs', 'desktop.log'), mkdir: true, sync: false }) },
    ...(app.isPackaged ? [] : [{ stream: process.stdout }]),
  ]),
);

// macOS draws "…Template" images in the menu bar's own colours; "@2x" files are picked up for HiDPI.
const trayIcon = join(assets, process.platform === 'darwin' ? 'trayTemplate.png' : 'tray.png');

const desktop = startDesktopApp({
  electron: { app, BrowserWindow, Tray, Menu, Notification, shell, safeStorage, ipcMain, dialog, session },
  startGateway,
  files: {
    preload: join(here, 'preload.cjs'),
    promptPreload: join(here, 'prompt-preload.cjs'),
    consoleDir: join(app.getAppPath(), 'renderer', 'dist'),
    icon: join(assets, 'icon.png'),
    trayIcon,
  },
  platform: process.platform,
  argv: process.argv,
  env: process.env,
  home: homedir(),
  execPath: process.execPath,
  logger,
});

for (const signal of ['SIGINT', 'SIGTERM'] as const) process.on(signal, () => app.quit());

// The end-to-end test drives the running app through this (never set in normal use).
if (process.env.AIRLOCK_E2E === '1') {
  Object.assign(globalThis, {
    airlockE2E: {
      ready: desktop.ready,
      url: () => desktop.gateway.url,
      issueCallerKey: (name: string) => desktop.gateway.running.issueCallerKey(name),
    },
  });
}
