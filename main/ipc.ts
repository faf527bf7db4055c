// Main's side of the typed IPC: handlers registered by channel name, each call checked against the sender first.
// The desktop API lives behind one of these (senders: the gateway's own top frame), the passphrase prompt behind another.
import type { IpcMain, IpcMainInvokeEvent } from 'electron';
import type { Logger } from 'pino';
import type { InvokeArgs, InvokeChannel, InvokeResult } from './channels.js';

export type SenderCheck = (event: IpcMainInvokeEvent) => boolean;

export type IpcMainLike = Pick<IpcMain, 'handle' | 'removeHandler'>;

export interface IpcRegistry {
  handle<K extends InvokeChannel>(
    channel: K,
    handler: (...args: InvokeArgs<K>) => InvokeResult<K> | Promise<InvokeResult<K>>,
  ): void;
  /** Removes every handler this registry added. */
  dispose(): void;
}

export class ForeignSenderError extends Error {
  constructor(channel: string) {
    super(`${channel}: refused, the sender is not the Airlock console`);
    this.name = 'ForeignSenderError';
  }
}

export function createIpcRegistry(ipcMain: IpcMainLike, trusts: SenderCheck, logger?: Logger): IpcRegistry {
  const channels = new Set<InvokeChannel>();
  return {
    handle(channel, handler) {
      if (channels.has(channel)) throw new Error(`${channel} is already handled`);
      channels.add(channel);
      ipcMain.handle(channel, (event, ...args: unknown[]) => {
        if (!trusts(event)) {
          logger?.warn({ channel, sender: senderUrl(event) }, 'ipc call from a foreign sender refused');
          throw new ForeignSenderError(channel);
        }
        // The arguments are the renderer's word only: each handler validates what it uses.
        return handler(...(args as Parameters<typeof handler>));
      });
    },
    dispose() {
      for (const channel of channels) ipcMain.removeHandler(channel);
      channels.clear();
    },
  };
}

/** Trusts only the top frame of a page whose origin is the running gateway's (none while it is down). */
export function fromGatewayOrigin(gatewayUrl: () => string | null): SenderCheck {
  return (event) => {
    const url = gatewayUrl();
    const frame = event.senderFrame;
    if (!url || !frame || frame.parent !== null) return false;
    return originOf(frame.url) === originOf(url);
  };
}

/** Trusts only one webContents (the passphrase prompt's data: page has no origin to check). */
export function fromWebContents(id: () => number | null): SenderCheck {
  return (event) => id() !== null && event.sender.id === id();
}

export function originOf(url: string): string | null {
  try {
    const parsed = new URL(url);
    return parsed.protocol === 'http:' || parsed.protocol === 'https:' ? parsed.origin : null;
  } catch {
    return null;
  }
}

function senderUrl(event: IpcMainInvokeEvent): string {
  const url = event.senderFrame?.url ?? '';
  return originOf(url) ?? url.slice(0, 32);
}
