// The gateway's Ed25519 signing key. Made on first run; the public half is stored plain (so `airlock key` and
// `airlock verify` need no passphrase), the private half sealed by its own key, which the data key wraps.
import { createPrivateKey, createPublicKey, createHash, generateKeyPairSync, randomBytes, type KeyObject } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import type { Database } from '../store/db.js';
import { open, seal } from '../store/keyring.js';
import type { SessionCrypto } from '../store/session-crypto.js';

export const META_PUBLIC_KEY = 'audit.public_key';
export const META_SIGNING_KEY = 'audit.signing_key';
export const META_GATEWAY_ID = 'gateway.id';

/** Wrapped like a session key, under a name no request id can take (they all start with `req_`). */
const SEAL_ID = 'audit:signing-key';
const SEAL_AAD = Buffer.from('airlock:audit-signing-key');

export interface SigningKey {
  gatewayId: string;
  privateKey: KeyObject;
  publicKey: KeyObject;
}

export interface PublicKeyInfo {
  gatewayId: string;
  publicKey: KeyObject;
}

interface SealedKey {
  wrapped: string;
  sealed: string;
}

/** `SHA256:` and the unpadded base64 of the SPKI's SHA-256, as OpenSSH prints fingerprints. */
export function fingerprint(key: KeyObject): string {
  const der = key.export({ format: 'der', type: 'spki' });
  return `SHA256:${createHash('sha256').update(der).digest('base64').replace(/=+$/, '')}`;
}

export function publicKeyPem(key: KeyObject): string {
  return key.export({ format: 'pem', type: 'spki' }).toString();
}

/** A public key given as PEM text, a file holding PEM or base64, or one line of base64 SPKI DER. */
export function parsePublicKey(input: string): KeyObject {
  if (!input.includes('-----BEGIN') && existsSync(input)) return parsePublicKey(readFileSync(input, 'utf8').trim());
  let key: KeyObject;
  try {
    key = input.includes('-----BEGIN') ? createPublicKey(input) : createPublicKey({ key: Buffer.from(input.trim(), 'base64'), format: 'der', type: 'spki' });
  } catch {
    // What was given is not repeated: it may be a private key pasted in the wrong place.
    throw new Error('not a public key (PEM, a key file, or base64 SPKI)');
  }
  if (key.asymmetricKeyType !== 'ed25519') throw new Error(`the key is ${key.asymmetricKeyType}, not Ed25519`);
  return key;
}

async function meta(db: Database, key: string): Promise<string | undefined> {
  return (await db.get<{ value: string }>('SELECT value FROM meta WHERE key = ?', [key]))?.value;
}

/** The public key and gateway id, without the passphrase; null before the gateway's first run. */
export async function loadPublicKey(db: Database): Promise<PublicKeyInfo | null> {
  const [pem, gatewayId] = await Promise.all([meta(db, META_PUBLIC_KEY), meta(db, META_GATEWAY_ID)]);
  if (!pem || !gatewayId) return null;
  return { gatewayId, publicKey: createPublicKey(pem) };
}

export async function loadSigningKey(db: Database, crypto: SessionCrypto): Promise<SigningKey | null> {
  const [sealedText, info] = await Promise.all([meta(db, META_SIGNING_KEY), loadPublicKey(db)]);
  if (!sealedText || !info) return null;
  const sealed = JSON.parse(sealedText) as SealedKey;
  const key = crypto.unwrapSessionKey(SEAL_ID, Buffer.from(sealed.wrapped, 'base64'));
  const der = open(key, Buffer.from(sealed.sealed, 'base64'), SEAL_AAD);
  return { gatewayId: info.gatewayId, publicKey: info.publicKey, privateKey: createPrivateKey({ key: der, format: 'der', type: 'pkcs8' }) };
}

/** Makes the key; call inside a write transaction that has checked there is none yet. */
export async function createSigningKey(db: Database, crypto: SessionCrypto): Promise<SigningKey> {
  const { publicKey, privateKey } = generateKeyPairSync('ed25519');
  const { key, wrapped } = crypto.newSessionKey(SEAL_ID);
  const der = privateKey.export({ format: 'der', type: 'pkcs8' });
  const sealed: SealedKey = { wrapped: wrapped.toString('base64'), sealed: seal(key, der, SEAL_AAD).toString('base64') };
  const gatewayId = (await meta(db, META_GATEWAY_ID)) ?? `gw_${randomBytes(8).toString('hex')}`;
  await db.run('INSERT OR IGNORE INTO meta (key, value) VALUES (?, ?)', [META_GATEWAY_ID, gatewayId]);
  await db.run('INSERT INTO meta (key, value) VALUES (?, ?)', [META_SIGNING_KEY, JSON.stringify(sealed)]);
  await db.run('INSERT INTO meta (key, value) VALUES (?, ?)', [META_PUBLIC_KEY, publicKeyPem(publicKey)]);
  return { gatewayId, publicKey, privateKey };
}
