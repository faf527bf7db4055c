// A small sandboxed window that asks for the passphrase when the OS key store cannot keep the data key.
// Its page is a static data: URL under a hash-pinned CSP; it talks to main through prompt-preload's two functions.
import { createHash } from 'node:crypto';
import type { BrowserWindow } from 'electron';
import type { Logger } from 'pino';
import { createIpcRegistry, fromWebContents, type IpcMainLike } from './ipc.js';
import type { AskPassphrase, PassphraseRequest } from './unlock.js';
import type { BrowserWindowCtor } from './window.js';

const SCRIPT = `
const form = document.getElementById('form');
const first = document.getElementById('first');
const second = document.getElementById('second');
const error = document.getElementById('error');
const ok = document.getElementById('ok');
form.addEventListener('submit', async (event) => {
  event.preventDefault();
  if (second && first.value !== second.value) { error.textContent = 'The two passphrases differ.'; return; }
  ok.disabled = true; error.textContent = 'Opening…';
  const answer = await window.airlockPrompt.submit(first.value);
  if (!answer.ok) { error.textContent = answer.message; ok.disabled = false; first.select(); }
});
document.getElementById('cancel').addEventListener('click', () => window.airlockPrompt.cancel());
first.focus();
`;

const STYLE = `
body { font: 14px system-ui, sans-serif; margin: 20px; color: CanvasText; background: Canvas; }
p { line-height: 1.4; margin: 0 0 14px; }
input { width: 100%; box-sizing: border-box; padding: 6px; margin: 0 0 10px; font: inherit; }
.row { display: flex; gap: 8px; justify-content: flex-end; }
#error { min-height: 1.4em; color: #c62828; margin: 0 0 8px; }
`;

const sha256 = (text: string) => `'sha256-${createHash('sha256').update(text).digest('base64')}'`;

export function promptPage(request: Pick<PassphraseRequest, 'mode' | 'message'>): string {
  const csp = `default-src 'none'; script-src ${sha256(SCRIPT)}; style-src ${sha256(STYLE)}; base-uri 'none'; form-action 'none'`;
  const confirm =
    request.mode === 'create'
      ? '<input id="second" type="password" autocomplete="new-password" aria-label="Repeat the passphrase" placeholder="Repeat it">'
      : '';
  return `<!doctype html><html lang="en"><head><meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="${csp}">
<title>Airlock passphrase</title><style>${STYLE}</style></head><body>
<p>${escapeHtml(request.message)}</p>
<form id="form">
<input id="first" type="password" autocomplete="${request.mode === 'create' ? 'new-password' : 'current-password'}" aria-label="Passphrase" placeholder="Passphrase">
${confirm}
<p id="error" role="alert"></p>
<div class="row"><button type="button" id="cancel">Quit</button><button type="submit" id="ok">${request.mode === 'create' ? 'Set passphrase' : 'Unlock'}</button></div>
</form><script>${SCRIPT}</script></body></html>`;
}

export function passphrasePrompt(deps: {
  BrowserWindow: BrowserWindowCtor;
  ipcMain: IpcMainLike;
  preload: string;
  icon?: string;
  logger?: Logger;
}): AskPassphrase {
  return (request) =>
    new Promise<boolean>((resolve, reject) => {
      let window: BrowserWindow | null = null;
      let settled = false;
      const ipc = createIpcRegistry(deps.ipcMain, fromWebContents(() => window?.webContents.id ?? null), deps.logger);
      const finish = (accepted: boolean, error?: unknown) => {
        if (settled) return;
        settled = true;
        ipc.dispose();
        if (window && !window.isDestroyed()) window.destroy();
        if (error) reject(error);
        else resolve(accepted);
      };
      ipc.handle('airlock:prompt-submit', async (passphrase) => {
        if (typeof passphrase !== 'string') return { ok: false, message: 'Enter the passphrase.' };
        try {
          const problem = await request.check(passphrase);
          if (problem !== null) return { ok: false, message: problem };
        } catch (err) {
          finish(false, err);
          return { ok: false, message: 'Airlock could not start.' };
        }
        setImmediate(() => finish(true));
        return { ok: true };
      });
      ipc.handle('airlock:prompt-cancel', () => finish(false));

      window = new deps.BrowserWindow({
        title: 'Airlock',
        width: 460,
        height: request.mode === 'create' ? 330 : 290,
        resizable: false,
        minimizable: false,
        maximizable: false,
        fullscreenable: false,
        autoHideMenuBar: true,
        icon: deps.icon,
        webPreferences: {
          preload: deps.preload,
          contextIsolation: true,
          sandbox: true,
          nodeIntegration: false,
          webSecurity: true,
          devTools: false,
        },
      });
      window.on('closed', () => finish(false));
      window.loadURL(`data:text/html;charset=utf-8,${encodeURIComponent(promptPage(request))}`).catch((err) => finish(false, err));
    });
}

function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}
