// Opening the store at start: which protector to use, when to ask for a passphrase, and saying why.
// The OS key store when it is usable; a passphrase when it is not, or when the data dir only has one.
import { KeyUnwrapError, keyringExists, keyringKinds, passphraseProtector, type KeyProtector } from '../gateway/store/keyring.js';
import type { KeyStoreState } from './keys.js';

export const MIN_PASSPHRASE_LENGTH = 8;

export interface PassphraseRequest {
  /** 'create': a new data dir, the user chooses (and confirms) one; 'enter': an existing one opens with it. */
  mode: 'create' | 'enter';
  /** Why a passphrase is asked, shown in the prompt. */
  message: string;
  /** Tries one: null when it opened the data key, else what to tell the user. Other failures reject. */
  check(passphrase: string): Promise<string | null>;
}

/** Shows the prompt until `check` accepts; resolves false when the user cancels. */
export type AskPassphrase = (request: PassphraseRequest) => Promise<boolean>;

export interface UnlockOptions {
  dataDir: string;
  keyStore: KeyStoreState;
  safeStorage: KeyProtector;
  /** AIRLOCK_PASSPHRASE, tried before asking. */
  envPassphrase?: string;
  ask: AskPassphrase;
  /** Opens the desktop secrets and starts the gateway under `protector`; KeyUnwrapError when it is the wrong one. */
  start(protector: KeyProtector): Promise<void>;
  /** Also wraps the running gateway's data key with `protector`. */
  addProtector(protector: KeyProtector): Promise<void>;
}

export interface Unlocked {
  /** The protection later starts use (and the desktop secrets are sealed with). */
  home: KeyProtector;
  /** A passphrase protects the data key too, so the data dir opens headless. */
  passphraseSet: boolean;
}

export class UnlockCancelled extends Error {
  constructor() {
    super('no passphrase was given');
    this.name = 'UnlockCancelled';
  }
}

export async function unlock(opts: UnlockOptions): Promise<Unlocked> {
  const kinds = keyringExists(opts.dataDir) ? await keyringKinds(opts.dataDir) : [];
  const hasPassphrase = kinds.includes('passphrase');

  if (opts.keyStore.usable) {
    let message =
      'This data dir was made by `airlock serve` and is protected by a passphrase. Enter it once: from now on ' +
      'the OS key store keeps the key, and the passphrase still opens the data dir headless.';
    if (kinds.length === 0 || kinds.includes('safeStorage')) {
      try {
        await opts.start(opts.safeStorage);
        return { home: opts.safeStorage, passphraseSet: hasPassphrase };
      } catch (err) {
        if (!(err instanceof KeyUnwrapError) || !hasPassphrase) throw err;
      }
      message =
        "The OS key store could not open Airlock's data key (another user, or a reset key store). Enter the data " +
        "dir's passphrase; Airlock then keeps the key in this key store again.";
    }
    await withPassphrase(opts, 'enter', message);
    await opts.addProtector(opts.safeStorage);
    return { home: opts.safeStorage, passphraseSet: true };
  }

  if (kinds.length > 0 && !hasPassphrase) {
    throw new Error(
      `This data dir's key is kept in the OS key store, which is not available now (${opts.keyStore.why}). ` +
        'Start Airlock where the key store runs, and set a passphrase in its settings to open the data dir anywhere.',
    );
  }
  const message =
    `Airlock cannot use the OS key store here: ${opts.keyStore.why}. It protects its data with a passphrase ` +
    'instead, asked at each start' +
    (kinds.length === 0 ? '. Choose one now; the same passphrase opens this data dir with `airlock serve`.' : '.');
  const home = await withPassphrase(opts, kinds.length === 0 ? 'create' : 'enter', message);
  return { home, passphraseSet: true };
}

async function withPassphrase(opts: UnlockOptions, mode: PassphraseRequest['mode'], message: string): Promise<KeyProtector> {
  if (opts.envPassphrase) {
    const protector = passphraseProtector(opts.envPassphrase);
    try {
      await opts.start(protector);
      return protector;
    } catch (err) {
      if (!(err instanceof KeyUnwrapError)) throw err;
      message = `AIRLOCK_PASSPHRASE does not open this data dir. ${message}`;
    }
  }
  let opened: KeyProtector | null = null;
  const accepted = await opts.ask({
    mode,
    message,
    async check(passphrase) {
      if (mode === 'create' && passphrase.length < MIN_PASSPHRASE_LENGTH) {
        return `Use at least ${MIN_PASSPHRASE_LENGTH} characters.`;
      }
      if (!passphrase) return 'Enter the passphrase.';
      const protector = passphraseProtector(passphrase);
      try {
        await opts.start(protector);
      } catch (err) {
        if (err instanceof KeyUnwrapError) return 'That passphrase does not open this data dir.';
        throw err;
      }
      opened = protector;
      return null;
    },
  });
  if (!accepted || !opened) throw new UnlockCancelled();
  return opened;
}
