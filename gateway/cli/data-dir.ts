// The --data-dir option, and the check the commands that only use a data dir make before touching it. Only `serve`,
// `callers add` and `reviewers add` may create one: anywhere else a mistyped path is refused, not made an empty store.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { Option } from 'commander';
import { defaultDataDir } from '../config/paths.js';
import { DB_FILE } from '../store/index.js';
import { keyringExists } from '../store/keyring.js';

export const dataDirOption = () => new Option('--data-dir <dir>', 'where Airlock keeps its data').default(defaultDataDir(), 'the OS app-data folder, or AIRLOCK_DATA_DIR');

export function hasStore(dataDir: string): boolean {
  return existsSync(join(dataDir, DB_FILE));
}

/** Throws unless `dataDir` holds an Airlock store, saying which setting to check. */
export function requireStore(dataDir: string): void {
  if (hasStore(dataDir)) return;
  if (dataDir !== defaultDataDir()) throw new Error(`no Airlock data in ${dataDir}; is --data-dir right?`);
  if (process.env.AIRLOCK_DATA_DIR) throw new Error(`no Airlock data in ${dataDir}; is AIRLOCK_DATA_DIR right?`);
  throw new Error(`no Airlock data in ${dataDir} yet: airlock serve creates it (or pass --data-dir)`);
}

/** Like requireStore, for the commands that read recorded sessions: those need the data key, made at the first `serve`. */
export function requireSessions(dataDir: string): void {
  requireStore(dataDir);
  if (!keyringExists(dataDir)) throw new Error(`${dataDir} has no recorded sessions yet: its data key is made when the gateway first starts (airlock serve)`);
}
