// One gateway serves a data dir at a time. A second one (a repeated `airlock serve`, the desktop app next to it) would
// close out the first one's open requests as interrupted and answer from a store it does not own; it is refused first.
import { closeSync, fstatSync, futimesSync, openSync, readFileSync, realpathSync, renameSync, statSync, unlinkSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { HEARTBEAT_MS, HOST, pidAlive, STALE_MS } from './journal.js';

export const LOCK_FILE = 'gateway.lock';

/** A lock file this young with nothing in it is being written by a gateway starting right now. */
const WRITING_MS = 5000;

/** Locks this process holds: a lock naming our pid is ours only if it is in here (else an earlier process had our pid). */
const held = new Set<string>();

export class DataDirBusyError extends Error {}

export class ServeLock {
  private readonly heartbeat: NodeJS.Timeout;
  private released = false;
  private lost = false;
  /** Told once if the lock file is removed or replaced while this gateway runs (another could then start). */
  onLost: () => void = () => undefined;

  private constructor(
    private readonly file: string,
    private readonly key: string,
    private readonly fd: number,
    private readonly stamp: string,
  ) {
    held.add(key);
    // Another host sharing the data dir tells a live lock from a killed gateway's by how recently it was touched.
    this.heartbeat = setInterval(() => {
      try {
        futimesSync(fd, new Date(), new Date());
        if (statSync(file).ino !== fstatSync(fd).ino) throw new Error('replaced');
      } catch {
        if (!this.lost) {
          this.lost = true;
          this.onLost();
        }
      }
    }, HEARTBEAT_MS).unref();
  }

  /** Throws DataDirBusyError when a running gateway has the data dir (a check before asking for a passphrase). */
  static assertFree(dataDir: string): void {
    let key: string;
    try {
      key = realpathSync(dataDir);
    } catch {
      return; // no data dir yet: free
    }
    const owner = lockOwner(join(dataDir, LOCK_FILE));
    if (owner !== 'gone' && owner.kind !== 'stale' && lockHeld(owner, key)) throw new DataDirBusyError(busyMessage(owner, dataDir));
  }

  /** Takes the data dir for this gateway; throws DataDirBusyError when a running gateway has it. */
  static acquire(dataDir: string): ServeLock {
    const file = join(dataDir, LOCK_FILE);
    const key = realpathSync(dataDir); // the same data dir by another path is the same lock
    for (let attempt = 0; attempt < 5; attempt++) {
      const stamp = `${HOST} ${process.pid} ${Date.now()}\n`;
      try {
        const fd = openSync(file, 'wx', 0o600);
        writeSync(fd, stamp);
        return new ServeLock(file, key, fd, stamp);
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      }
      const owner = lockOwner(file);
      if (owner === 'gone') continue;
      if (owner.kind !== 'stale' && lockHeld(owner, key)) throw new DataDirBusyError(busyMessage(owner, dataDir));
      // Left by a gateway that is gone: taken over by a rename, which only one start can win. What was renamed must be
      // the lock judged stale; a fresh one another start put there meanwhile goes back.
      const aside = `${file}.stale-${process.pid}-${Date.now()}`;
      try {
        renameSync(file, aside);
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code === 'ENOENT') continue;
        throw err;
      }
      if (readFileSync(aside, 'utf8') !== owner.content) {
        try {
          renameSync(aside, file);
        } catch {
          // its owner's lock is gone now; it keeps running, and says so at its next heartbeat
        }
        continue;
      }
      unlinkSync(aside);
    }
    throw new DataDirBusyError(`could not take the lock on the data dir ${dataDir} (${file})`);
  }

  release(): void {
    if (this.released) return;
    this.released = true;
    clearInterval(this.heartbeat);
    held.delete(this.key);
    try {
      closeSync(this.fd);
      if (readFileSync(this.file, 'utf8') === this.stamp) unlinkSync(this.file); // still ours
    } catch {
      // already gone
    }
  }
}

type Owner = { kind: 'gateway'; host: string; pid: number; content: string } | { kind: 'starting' | 'stale'; content: string };

/** Who holds the lock: a gateway, one writing it this moment ('starting'), or nobody left ('stale': empty or damaged). */
function lockOwner(file: string): Owner | 'gone' {
  try {
    const content = readFileSync(file, 'utf8');
    const [host, pid] = content.trim().split(' ');
    if (host && Number(pid) > 0) return { kind: 'gateway', host, pid: Number(pid), content };
    return { kind: Date.now() - statSync(file).mtimeMs < WRITING_MS ? 'starting' : 'stale', content };
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return 'gone';
    throw err;
  }
}

/**
 * Whether the gateway named in the lock still has it. It touches the file every few seconds, so a lock untouched for
 * STALE_MS is stale whoever it names (a pid reused after a reboot, a killed gateway). A fresh one is held: by this
 * process if it is ours, else by a live process here or by a gateway on another host (or a container with our
 * hostname: it cannot be told apart, so it is trusted).
 */
function lockHeld(owner: Owner, key: string): boolean {
  if (owner.kind === 'starting') return true;
  if (owner.kind !== 'gateway') return false;
  if (owner.host === HOST && owner.pid === process.pid && held.has(key)) return true;
  let fresh: boolean;
  try {
    fresh = Date.now() - statSync(join(key, LOCK_FILE)).mtimeMs < STALE_MS;
  } catch {
    return false;
  }
  if (!fresh) return false;
  return owner.host !== HOST || owner.pid === process.pid || pidAlive(owner.pid);
}

function busyMessage(owner: Owner, dataDir: string): string {
  const who = owner.kind === 'gateway' ? `another Airlock gateway (pid ${owner.pid}${owner.host === HOST ? '' : ' on another host'})` : 'another Airlock gateway, starting now,';
  return `${who} is serving the data dir ${dataDir}; stop it first, or give this one its own --data-dir`;
}
