// The live store's hash chain: every store write that matters appends an event in the same transaction, and the
// newest event is signed, so an edited, removed or reordered row (or a chain cut short) shows in `airlock verify`.
import { sign } from 'node:crypto';
import { insertSql, sqlLiteral, type Database, type Row } from '../store/db.js';
import type { SessionCrypto } from '../store/session-crypto.js';
import { decisionDigest, eventHash, GENESIS, headMessage, requestDigest, sha256, type ChainEvent } from './digest.js';
import { createSigningKey, fingerprint, loadSigningKey, type SigningKey } from './signing-key.js';

export const META_HEAD = 'audit.head';

/** Events that vouch for a request row's state (the last one must match the row). */
export const ROW_EVENTS = new Set(['request.recorded', 'request.finished', 'request.interrupted', 'request.adopted', 'session.shredded']);
export const DECISION_EVENTS = new Set(['request.decided', 'decision.adopted']);

/** The newest event, signed: `seq` 0 and GENESIS before the first. */
export interface ChainHead {
  seq: number;
  hash: string;
  at: number;
  sig: string;
}

export interface EventRef {
  seq: number;
  hash: string;
}

/** What one write transaction may append. */
export interface ChainWriter {
  /**
   * A request row after a write; `withStatus` once its status is final. `row`: the values about to be inserted, so the
   * event can come first and the row last (see RequestStore.insert).
   */
  recordRequest(type: string, requestId: string, opts: { actor?: string | null; at?: number; withStatus: boolean; detail?: Record<string, unknown>; row?: Row }): Promise<EventRef>;
  recordDecision(decisionRowId: number, opts?: { type?: string }): Promise<EventRef>;
  /** A statement (literal SQL, see sqlLiteral) to run in this transaction, batched with the chain's own. */
  sql(statement: string): void;
  /** Runs what is batched now: before a statement whose result is needed (lastID), or a read. */
  flush(): Promise<void>;
  /** A reviewer's or admin's action, or the gateway's own (export, shredding, retention). No secrets in `detail`. */
  action(actor: string, type: string, detail: Record<string, unknown>, requestId?: string | null): Promise<EventRef>;
}

export async function readHead(db: Database): Promise<ChainHead | null> {
  const row = await db.get<{ value: string }>('SELECT value FROM meta WHERE key = ?', [META_HEAD]);
  return row ? (JSON.parse(row.value) as ChainHead) : null;
}

export class AuditChain {
  private key: SigningKey | null = null;

  constructor(
    private readonly db: Database,
    private readonly crypto: SessionCrypto,
  ) {}

  /** Runs `fn` in a write transaction (serialized with every other chain write on this connection) and signs the new head. */
  write<T>(fn: (chain: ChainWriter) => Promise<T>): Promise<T> {
    return this.serialized(fn).then(({ result }) => result);
  }

  /** One transaction per call; the store's Database serializes transactions on a connection (and nests them). */
  private async serialized<T>(fn: (chain: ChainWriter) => Promise<T>): Promise<{ result: T; key: SigningKey }> {
    const done = await this.db.transaction(() => this.inTransaction(fn));
    // Cached only once committed: a rolled-back transaction may have made a key that is not stored.
    this.key ??= done.key;
    return done;
  }

  action(actor: string, type: string, detail: Record<string, unknown>, requestId: string | null = null): Promise<EventRef> {
    return this.write((chain) => chain.action(actor, type, detail, requestId));
  }

  /** The signing key, made (and its making recorded) if this data dir has none yet. */
  async signingKey(): Promise<SigningKey> {
    if (this.key) return this.key;
    const existing = await loadSigningKey(this.db, this.crypto);
    if (existing) return (this.key = existing);
    const { key } = await this.serialized(async () => undefined);
    return (this.key = key);
  }

  private async inTransaction<T>(fn: (chain: ChainWriter) => Promise<T>): Promise<{ result: T; key: SigningKey }> {
    const { db } = this;
    // Read in the transaction, under its write lock: whatever another process appended (or pruned) is seen.
    const head = await readHead(db);
    let seq = head?.seq ?? 0;
    let prev = head?.hash ?? GENESIS;
    let key = this.key ?? (await loadSigningKey(db, this.crypto));
    // Statements gather here and go to SQLite in one exec (one thread-pool round trip), before any read and at the end.
    const buffered: string[] = [];
    const flush = async (): Promise<void> => {
      if (buffered.length > 0) await db.exec(buffered.splice(0).join(';\n'));
    };

    const append = (e: { at: number; actor: string | null; type: string; requestId: string | null; digest: string; detail: string | null }): EventRef => {
      const event: Omit<ChainEvent, 'prevHash' | 'hash'> = { seq: seq + 1, ...e };
      const hash = eventHash(prev, event);
      buffered.push(insertSql('audit_events', { seq: event.seq, at: event.at, actor: event.actor, type: event.type, request_id: event.requestId, digest: event.digest, detail: event.detail, prev_hash: prev, hash }));
      seq = event.seq;
      prev = hash;
      return { seq, hash };
    };

    const writer: ChainWriter = {
      sql(statement) {
        buffered.push(statement);
      },
      flush,
      async recordRequest(type, requestId, opts) {
        let row = opts.row;
        if (!row) {
          await flush();
          row = await db.get<Row>('SELECT * FROM requests WHERE id = ?', [requestId]);
        }
        if (!row) throw new Error(`audit: no request ${requestId} to record`);
        const detail = JSON.stringify({ ...opts.detail, ...(opts.withStatus ? { status: row.status } : {}) });
        return append({ at: opts.at ?? Date.now(), actor: opts.actor ?? 'gateway', type, requestId, digest: requestDigest(row, opts.withStatus), detail });
      },
      async recordDecision(rowId, opts = {}) {
        await flush();
        const row = await db.get<Row>('SELECT * FROM decisions WHERE id = ?', [rowId]);
        if (!row) throw new Error(`audit: no decision ${rowId} to record`);
        const action = String(row.action);
        const actor = (row.reviewer as string | null) ?? (action === 'timeout' ? 'timeout' : action.startsWith('policy') ? 'policy' : action === 'cancel' ? 'caller' : 'gateway');
        const detail = JSON.stringify({ decision: rowId, action });
        return append({ at: Number(row.at), actor, type: opts.type ?? 'request.decided', requestId: String(row.request_id), digest: decisionDigest(row), detail });
      },
      async action(actor, type, detailObject, requestId = null) {
        const detail = JSON.stringify(detailObject);
        return append({ at: Date.now(), actor, type, requestId, digest: sha256(detail), detail });
      },
    };

    // The chain's genesis: the first chain write of a data dir makes the key, before anything else is written.
    if (!key) {
      key = await createSigningKey(db, this.crypto);
      await this.genesis(writer, key);
    }
    const result = await fn(writer);
    // One signed head per transaction, written in it: the transaction's events and their signature commit together.
    if (seq !== (head?.seq ?? 0)) {
      const signature = sign(null, headMessage(key.gatewayId, seq, prev), key.privateKey).toString('base64');
      const next: ChainHead = { seq, hash: prev, at: Date.now(), sig: signature };
      buffered.push(`INSERT INTO meta (key, value) VALUES (${sqlLiteral(META_HEAD)}, ${sqlLiteral(JSON.stringify(next))}) ON CONFLICT (key) DO UPDATE SET value = excluded.value`);
    }
    await flush();
    return { result, key };
  }

  /**
   * Records the new signing key and adopts the rows already in the store (a data dir from before the chain): each gets one
   * `adopted` event. Only here, in the transaction that makes the key, so rows slipped in later can never be adopted.
   */
  private async genesis(writer: ChainWriter, key: SigningKey): Promise<void> {
    await writer.action('gateway', 'key.created', { algorithm: 'Ed25519', fingerprint: fingerprint(key.publicKey), gatewayId: key.gatewayId });
    const rows = await this.db.all<{ id: string; caller: string; created_at: number; completed_at: number | null; status: string }>(
      'SELECT id, caller, created_at, completed_at, status FROM requests ORDER BY created_at, id',
    );
    for (const r of rows) {
      await writer.recordRequest('request.adopted', r.id, { actor: r.caller, at: r.created_at, withStatus: r.completed_at !== null || r.status === 'interrupted' });
    }
    const decisions = await this.db.all<{ id: number }>('SELECT id FROM decisions ORDER BY id');
    for (const d of decisions) await writer.recordDecision(d.id, { type: 'decision.adopted' });
  }
}

const chains = new WeakMap<Database, AuditChain>();

/** The one chain writer of a connection: everything that writes on `db` shares its queue. */
export function auditChain(db: Database, crypto: SessionCrypto): AuditChain {
  let chain = chains.get(db);
  if (!chain) chains.set(db, (chain = new AuditChain(db, crypto)));
  return chain;
}
