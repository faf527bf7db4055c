// Opens a data dir: the SQLite file, its migrations, and (when asked) the data key that unlocks session text.
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { Database } from './db.js';
import { IdentityStore } from './identities.js';
import { type KeyProtector, openDataKey, keyringExists } from './keyring.js';
import { migrate } from './migrations.js';
import { RequestStore } from './requests.js';
import { SessionCrypto } from './session-crypto.js';

export const DB_FILE = 'airlock.db';

export interface Store {
  db: Database;
  identities: IdentityStore;
  close(): Promise<void>;
}

export interface SessionStore extends Store {
  requests: RequestStore;
  crypto: SessionCrypto;
  dataKey: Buffer;
}

/** Identities only: what the CLI's `callers` and `reviewers` commands need, no passphrase. */
export async function openIdentityStore(dataDir: string): Promise<Store> {
  mkdirSync(dataDir, { recursive: true, mode: 0o700 });
  const db = await Database.open(join(dataDir, DB_FILE));
  await db.init();
  await migrate(db);
  return { db, identities: new IdentityStore(db, join(dataDir, 'identities.version')), close: () => db.close() };
}

/** The whole store. The key is checked before the database is touched, so a wrong passphrase changes nothing. */
export async function openSessionStore(dataDir: string, protector: KeyProtector): Promise<SessionStore> {
  mkdirSync(dataDir, { recursive: true, mode: 0o700 });
  const dataKey = await openDataKey(dataDir, protector, { create: !keyringExists(dataDir) });
  const store = await openIdentityStore(dataDir);
  const crypto = new SessionCrypto(dataKey);
  return { ...store, requests: new RequestStore(store.db, crypto), crypto, dataKey };
}
