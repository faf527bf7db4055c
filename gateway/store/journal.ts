// The write-ahead journal: a request's record and its finish are appended here (synchronously, already encrypted)
// before the request is forwarded and before the caller gets the answer's last bytes; SQLite gets them moments later,
// in batches, off the request's path. A gateway killed in between replays its journal into SQLite on the next start.
import { closeSync, existsSync, mkdirSync, openSync, readdirSync, readFileSync, renameSync, unlinkSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import type { Row, SqlValue } from './db.js';

export const JOURNAL_DIR = 'journal';

/** One journaled write. Blobs travel as base64; nothing in here is plaintext prompt or answer (those are sealed). */
export type JournalEntry =
  | { op: 'insert'; row: Row }
  | { op: 'finish'; id: string; changed: Row };

/** The journals this process has open (their file-name prefix): never replayed by a store this process opens. */
const live = new Set<string>();
let opened = 0;

/** A journal file starts a new generation past this size; a generation whose writes are all committed is deleted. */
const ROTATE_BYTES = 8 * 1024 * 1024;

export class Journal {
  private fd: number;
  private generation = 0;
  private size = 0;
  /** Generation → its writes not yet committed to SQLite. */
  private readonly open = new Map<number, number>();
  /** Generations holding a write SQLite refused: kept on disk for the next start to retry. */
  private readonly kept = new Set<number>();
  /** pid-stamp: the stamp orders journals by age and tells apart two journals one process opens in one millisecond. */
  private readonly prefix = `${process.pid}-${(Date.now() * 100 + (opened++ % 100)).toString(36)}`;

  constructor(private readonly dir: string) {
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    this.fd = this.openGeneration();
    live.add(this.prefix);
  }

  /** Appends one entry; throws when it cannot be written (then nothing may go on as if it were recorded). */
  append(entry: JournalEntry): number {
    if (this.size > ROTATE_BYTES || this.kept.has(this.generation)) this.rotate();
    const line = Buffer.from(`${JSON.stringify(encodeEntry(entry))}\n`, 'utf8');
    let written = 0;
    while (written < line.length) written += writeSync(this.fd, line, written, line.length - written);
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
    // A full generation goes once all of it is in SQLite. The current one is not truncated each time it is: appending
    // to a file is cheap, shrinking and regrowing it is not (a replay skips what SQLite already has).
    if (generation !== this.generation && !this.kept.has(generation)) unlinkSync(this.file(generation));
  }

  /** At a clean stop: with every write settled, nothing is left to replay. */
  close(): void {
    live.delete(this.prefix);
    closeSync(this.fd);
    if (this.open.size === 0 && !this.kept.has(this.generation)) unlinkSync(this.file(this.generation));
  }

  private rotate(): void {
    closeSync(this.fd);
    if (!this.open.has(this.generation) && !this.kept.has(this.generation)) unlinkSync(this.file(this.generation));
    this.generation++;
    this.size = 0;
    this.fd = this.openGeneration();
  }

  private openGeneration(): number {
    return openSync(this.file(this.generation), 'a', 0o600);
  }

  private file(generation: number): string {
    return join(this.dir, `${this.prefix}-${generation}.log`);
  }
}

/** Journal files left by gateways that are no longer running, oldest first, with their entries. */
export function orphanedJournals(dir: string): { file: string; entries: JournalEntry[] }[] {
  if (!existsSync(dir)) return [];
  const files = readdirSync(dir)
    .map((name) => ({ name, parts: /^(\d+)-([0-9a-z]+)-(\d+)\.log$/.exec(name) }))
    .filter((f): f is { name: string; parts: RegExpExecArray } => f.parts !== null && !isRunning(Number(f.parts[1]), `${f.parts[1]}-${f.parts[2]}`))
    .sort((a, b) => parseInt(a.parts[2], 36) - parseInt(b.parts[2], 36) || Number(a.parts[3]) - Number(b.parts[3]));
  return files.map(({ name }) => {
    const file = join(dir, name);
    const entries: JournalEntry[] = [];
    for (const line of readFileSync(file, 'utf8').split('\n')) {
      if (!line) continue;
      try {
        entries.push(decodeEntry(JSON.parse(line)));
      } catch {
        // A line cut short by the kill: its write never returned, so nothing went on as if it were recorded.
      }
    }
    return { file, entries };
  });
}

/** A replayed file is done with: deleted, or set aside (renamed) when some of it could not be applied. */
export function retireJournal(file: string, failed: boolean): void {
  if (failed) renameSync(file, file.replace(/\.log$/, `.unapplied-${Date.now()}`));
  else unlinkSync(file);
}

function isRunning(pid: number, prefix: string): boolean {
  if (pid === process.pid) return live.has(prefix); // else an earlier process that had our pid
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
  if (raw.op === 'finish' && raw.id && raw.changed) return { op: 'finish', id: raw.id, changed: decodeRow(raw.changed) };
  throw new Error('unknown journal entry');
}
