// Group commit: the store's writes queue here and go to SQLite together, one transaction (and one signed chain head)
// per batch, in the order they were queued. The request path only queues; a read that must see a write waits for it.
import type { AuditChain, ChainWriter } from '../audit/chain.js';
import type { Database } from './db.js';

export interface QueuedWrite {
  /** Writes the change inside the batch's transaction (statements buffered on the chain writer where possible). */
  apply(chain: ChainWriter): Promise<void>;
  /** Told once the write is in SQLite (ok) or refused by it (not ok). */
  settled?(ok: boolean): void;
}

interface Item extends QueuedWrite {
  resolve(): void;
  reject(err: unknown): void;
}

export class WriteQueue {
  private pending: Item[] = [];
  private timer: NodeJS.Timeout | null = null;
  private flushing = false;
  /** Someone waits for the writes queued after the batch being written: the next batch goes at once. */
  private waiting = false;
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
  ) {}

  /** Queues a write; resolves when it is committed, rejects when SQLite refused it. */
  push(write: QueuedWrite): Promise<void> {
    // Its batch needs the connection's write lock, which a caller's open transaction would hold while waiting for it.
    if (this.db.inTransactionScope) return Promise.reject(new Error('store writes go in batches of their own: queue them outside db.transaction()'));
    const done = new Promise<void>((resolve, reject) => this.pending.push({ ...write, resolve, reject }));
    this.newest = done.catch(() => undefined);
    if (!this.flushing) this.schedule(this.delayMs);
    return done;
  }

  /** Resolves once every write queued so far is committed or refused; asks for the batch to go now. */
  settled(): Promise<void> {
    if (this.pending.length > 0) {
      if (this.flushing) this.waiting = true;
      else this.schedule(0);
    }
    return this.newest;
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
    if (this.pending.length > 0) this.schedule(this.waiting ? 0 : this.delayMs);
    this.waiting = false;
  }

  private async write(batch: Item[]): Promise<void> {
    try {
      await this.chain().write(async (chain) => {
        for (const item of batch) await item.apply(chain);
      });
      for (const item of batch) settle(item, null);
    } catch (err) {
      if (batch.length === 1) return settle(batch[0], err);
      // One at a time, so one write SQLite refuses does not take the others with it.
      for (const item of batch) {
        try {
          await this.chain().write((chain) => item.apply(chain));
          settle(item, null);
        } catch (one) {
          settle(item, one);
        }
      }
    }
  }
}

function settle(item: Item, err: unknown): void {
  item.settled?.(err === null);
  if (err === null) item.resolve();
  else item.reject(err);
}
