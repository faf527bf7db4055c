import { describe, expect, it, vi } from 'vitest';
import { createIpcRegistry, ForeignSenderError, fromGatewayOrigin, fromWebContents } from '../../main/ipc.js';
import { FakeIpcMain } from './fakes.js';

const GATEWAY = 'http://127.0.0.1:8787';

describe('typed IPC', () => {
  const registry = (gatewayUrl: () => string | null = () => GATEWAY) => {
    const ipcMain = new FakeIpcMain();
    const ipc = createIpcRegistry(ipcMain, fromGatewayOrigin(gatewayUrl));
    const token = vi.fn(() => 'secret-token');
    ipc.handle('airlock:get-reviewer-token', token);
    return { ipcMain, ipc, token };
  };

  it('answers the gateway origin\'s top frame', async () => {
    const { ipcMain } = registry();
    await expect(ipcMain.invoke('airlock:get-reviewer-token', { url: `${GATEWAY}/#/queue` })).resolves.toBe('secret-token');
  });

  it('refuses foreign senders before the handler runs', async () => {
    const { ipcMain, token } = registry();
    for (const url of ['https://evil.example/', 'http://127.0.0.1:9999/', 'http://localhost:8787/', 'data:text/html,hi', 'file:///x.html']) {
      await expect(ipcMain.invoke('airlock:get-reviewer-token', { url })).rejects.toBeInstanceOf(ForeignSenderError);
    }
    await expect(ipcMain.invoke('airlock:get-reviewer-token', {})).rejects.toBeInstanceOf(ForeignSenderError);
    expect(token).not.toHaveBeenCalled();
  });

  it('refuses a frame inside the console, even from the gateway origin', async () => {
    const { ipcMain } = registry();
    await expect(ipcMain.invoke('airlock:get-reviewer-token', { url: `${GATEWAY}/`, subframe: true })).rejects.toBeInstanceOf(
      ForeignSenderError,
    );
  });

  it('refuses everyone while no gateway runs', async () => {
    const { ipcMain } = registry(() => null);
    await expect(ipcMain.invoke('airlock:get-reviewer-token', { url: `${GATEWAY}/` })).rejects.toBeInstanceOf(ForeignSenderError);
  });

  it('removes every handler on dispose', () => {
    const { ipcMain, ipc } = registry();
    ipc.handle('airlock:get-settings', () => {
      throw new Error('unused');
    });
    expect(ipcMain.handlers.size).toBe(2);
    ipc.dispose();
    expect(ipcMain.handlers.size).toBe(0);
  });

  it('checks one webContents for the passphrase prompt', async () => {
    const ipcMain = new FakeIpcMain();
    const ipc = createIpcRegistry(ipcMain, fromWebContents(() => 7));
    ipc.handle('airlock:prompt-cancel', () => undefined);
    await expect(ipcMain.invoke('airlock:prompt-cancel', { id: 7, url: 'data:text/html,x' })).resolves.toBeUndefined();
    await expect(ipcMain.invoke('airlock:prompt-cancel', { id: 8, url: 'data:text/html,x' })).rejects.toBeInstanceOf(ForeignSenderError);
  });
});
