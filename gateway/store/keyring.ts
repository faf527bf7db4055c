// The data key: 32 random bytes that encrypt every session key, kept on disk only wrapped by one or more protectors
// (a passphrase headless, the OS key store on the desktop).
import { randomBytes, scrypt as scryptCb, createCipheriv, createDecipheriv } from 'node:crypto';
import { readFile, writeFile, rename } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { randomBytesPooled } from './random.js';

const scrypt = promisify(scryptCb) as (pw: string, salt: Buffer, len: number, opts: object) => Promise<Buffer>;

export interface KeyProtector {
  /** Names the protection, e.g. 'passphrase' or 'safeStorage'; one wrapping per kind is kept. */
  readonly kind: string;
  wrap(dataKey: Buffer): Promise<Buffer>;
  /** Throws KeyUnwrapError when this protector cannot open the wrapping (wrong passphrase, other user). */
  unwrap(wrapped: Buffer): Promise<Buffer>;
}

export class KeyUnwrapError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'KeyUnwrapError';
  }
}

const SCRYPT = { N: 1 << 15, r: 8, p: 1, maxmem: 64 * 1024 * 1024 };

export function passphraseProtector(passphrase: string): KeyProtector {
  if (!passphrase) throw new KeyUnwrapError('the passphrase is empty');
  return {
    kind: 'passphrase',
    async wrap(dataKey) {
      const salt = randomBytes(16);
      const kek = await scrypt(passphrase, salt, 32, SCRYPT);
      return Buffer.concat([salt, seal(kek, dataKey, Buffer.from('airlock-keyring'))]);
    },
    async unwrap(wrapped) {
      const kek = await scrypt(passphrase, wrapped.subarray(0, 16), 32, SCRYPT);
      try {
        return open(kek, wrapped.subarray(16), Buffer.from('airlock-keyring'));
      } catch {
        throw new KeyUnwrapError('wrong passphrase for this data dir (AIRLOCK_PASSPHRASE)');
      }
    },
  };
}

/** AES-256-GCM: iv(12) | tag(16) | ciphertext. */
export function seal(key: Buffer, plaintext: Buffer, aad: Buffer): Buffer {
  const iv = randomBytesPooled(12);
  const cipher = createCipheriv('aes-256-gcm', key, iv);
  cipher.setAAD(aad);
  const ct = Buffer.concat([cipher.update(plaintext), cipher.final()]);
  return Buffer.concat([iv, cipher.getAuthTag(), ct]);
}

export function open(key: Buffer, sealed: Buffer, aad: Buffer): Buffer {
  const decipher = createDecipheriv('aes-256-gcm', key, sealed.subarray(0, 12));
  decipher.setAAD(aad);
  decipher.setAuthTag(sealed.subarray(12, 28));
  return Buffer.concat([decipher.update(sealed.subarray(28)), decipher.final()]);
}

interface KeyringFile {
  version: 1;
  wraps: { kind: string; wrapped: string }[];
}

const FILE = 'keyring.json';

export function keyringExists(dataDir: string): boolean {
  return existsSync(join(dataDir, FILE));
}

export function keyringKinds(dataDir: string, file = join(dataDir, FILE)): Promise<string[]> {
  return readFile(file, 'utf8').then((t) => (JSON.parse(t) as KeyringFile).wraps.map((w) => w.kind));
}

/** Opens the data dir's data key with `protector`, or creates one on first use. */
export async function openDataKey(dataDir: string, protector: KeyProtector, opts: { create: boolean }): Promise<Buffer> {
  const file = join(dataDir, FILE);
  if (!existsSync(file)) {
    if (!opts.create) throw new KeyUnwrapError(`no keyring in ${dataDir}`);
    const dataKey = randomBytes(32);
    await writeKeyring(file, { version: 1, wraps: [{ kind: protector.kind, wrapped: (await protector.wrap(dataKey)).toString('base64') }] });
    return dataKey;
  }
  const ring = JSON.parse(await readFile(file, 'utf8')) as KeyringFile;
  const entry = ring.wraps.find((w) => w.kind === protector.kind);
  if (!entry) {
    const kinds = ring.wraps.map((w) => w.kind).join(', ');
    throw new KeyUnwrapError(
      `this data dir's key is protected by ${kinds}, not by ${protector.kind}` +
        (protector.kind === 'passphrase' ? ' (set a passphrase in the desktop app\'s settings to open it headless)' : ''),
    );
  }
  return protector.unwrap(Buffer.from(entry.wrapped, 'base64'));
}

/** Adds (or replaces) the wrapping of an open data key by another protector. */
export async function addProtector(dataDir: string, dataKey: Buffer, protector: KeyProtector): Promise<void> {
  const file = join(dataDir, FILE);
  const ring = JSON.parse(await readFile(file, 'utf8')) as KeyringFile;
  const wrapped = (await protector.wrap(dataKey)).toString('base64');
  ring.wraps = [...ring.wraps.filter((w) => w.kind !== protector.kind), { kind: protector.kind, wrapped }];
  await writeKeyring(file, ring);
}

async function writeKeyring(file: string, ring: KeyringFile): Promise<void> {
  const tmp = `${file}.tmp`;
  await writeFile(tmp, JSON.stringify(ring, null, 2), { mode: 0o600 });
  await rename(tmp, file);
}
