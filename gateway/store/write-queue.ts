// Group commit: the store's writes queue here and go to SQLite together, one transaction (and one signed chain head)
// per batch, in the order they were queued. The request path only queues; a read that must see a write waits for it.
// A batch SQLite cannot take for now (locked by another process, disk full) waits and goes again, whole and in order.
import type { AuditChain, ChainWriter } from '../audit/chain.js';
import type { Database } from './db.js';

export interface QueuedWrite {
  /** Work that needs no database (counting tokens): done before the batch takes SQLite's write lock. Never throws. */
  prepare?(): void;
  /** Writes the change inside the batch's transaction (statements buffered on the chain writer where possible). */
  apply(chain: ChainWriter): Promise<void>;
  /** Told once the write is in SQLite (ok) or refused by it (not ok). */
  settled?(ok: boolean): void;
}

interface Item extends QueuedWrite {
  resolve(): void;
  reject(err: unknown): void;
}

/** SQLite errors that say "not now" rather than "never": the write waits and goes again. */
const TRANSIENT = new Set(['SQLITE_BUSY', 'SQLITE_LOCKED', 'SQLITE_FULL', 'SQLITE_IOERR', 'SQLITE_PROTOCOL']);

/** How long writes SQLite keeps turning away wait before they are refused (and, if journaled, left for the next start). */
const GIVE_UP_MS = 30_000;

export function isTransient(err: unknown): boolean {
  return TRANSIENT.has((err as { code?: string } | null)?.code ?? '');
}

export class WriteQueue {
  private pending: Item[] = [];
  private timer: NodeJS.Timeout | null = null;
  private flushing = false;
  /** Someone waits for the writes queued after the batch being written: the next batch goes at once. */
  private waiting = false;
  /** How long to wait before a batch SQLite turned away goes again (doubles up to 5 s; 0 once one goes through). */
  private backoffMs = 0;
  /** When SQLite first turned the batch at the head of the queue away (0: it has not). */
  private heldUpSince = 0;
  /** Settles when the newest queued write has (batches commit in order, so every earlier one has too). */
  private newest: Promise<void> = Promise.resolve();

  /**
   * @param delayMs how long a batch gathers before it is written: writes close together share a transaction, and the
   *   work of writing runs between requests instead of once per request.
   */
  constructor(
    private readonly db: Database,
    private readonly chain: () => AuditChain,
    private readonly delayMs: number,
    private readonly onRetry: (err: unknown, writes: number) => void = () => undefined,
  ) {}

  /** Queues a write; resolves when it is committed, rejects when SQLite refused it for good. */
  push(write: QueuedWrite): Promise<void> {
    // Its batch needs the connection's write lock, which a caller's open transaction would hold while waiting for it.
    if (this.db.inTransactionScope) return Promise.reject(new Error('store writes go in batches of their own: queue them outside db.transaction()'));
    const done = new Promise<void>((resolve, reject) => this.pending.push({ ...write, resolve, reject }));
    this.newest = done.catch(() => undefined);
    if (!this.flushing) this.schedule(this.backoffMs || this.delayMs);
    return done;
  }

  /**
   * Resolves once every write queued so far is committed or refused, and asks for the batch to go now. With
   * `maxWaitMs`, resolves after that long at the latest (a reader then sees the store as it is, if SQLite is held up).
   */
  settled(maxWaitMs?: number): Promise<void> {
    if (this.pending.length > 0) {
      if (this.flushing) this.waiting = true;
      else if (this.backoffMs === 0) this.schedule(0);
    }
    if (maxWaitMs === undefined) return this.newest;
    let timer: NodeJS.Timeout | undefined;
    return Promise.race([this.newest, new Promise<void>((r) => (timer = setTimeout(r, maxWaitMs)))]).finally(() => clearTimeout(timer));
  }

  get size(): number {
    return this.pending.length;
  }

  private schedule(delayMs: number): void {
    if (this.timer && delayMs > 0) return;
    if (this.timer) clearTimeout(this.timer);
    this.timer = setTimeout(() => void this.flush(), delayMs);
  }

  private async flush(): Promise<void> {
    this.timer = null;
    if (this.flushing || this.pending.length === 0) return;
    this.flushing = true;
    try {
      await this.write(this.pending.splice(0));
    } finally {
      this.flushing = false;
    }
    // What came in meanwhile gathers for a while too, unless someone is waiting for it (settled()).
    if (this.pending.length > 0) this.schedule(this.backoffMs || (this.waiting ? 0 : this.delayMs));
    this.waiting = false;
  }

  private async write(batch: Item[]): Promise<void> {
    for (const item of batch) item.prepare?.();
    let failed: unknown = null;
    try {
      await this.chain().write(async (chain) => {
        for (const item of batch) await item.apply(chain);
      });
    } catch (err) {
      failed = err;
    }
    if (failed === null || isTransient(failed)) {
      if (failed !== null && !this.givenUp()) return this.later(batch, failed);
      // In, or turned away for too long: refused, all of it (journaled writes stay on disk for the next start).
      this.recovered();
      for (const item of batch) settle(item, failed);
      return;
    }
    // One at a time, so one write SQLite refuses does not take the others with it.
    for (let i = 0; i < batch.length; i++) {
      const item = batch[i];
      let failed: unknown = null;
      try {
        await this.chain().write((chain) => item.apply(chain));
      } catch (err) {
        failed = err;
      }
      if (failed !== null && isTransient(failed) && !this.givenUp()) return this.later(batch.slice(i), failed);
      settle(item, failed);
    }
    this.recovered();
  }

  private recovered(): void {
    this.backoffMs = 0;
    this.heldUpSince = 0;
  }

  /** Past GIVE_UP_MS of SQLite turning writes away, they are refused (journaled ones wait for the next start). */
  private givenUp(): boolean {
    this.heldUpSince ||= Date.now();
    return Date.now() - this.heldUpSince > GIVE_UP_MS;
  }

  /** Puts writes SQLite could not take back at the head of the queue, in order, to go again after a pause. */
  private later(items: Item[], err: unknown): void {
    this.pending.unshift(...items);
    this.backoffMs = Math.min(this.backoffMs ? this.backoffMs * 2 : 100, 5000);
    this.onRetry(err, this.pending.length);
  }
}

function settle(item: Item, err: unknown): void {
  try {
    item.settled?.(err === null);
  } finally {
    if (err === null) item.resolve();
    else item.reject(err);
  }
}
