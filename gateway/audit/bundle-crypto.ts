// Optional encryption of a whole bundle in the age format (https://age-encryption.org), to a passphrase or to an
// age X25519 recipient, so it can travel by email; any age tool (age, rage, typage) opens it.
import { Readable } from 'node:stream';
import type { ReadableStream as WebReadableStream } from 'node:stream/web';
import { Decrypter, Encrypter } from 'age-encryption';

export type BundleEncryption = { passphrase: string } | { recipient: string };

const AGE_MAGIC = Buffer.from('age-encryption.org/v1\n');
const AGE_ARMOR = Buffer.from('-----BEGIN AGE ENCRYPTED FILE-----');

export function isAgeEncrypted(head: Uint8Array): boolean {
  const bytes = Buffer.from(head);
  return bytes.subarray(0, AGE_MAGIC.length).equals(AGE_MAGIC) || bytes.subarray(0, AGE_ARMOR.length).equals(AGE_ARMOR);
}

export function describeEncryption(enc: BundleEncryption | undefined): string | null {
  if (!enc) return null;
  return 'passphrase' in enc ? 'age (passphrase)' : `age (recipient ${enc.recipient.slice(0, 12)}…)`;
}

export async function encryptStream(source: Readable, enc: BundleEncryption): Promise<Readable> {
  const encrypter = new Encrypter();
  if ('passphrase' in enc) {
    if (!enc.passphrase) throw new Error('the bundle passphrase is empty');
    encrypter.setPassphrase(enc.passphrase);
  } else {
    if (!/^age1[0-9a-z]+$/.test(enc.recipient)) throw new Error(`not an age recipient (age1…): ${enc.recipient}`);
    encrypter.addRecipient(enc.recipient);
  }
  const web = Readable.toWeb(source) as unknown as ReadableStream<Uint8Array>;
  const encrypted = await encrypter.encrypt(web);
  return Readable.fromWeb(encrypted as unknown as WebReadableStream<Uint8Array>);
}

export async function decryptBundle(bytes: Uint8Array, opts: { passphrase?: string; identity?: string }): Promise<Buffer> {
  const decrypter = new Decrypter();
  if (opts.passphrase) decrypter.addPassphrase(opts.passphrase);
  if (opts.identity) decrypter.addIdentity(opts.identity);
  if (!opts.passphrase && !opts.identity) throw new Error('the bundle is encrypted (age): pass --passphrase-env VAR or --identity FILE');
  return Buffer.from(await decrypter.decrypt(bytes));
}
