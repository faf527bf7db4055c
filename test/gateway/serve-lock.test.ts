// One gateway per data dir: the lock file, its owner's liveness (pid and heartbeat), and taking over a stale one.
import { existsSync, mkdtempSync, readFileSync, symlinkSync, unlinkSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { HOST } from '../../gateway/store/journal.js';
import { DataDirBusyError, LOCK_FILE, ServeLock } from '../../gateway/store/serve-lock.js';

const locks: ServeLock[] = [];
afterEach(() => {
  for (const lock of locks.splice(0)) lock.release();
});

const dataDir = () => mkdtempSync(join(tmpdir(), 'airlock-lock-'));
const take = (dir: string) => {
  const lock = ServeLock.acquire(dir);
  locks.push(lock);
  return lock;
};
/** A lock file as another gateway left it, last touched `ageMs` ago. */
function planted(dir: string, host: string, pid: number, ageMs: number): void {
  const file = join(dir, LOCK_FILE);
  writeFileSync(file, `${host} ${pid} ${Date.now() - ageMs}\n`);
  const at = new Date(Date.now() - ageMs);
  utimesSync(file, at, at);
}

describe('the data dir lock', () => {
  it('is refused to a second taker in this process, by any path to the same dir, and free again once released', () => {
    const dir = dataDir();
    const lock = take(dir);
    expect(() => ServeLock.acquire(dir)).toThrow(DataDirBusyError);
    const link = `${dir}-link`;
    symlinkSync(dir, link);
    expect(() => ServeLock.acquire(link)).toThrow(/another Airlock gateway \(pid \d+\) is serving/);
    lock.release();
    expect(existsSync(join(dir, LOCK_FILE))).toBe(false);
    take(link);
  });

  it('a fresh lock of a live process here, or of another host, is held', () => {
    const here = dataDir();
    planted(here, HOST, process.ppid, 0);
    expect(() => ServeLock.acquire(here)).toThrow(`another Airlock gateway (pid ${process.ppid}) is serving the data dir ${here}`);
    const shared = dataDir();
    planted(shared, 'abcdef12', 4242, 1000);
    expect(() => ServeLock.acquire(shared)).toThrow(/\(pid 4242 on another host\)/);
  });

  it('is taken over when its owner is gone: a dead pid, or a live pid whose lock went untouched (a reused pid after a reboot)', () => {
    const dead = dataDir();
    planted(dead, HOST, 2 ** 22 + 7, 0);
    take(dead);
    expect(readFileSync(join(dead, LOCK_FILE), 'utf8')).toMatch(new RegExp(`^${HOST} ${process.pid} `));

    const reused = dataDir();
    planted(reused, HOST, process.ppid, 120_000);
    take(reused);
    const otherHostGone = dataDir();
    planted(otherHostGone, 'abcdef12', 4242, 120_000);
    take(otherHostGone);
  });

  it('an empty lock being written this moment is held; one left empty long ago is taken over', () => {
    const dir = dataDir();
    writeFileSync(join(dir, LOCK_FILE), '');
    expect(() => ServeLock.acquire(dir)).toThrow(/starting now/);
    const old = new Date(Date.now() - 60_000);
    utimesSync(join(dir, LOCK_FILE), old, old);
    take(dir);
  });

  it('says so if its file is removed while it is held', () => {
    vi.useFakeTimers({ toFake: ['setInterval'] });
    try {
      const dir = dataDir();
      const lock = take(dir);
      const lost = vi.fn();
      lock.onLost = lost;
      vi.advanceTimersByTime(6000);
      expect(lost).not.toHaveBeenCalled();
      unlinkSync(join(dir, LOCK_FILE));
      vi.advanceTimersByTime(12_000);
      expect(lost).toHaveBeenCalledTimes(1);
    } finally {
      vi.useRealTimers();
    }
  });
});
