// Per-session keys: every request gets its own key, wrapped by the data key, so one session can be shredded alone.
import { createHmac } from 'node:crypto';
import { open, seal } from './keyring.js';
import { randomBytesPooled } from './random.js';

export class SessionCrypto {
  private readonly wrapKey: Buffer;
  private readonly indexKey: Buffer;
  private readonly journalKey: Buffer;

  constructor(dataKey: Buffer) {
    // Separate keys for wrapping and for keyed hashes, derived so one never serves as the other.
    this.wrapKey = createHmac('sha256', dataKey).update('airlock:wrap').digest();
    this.indexKey = createHmac('sha256', dataKey).update('airlock:index').digest();
    this.journalKey = createHmac('sha256', dataKey).update('airlock:journal').digest();
  }

  newSessionKey(id: string): { key: Buffer; wrapped: Buffer } {
    const key = randomBytesPooled(32);
    return { key, wrapped: seal(this.wrapKey, key, Buffer.from(`session:${id}`)) };
  }

  unwrapSessionKey(id: string, wrapped: Buffer): Buffer {
    return open(this.wrapKey, wrapped, Buffer.from(`session:${id}`));
  }

  /** A journal line's MAC: replay applies only lines this data key's holder wrote. */
  journalMac(line: string): Buffer {
    return createHmac('sha256', this.journalKey).update(line).digest().subarray(0, 16);
  }

  /** Keyed hash for values that must be findable but never stored plain (search terms, conversation prefixes). */
  hmac(value: string | Buffer): Buffer {
    return createHmac('sha256', this.indexKey).update(value).digest();
  }
}

export function encryptField(key: Buffer, id: string, field: string, value: unknown): Buffer {
  return seal(key, Buffer.from(JSON.stringify(value)), Buffer.from(`${id}:${field}`));
}

/** Like encryptField, for a value that is already JSON text (read back with decryptField). */
export function encryptJson(key: Buffer, id: string, field: string, json: Buffer): Buffer {
  return seal(key, json, Buffer.from(`${id}:${field}`));
}

export function decryptField<T>(key: Buffer, id: string, field: string, sealed: Buffer): T {
  return JSON.parse(open(key, sealed, Buffer.from(`${id}:${field}`)).toString('utf8')) as T;
}
