// The write-ahead journal: a request's record and its finish are appended here (synchronously, already encrypted)
// before the request is forwarded and before the caller gets the answer's last bytes; SQLite gets them moments later,
// in batches, off the request's path. A gateway killed in between replays its journal into SQLite on the next start.
//
// Each line carries a MAC under a key derived from the data key, so a line nobody with the key wrote is never applied.
// A journal belongs to one gateway: its file name says which host (hashed) and process, and a running gateway touches
// its file every few seconds, so another host's gateway can tell a live journal from one left by a kill.
import { createHash, timingSafeEqual } from 'node:crypto';
import { closeSync, existsSync, fstatSync, ftruncateSync, futimesSync, mkdirSync, openSync, readdirSync, readFileSync, renameSync, statSync, unlinkSync, utimesSync, writeSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import type { Row, SqlValue } from './db.js';

export const JOURNAL_DIR = 'journal';

/** One journaled write. Blobs travel as base64; nothing in here is plaintext prompt or answer (those are sealed). */
export type JournalEntry =
  | { op: 'insert'; row: Row }
  | { op: 'finish'; id: string; changed: Row };

/** Keyed MAC of a journal line (see SessionCrypto.journalMac). */
export type LineMac = (line: string) => Buffer;

/** A journal file starts a new generation past this size; a generation whose writes are all committed is deleted. */
const ROTATE_BYTES = 8 * 1024 * 1024;
/**
 * The current file is emptied whenever every write in it is in SQLite, at most this often (emptying a file and growing
 * it again costs more than appending; once a second it costs nothing).
 */
const EMPTY_EVERY_MS = 1000;
/** A running gateway touches its journal this often; another host's journal untouched for STALE_MS is orphaned. */
export const HEARTBEAT_MS = 5000;
export const STALE_MS = 30_000;

/** This host, hashed: journal and lock files say which host wrote them without naming it. */
export const HOST = createHash('sha256').update(hostname()).digest('hex').slice(0, 8);
const NAME = /^([0-9a-f]{8})-(\d+)-([0-9a-z]+)-(\d+)\.log$/;
const REPLAYING = /^(.+\.log)\.replaying-([0-9a-f]{8})-(\d+)$/;

/** The journals this process has open (their file-name prefix): never replayed by a store this process opens. */
const live = new Set<string>();
let opened = 0;

export class Journal {
  private fd = -1;
  private generation = 0;
  private size = 0;
  /** A failed append may have left part of a line behind: the next one starts on a line of its own. */
  private torn = false;
  private closed = false;
  /** Generation → its writes not yet committed to SQLite. */
  private readonly open = new Map<number, number>();
  /** Generations holding a write SQLite refused: kept on disk for the next start to retry. */
  private readonly kept = new Set<number>();
  /** host-pid-stamp: the stamp orders journals by age and tells apart two journals one process opens in one millisecond. */
  private readonly prefix = `${HOST}-${process.pid}-${(Date.now() * 100 + (opened++ % 100)).toString(36)}`;
  private readonly heartbeat: NodeJS.Timeout;
  private emptyTimer: NodeJS.Timeout | null = null;
  private emptiedAt = 0;

  constructor(
    private readonly dir: string,
    private readonly mac: LineMac,
    private readonly onError: (err: unknown) => void = () => undefined,
  ) {
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    this.fd = openSync(this.file(0), 'a', 0o600);
    live.add(this.prefix);
    this.heartbeat = setInterval(() => this.guard(() => futimesSync(this.fd, new Date(), new Date())), HEARTBEAT_MS).unref();
  }

  /** Appends one entry; throws when it cannot be written (then nothing may go on as if it were recorded). */
  append(entry: JournalEntry): number {
    if (this.closed) throw new Error('the journal is closed');
    if (this.size > ROTATE_BYTES || this.kept.has(this.generation)) this.rotate();
    const json = JSON.stringify(encodeEntry(entry));
    const line = Buffer.from(`${this.torn ? '\n' : ''}${this.mac(json).toString('base64')} ${json}\n`, 'utf8');
    let written = 0;
    try {
      while (written < line.length) written += writeSync(this.fd, line, written, line.length - written);
    } catch (err) {
      // Take back a partial line, so the next entry is not glued to it (and lost with it at replay).
      try {
        ftruncateSync(this.fd, this.size);
      } catch {
        this.torn = true;
        this.guard(() => (this.size = fstatSync(this.fd).size)); // the fragment counts, so a later take-back cuts only its own line
      }
      throw err;
    }
    this.torn = false;
    this.size += line.length;
    this.open.set(this.generation, (this.open.get(this.generation) ?? 0) + 1);
    return this.generation;
  }

  /** One entry of `generation` is in SQLite (or, `keep`, refused by it: the file stays for a later replay). */
  settled(generation: number, keep = false): void {
    if (keep) this.kept.add(generation);
    const left = (this.open.get(generation) ?? 1) - 1;
    if (left > 0) {
      this.open.set(generation, left);
      return;
    }
    this.open.delete(generation);
    if (this.kept.has(generation)) return;
    if (generation !== this.generation) this.guard(() => unlinkSync(this.file(generation)));
    else if (Date.now() - this.emptiedAt >= EMPTY_EVERY_MS) this.empty();
    else if (!this.emptyTimer && !this.closed) this.emptyTimer = setTimeout(() => this.empty(), EMPTY_EVERY_MS).unref();
  }

  /**
   * Starts a new file, so the entries written so far leave the disk as soon as SQLite has them all (shredding and
   * retention call this: the journal must not keep what the store has let go).
   */
  seal(): void {
    if (!this.closed && this.size > 0) this.rotate();
  }

  /** At a clean stop: with every write settled, nothing is left to replay. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    live.delete(this.prefix);
    clearInterval(this.heartbeat);
    if (this.emptyTimer) clearTimeout(this.emptyTimer);
    this.guard(() => closeSync(this.fd));
    for (const generation of this.generationsOnDisk()) {
      if (!this.open.has(generation) && !this.kept.has(generation)) this.guard(() => unlinkSync(this.file(generation)));
    }
  }

  private empty(): void {
    if (this.emptyTimer) clearTimeout(this.emptyTimer);
    this.emptyTimer = null;
    if (this.closed || this.open.has(this.generation) || this.kept.has(this.generation) || this.size === 0) return;
    this.emptiedAt = Date.now();
    this.guard(() => {
      ftruncateSync(this.fd, 0);
      this.size = 0;
    });
  }

  private rotate(): void {
    const next = openSync(this.file(this.generation + 1), 'a', 0o600); // throws before anything changed
    const previous = { fd: this.fd, generation: this.generation };
    this.fd = next;
    this.generation++;
    this.size = 0;
    this.torn = false;
    this.guard(() => closeSync(previous.fd));
    if (!this.open.has(previous.generation) && !this.kept.has(previous.generation)) this.guard(() => unlinkSync(this.file(previous.generation)));
  }

  private generationsOnDisk(): number[] {
    return Array.from({ length: this.generation + 1 }, (_, g) => g).filter((g) => existsSync(this.file(g)));
  }

  /** Housekeeping that fails (a file removed by hand, a read-only disk) is reported, never thrown into a write. */
  private guard(fn: () => void): void {
    try {
      fn();
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') this.onError(err);
    }
  }

  private file(generation: number): string {
    return join(this.dir, `${this.prefix}-${generation}.log`);
  }
}

export interface OrphanedJournal {
  file: string;
  entries: JournalEntry[];
  /** Whole lines that failed their MAC or did not parse: not written by this data key's holder, or damaged. */
  rejected: number;
}

/**
 * Journal files left by gateways that are no longer running, oldest first, each claimed for this process (renamed, so
 * two gateways starting together never replay the same file), with the entries whose MAC checks.
 */
export function claimOrphanedJournals(dir: string, mac: LineMac): OrphanedJournal[] {
  if (!existsSync(dir)) return [];
  const claimed: { file: string; order: [number, number] }[] = [];
  for (const entry of readdirSync(dir)) {
    // A file another start claimed and did not finish replaying (it was killed) is claimed again.
    const replaying = REPLAYING.exec(entry);
    if (replaying && isRunning(replaying[2], Number(replaying[3]), null, join(dir, entry))) continue;
    const name = replaying ? replaying[1] : entry;
    const parts = NAME.exec(name);
    if (!parts || (!replaying && isRunning(parts[1], Number(parts[2]), `${parts[1]}-${parts[2]}-${parts[3]}`, join(dir, name)))) continue;
    const file = join(dir, `${name}.replaying-${HOST}-${process.pid}`);
    try {
      renameSync(join(dir, entry), file);
      utimesSync(file, new Date(), new Date()); // claimed now: another host sees it as taken
    } catch {
      continue; // another gateway claimed it first
    }
    claimed.push({ file, order: [parseInt(parts[3], 36), Number(parts[4])] });
  }
  claimed.sort((a, b) => a.order[0] - b.order[0] || a.order[1] - b.order[1]);
  return claimed.map(({ file }) => {
    const entries: JournalEntry[] = [];
    let rejected = 0;
    const lines = readFileSync(file, 'utf8').split('\n');
    for (let i = 0; i < lines.length; i++) {
      const line = lines[i];
      // Empty, or the last line without its newline: cut short by the kill (its write never returned).
      if (!line || i === lines.length - 1) continue;
      const space = line.indexOf(' ');
      const json = line.slice(space + 1);
      try {
        const given = Buffer.from(line.slice(0, space), 'base64');
        const expected = mac(json);
        if (space < 0 || given.length !== expected.length || !timingSafeEqual(given, expected)) throw new Error('bad MAC');
        entries.push(decodeEntry(JSON.parse(json)));
      } catch {
        rejected++;
      }
    }
    return { file, entries, rejected };
  });
}

/**
 * A replayed file is done with: `done` deletes it; `retry` gives it back (SQLite was only held up: the next start
 * replays it again); `aside` keeps it for a person (renamed `*.unapplied-*`: some of it could never be applied).
 */
export function retireJournal(file: string, outcome: 'done' | 'retry' | 'aside'): void {
  const claimed = /\.replaying-[0-9a-f]{8}-\d+$/;
  try {
    if (outcome === 'done') unlinkSync(file);
    else if (outcome === 'retry') renameSync(file, file.replace(claimed, ''));
    else renameSync(file, file.replace(claimed, '').replace(/\.log$/, `.unapplied-${Date.now()}`));
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
  }
}

/** `prefix`: the journal's own (its live owner may be this process); null for a claim by another start. */
function isRunning(host: string, pid: number, prefix: string | null, file: string): boolean {
  if (host !== HOST) {
    // Another host's (or container's) gateway on a shared data dir: alive while it keeps touching its file.
    try {
      return Date.now() - statSync(file).mtimeMs < STALE_MS;
    } catch {
      return true;
    }
  }
  if (pid === process.pid) return prefix !== null && live.has(prefix); // else an earlier process that had our pid
  return pidAlive(pid);
}

/** Whether a process of this pid runs on this host (one we may not signal runs too). */
export function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

type Encoded = Record<string, SqlValue | { b64: string }>;

function encodeRow(row: Row): Encoded {
  const out: Encoded = {};
  for (const [k, v] of Object.entries(row)) out[k] = Buffer.isBuffer(v) ? { b64: v.toString('base64') } : typeof v === 'bigint' ? Number(v) : v;
  return out;
}

function decodeRow(row: Encoded): Row {
  const out: Row = {};
  for (const [k, v] of Object.entries(row)) out[k] = v !== null && typeof v === 'object' && 'b64' in v ? Buffer.from(v.b64, 'base64') : (v as SqlValue);
  return out;
}

function encodeEntry(entry: JournalEntry): unknown {
  return entry.op === 'insert' ? { v: 1, op: 'insert', row: encodeRow(entry.row) } : { v: 1, op: 'finish', id: entry.id, changed: encodeRow(entry.changed) };
}

function decodeEntry(raw: { v: number; op: string; row?: Encoded; id?: string; changed?: Encoded }): JournalEntry {
  if (raw.v !== 1) throw new Error('unknown journal version');
  if (raw.op === 'insert' && raw.row) return { op: 'insert', row: decodeRow(raw.row) };
  if (raw.op === 'finish' && typeof raw.id === 'string' && raw.changed) return { op: 'finish', id: raw.id, changed: decodeRow(raw.changed) };
  throw new Error('unknown journal entry');
}
