import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import {
  addProtector,
  KeyUnwrapError,
  keyringKinds,
  openDataKey,
  passphraseProtector,
  type KeyProtector,
} from '../../gateway/store/keyring.js';
import { keyStoreState, safeStorageProtector } from '../../main/keys.js';
import { DesktopSecrets } from '../../main/secrets.js';
import { unlock, UnlockCancelled, type PassphraseRequest, type UnlockOptions } from '../../main/unlock.js';
import { fakeSafeStorage } from './fakes.js';

describe('safeStorage protector', () => {
  it('round-trips the data key through the OS key store', async () => {
    const protector = safeStorageProtector(fakeSafeStorage());
    const dataKey = Buffer.from('0123456789abcdef0123456789abcdef');
    const wrapped = await protector.wrap(dataKey);
    expect(protector.kind).toBe('safeStorage');
    expect(wrapped.includes(dataKey)).toBe(false);
    expect(wrapped.includes(Buffer.from(dataKey.toString('base64')))).toBe(false);
    expect((await protector.unwrap(wrapped)).equals(dataKey)).toBe(true);
  });

  it('reports what it cannot open as a KeyUnwrapError', async () => {
    const protector = safeStorageProtector(fakeSafeStorage());
    await expect(protector.unwrap(Buffer.from('not from this key store'))).rejects.toBeInstanceOf(KeyUnwrapError);
  });

  it('counts Linux basic_text as no key store', () => {
    expect(keyStoreState(fakeSafeStorage(), 'linux')).toEqual({ usable: true });
    expect(keyStoreState(fakeSafeStorage({ available: false }), 'darwin')).toMatchObject({ usable: false });
    expect(keyStoreState(fakeSafeStorage({ backend: 'basic_text' }), 'linux')).toEqual({
      usable: false,
      why: 'no secret service (GNOME Keyring, KWallet) is running',
    });
  });
});

describe('unlocking the data dir', () => {
  let dataDir: string;
  let dataKey: Buffer | null;
  const safeStorage = fakeSafeStorage();
  const ss = safeStorageProtector(safeStorage);
  const started: string[] = [];

  /** What the gateway does at start: open (or create) the data key with the protector. */
  const options = (over: Partial<UnlockOptions> = {}): UnlockOptions => ({
    dataDir,
    keyStore: { usable: true },
    safeStorage: ss,
    ask: vi.fn(async () => false),
    start: async (protector: KeyProtector) => {
      dataKey = await openDataKey(dataDir, protector, { create: true });
      started.push(protector.kind);
    },
    addProtector: async (protector: KeyProtector) => addProtector(dataDir, dataKey!, protector),
    ...over,
  });

  /** A user at the prompt typing these answers in turn; returns what the prompt showed. */
  const typing = (...answers: string[]) => {
    const seen: { request: PassphraseRequest; replies: (string | null)[] } = { request: null as never, replies: [] };
    const ask = vi.fn(async (request: PassphraseRequest) => {
      seen.request = request;
      for (const answer of answers) {
        const reply = await request.check(answer);
        seen.replies.push(reply);
        if (reply === null) return true;
      }
      return false;
    });
    return { ask, seen };
  };

  beforeEach(async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'airlock-unlock-'));
    dataKey = null;
    started.length = 0;
  });
  afterEach(async () => {
    await rm(dataDir, { recursive: true, force: true });
  });

  it('uses the OS key store without asking anything', async () => {
    const opts = options();
    const unlocked = await unlock(opts);
    expect(unlocked.home.kind).toBe('safeStorage');
    expect(unlocked.passphraseSet).toBe(false);
    expect(opts.ask).not.toHaveBeenCalled();
    expect(await keyringKinds(dataDir)).toEqual(['safeStorage']);
    // And again on the next start.
    expect((await unlock(options())).home.kind).toBe('safeStorage');
  });

  it('falls back to a passphrase prompt when safeStorage is unavailable, and says why', async () => {
    const { ask, seen } = typing('short', 'correct horse battery');
    const unlocked = await unlock(options({ keyStore: { usable: false, why: 'the system offers no key store to Airlock' }, ask }));
    expect(ask).toHaveBeenCalledTimes(1);
    expect(seen.request.mode).toBe('create');
    expect(seen.request.message).toContain('cannot use the OS key store here: the system offers no key store to Airlock');
    expect(seen.request.message).toContain('passphrase');
    expect(seen.replies).toEqual(['Use at least 8 characters.', null]);
    expect(unlocked.home.kind).toBe('passphrase');
    expect(unlocked.passphraseSet).toBe(true);
    expect(await keyringKinds(dataDir)).toEqual(['passphrase']);
  });

  it('asks again after a wrong passphrase', async () => {
    await openDataKey(dataDir, passphraseProtector('the right one'), { create: true });
    const { ask, seen } = typing('the wrong one', 'the right one');
    await unlock(options({ keyStore: { usable: false, why: 'x' }, ask }));
    expect(seen.request.mode).toBe('enter');
    expect(seen.replies).toEqual(['That passphrase does not open this data dir.', null]);
  });

  it('opens a data dir made by `airlock serve` once with its passphrase, then keeps the key in the OS store', async () => {
    await openDataKey(dataDir, passphraseProtector('headless secret'), { create: true });
    const { ask, seen } = typing('headless secret');
    const unlocked = await unlock(options({ ask }));
    expect(seen.request.message).toContain('airlock serve');
    expect(unlocked).toMatchObject({ passphraseSet: true });
    expect(unlocked.home.kind).toBe('safeStorage');
    expect((await keyringKinds(dataDir)).sort()).toEqual(['passphrase', 'safeStorage']);
    // The next start needs no prompt, and the passphrase still opens it headless.
    const next = options();
    await unlock(next);
    expect(next.ask).not.toHaveBeenCalled();
    await expect(openDataKey(dataDir, passphraseProtector('headless secret'), { create: false })).resolves.toHaveLength(32);
  });

  it('takes AIRLOCK_PASSPHRASE before asking', async () => {
    const opts = options({ keyStore: { usable: false, why: 'x' }, envPassphrase: 'from the environment' });
    await unlock(opts);
    expect(opts.ask).not.toHaveBeenCalled();
    expect(started).toEqual(['passphrase']);
  });

  it('quits without starting when the prompt is cancelled', async () => {
    await expect(unlock(options({ keyStore: { usable: false, why: 'x' } }))).rejects.toBeInstanceOf(UnlockCancelled);
    expect(started).toEqual([]);
  });

  it('explains a data dir kept only in an OS key store that is gone', async () => {
    await openDataKey(dataDir, ss, { create: true });
    await expect(unlock(options({ keyStore: { usable: false, why: 'no secret service' } }))).rejects.toThrow(
      /kept in the OS key store, which is not available now \(no secret service\)/,
    );
  });
});

describe('desktop secrets', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'airlock-secrets-'));
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('seals upstream keys and the reviewer token with the protector, never in plain text', async () => {
    const file = join(dir, 'secrets.json');
    const protector = safeStorageProtector(fakeSafeStorage());
    const secrets = await DesktopSecrets.open(file, protector);
    await secrets.update({ upstreamKeys: { openai: 'sk-live-abcdef123456' }, reviewerToken: 'rt_desktop_token' });
    const onDisk = await readFile(file, 'utf8');
    expect(onDisk).not.toContain('sk-live-abcdef123456');
    expect(onDisk).not.toContain('rt_desktop_token');
    const again = await DesktopSecrets.open(file, protector);
    expect(again.upstreamKeys).toEqual({ openai: 'sk-live-abcdef123456' });
    expect(again.reviewerToken).toBe('rt_desktop_token');
  });

  it('refuses a wrong passphrase and leaves a file sealed by another protection alone', async () => {
    const file = join(dir, 'secrets.json');
    const secrets = await DesktopSecrets.open(file, passphraseProtector('first passphrase'));
    await secrets.update({ upstreamKeys: { a: 'k' } });
    await expect(DesktopSecrets.open(file, passphraseProtector('other passphrase'))).rejects.toBeInstanceOf(KeyUnwrapError);
    const other = await DesktopSecrets.open(file, safeStorageProtector(fakeSafeStorage()));
    expect(other.unreadableKind).toBe('passphrase');
    expect(other.hasKey('a')).toBe(false);
  });

  it('moves to another protector with rewrap', async () => {
    const file = join(dir, 'secrets.json');
    const secrets = await DesktopSecrets.open(file, passphraseProtector('first passphrase'));
    await secrets.update({ upstreamKeys: { a: 'k' } });
    const ss = safeStorageProtector(fakeSafeStorage());
    await secrets.rewrap(ss);
    expect((await DesktopSecrets.open(file, ss)).upstreamKeys).toEqual({ a: 'k' });
  });
});
