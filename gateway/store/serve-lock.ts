// One gateway serves a data dir at a time. A second one (a repeated `airlock serve`, the desktop app next to it) would
// close out the first one's open requests as interrupted and answer from a store it does not own; it is refused first.
import { closeSync, futimesSync, openSync, readFileSync, statSync, unlinkSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { HEARTBEAT_MS, HOST, ownerRunning } from './journal.js';

export const LOCK_FILE = 'gateway.lock';

/** A lock file this young with nothing in it is being written by a gateway starting right now. */
const WRITING_MS = 5000;

/** Locks this process holds: a lock naming our pid is ours only if it is in here (else an earlier process had our pid). */
const held = new Set<string>();

export class DataDirBusyError extends Error {}

export class ServeLock {
  private readonly heartbeat: NodeJS.Timeout;
  private released = false;

  private constructor(
    private readonly file: string,
    private readonly fd: number,
    private readonly stamp: string,
  ) {
    held.add(file);
    // Another host sharing the data dir tells a live lock from a killed gateway's by how recently it was touched.
    this.heartbeat = setInterval(() => {
      try {
        futimesSync(fd, new Date(), new Date());
      } catch {
        // a lock file removed by hand: nothing to keep fresh
      }
    }, HEARTBEAT_MS).unref();
  }

  /** Takes the data dir for this gateway; throws DataDirBusyError when a running gateway has it. */
  static acquire(dataDir: string): ServeLock {
    const file = join(dataDir, LOCK_FILE);
    for (let attempt = 0; attempt < 3; attempt++) {
      const stamp = `${HOST} ${process.pid} ${Date.now()}\n`;
      try {
        const fd = openSync(file, 'wx', 0o600);
        writeSync(fd, stamp);
        return new ServeLock(file, fd, stamp);
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      }
      const owner = lockOwner(file);
      if (owner === 'gone') continue;
      const ours = owner !== 'starting' && owner !== 'stale' && owner.host === HOST && owner.pid === process.pid;
      const running = owner === 'starting' || (owner !== 'stale' && (ours ? held.has(file) : ownerRunning(owner.host, owner.pid, file)));
      if (running) {
        const who = owner === 'starting' ? 'another Airlock gateway, starting now,' : `another Airlock gateway (pid ${owner.pid}${owner.host === HOST ? '' : ' on another host'})`;
        throw new DataDirBusyError(`${who} is serving the data dir ${dataDir}; stop it first, or give this one its own --data-dir`);
      }
      // Left by a gateway that was killed: taken over.
      try {
        unlinkSync(file);
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
      }
    }
    throw new DataDirBusyError(`could not take the lock on the data dir ${dataDir} (${file})`);
  }

  release(): void {
    if (this.released) return;
    this.released = true;
    clearInterval(this.heartbeat);
    held.delete(this.file);
    try {
      closeSync(this.fd);
      if (readFileSync(this.file, 'utf8') === this.stamp) unlinkSync(this.file); // still ours
    } catch {
      // already gone
    }
  }
}

/** Who holds the lock; 'stale' for a lock file left empty or damaged by a gateway that died while starting. */
function lockOwner(file: string): { host: string; pid: number } | 'starting' | 'stale' | 'gone' {
  try {
    const [host, pid] = readFileSync(file, 'utf8').trim().split(' ');
    if (host && Number(pid) > 0) return { host, pid: Number(pid) };
    return Date.now() - statSync(file).mtimeMs < WRITING_MS ? 'starting' : 'stale';
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return 'gone';
    throw err;
  }
}
