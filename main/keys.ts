// Key protection on the desktop: the store's data key wrapped by the OS key store through Electron's safeStorage
// (Keychain, DPAPI, libsecret/kwallet), or by a passphrase where no real key store is available.
import type { SafeStorage } from 'electron';
import { KeyUnwrapError, type KeyProtector } from '../gateway/store/keyring.js';

export type SafeStorageLike = Pick<SafeStorage, 'isEncryptionAvailable' | 'encryptString' | 'decryptString'> &
  Partial<Pick<SafeStorage, 'getSelectedStorageBackend'>>;

export function safeStorageProtector(safeStorage: SafeStorageLike): KeyProtector {
  return {
    kind: 'safeStorage',
    async wrap(dataKey) {
      return safeStorage.encryptString(dataKey.toString('base64'));
    },
    async unwrap(wrapped) {
      try {
        return Buffer.from(safeStorage.decryptString(wrapped), 'base64');
      } catch (err) {
        throw new KeyUnwrapError(`the OS key store could not open the data key (${(err as Error).message})`);
      }
    },
  };
}

export type KeyStoreState = { usable: true } | { usable: false; why: string };

/**
 * Whether safeStorage really protects anything here. On Linux without a secret service Electron falls back to
 * 'basic_text', a fixed key in its source: that is obfuscation, so it counts as no key store at all.
 */
export function keyStoreState(safeStorage: SafeStorageLike, platform: NodeJS.Platform): KeyStoreState {
  if (!safeStorage.isEncryptionAvailable()) {
    return { usable: false, why: 'the system offers no key store to Airlock' };
  }
  if (platform === 'linux' && safeStorage.getSelectedStorageBackend?.() === 'basic_text') {
    return { usable: false, why: 'no secret service (GNOME Keyring, KWallet) is running' };
  }
  return { usable: true };
}
