// The desktop shell around the real gateway (no Electron binary needed): a request arrives, the notification
// says who waits, its Approve action really decides, the console's token works, and quitting stops the gateway.
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { startGateway } from '../../gateway/server.js';
import { startDesktopApp, type DesktopApp } from '../../main/app.js';
import { FakeBrowserWindow, FakeNotification, FakeTray, fakeElectron, settle, until, type FakeElectron } from './fakes.js';

describe('desktop app with the real gateway', () => {
  let userData: string;
  let electron: FakeElectron;
  let desktop: DesktopApp;

  beforeEach(async () => {
    userData = await mkdtemp(join(tmpdir(), 'airlock-desktop-real-'));
    await mkdir(userData, { recursive: true });
    await writeFile(join(userData, 'settings.json'), JSON.stringify({ port: 0 }));
    electron = fakeElectron(userData);
    desktop = startDesktopApp({
      electron: electron.modules,
      startGateway,
      files: { preload: 'preload.cjs', promptPreload: 'prompt-preload.cjs', consoleDir: join(userData, 'no-console'), icon: 'i.png', trayIcon: 't.png' },
      platform: 'darwin',
      argv: ['airlock'],
      env: { AIRLOCK_DATA_DIR: join(userData, 'data') },
      home: userData,
      execPath: '/usr/bin/electron',
      logger: pino({ level: 'silent' }),
      notificationBatchMs: 50,
    });
    await desktop.ready;
    expect(electron.dialog.showErrorBox).not.toHaveBeenCalled();
  });
  afterEach(async () => {
    if (!electron.app.quitted) electron.app.quit();
    await until(() => electron.app.quitted, 'quit', 15_000);
    await rm(userData, { recursive: true, force: true });
  });

  it('notifies about a held request and approves it from the notification', async () => {
    const url = desktop.gateway.url!;
    expect(FakeBrowserWindow.live()[0].loadURL).toHaveBeenCalledWith(`${url}/`);
    const callerKey = await desktop.gateway.running.issueCallerKey('ci-bot');

    const answer = fetch(`${url}/v1/chat/completions`, {
      method: 'POST',
      headers: { authorization: `Bearer ${callerKey}`, 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'Please summarize the deployment log of tonight' }] }),
    });

    const notification = await until(() => FakeNotification.instances[0], 'the pending notification', 10_000);
    expect(notification.title).toBe('Waiting for you: ci-bot');
    expect(notification.body).toBe('gpt-4o-mini · “Please summarize the deployment log of tonight”');
    await settle();
    expect(FakeTray.instances[0].setToolTip).toHaveBeenLastCalledWith('Airlock: 1 request waiting');
    expect(electron.app.setBadgeCount).toHaveBeenLastCalledWith(1);

    notification.emit('action', {}, 0); // Approve
    const response = await answer;
    expect(response.status).toBe(200);
    const body = (await response.json()) as { choices: { message: { content: string } }[] };
    expect(body.choices[0].message.content).toContain('demo model');
    await until(() => desktop.gateway.pendingCount() === 0, 'the queue to empty');
  });

  it('hands the console a working admin token, kept sealed on disk', async () => {
    const url = desktop.gateway.url!;
    const token = (await electron.ipcMain.invoke('airlock:get-reviewer-token', { url: `${url}/` })) as string;
    const me = await fetch(`${url}/api/v1/me`, { headers: { authorization: `Bearer ${token}` } });
    expect(me.status).toBe(200);
    expect(await me.json()).toMatchObject({ name: 'desktop', role: 'admin' });
    expect(await readFile(join(userData, 'secrets.json'), 'utf8')).not.toContain(token);
    expect(await readFile(join(userData, 'settings.json'), 'utf8')).not.toContain(token);
  });

  it('stops the gateway on quit: callers are refused, the store is closed', async () => {
    const url = desktop.gateway.url!;
    electron.app.quit();
    await until(() => electron.app.quitted, 'quit', 15_000);
    await expect(fetch(`${url}/healthz`)).rejects.toThrow();
    expect(await readdir(join(userData, 'data'))).toContain('keyring.json');
  });
});
