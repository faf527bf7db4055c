// The request repository: sessions in, plain objects out; every prompt or answer text is sealed with the session's key.
import type { Decision, ErrorRecord, Protocol, RequestDetail, RequestList, RequestStatus, RequestSummary, ResponseRecord, SessionRecord, Stats, TimelineEvent } from '../api/types.js';
import { insertSql, sqlLiteral, type Database, type Row, type SqlValue } from './db.js';
import { claimOrphanedJournals, retireJournal, type Journal } from './journal.js';
import { isTransient, WriteQueue } from './write-queue.js';
import { decryptField, encryptField, encryptJson, type SessionCrypto } from './session-crypto.js';
import { auditChain, type AuditChain, type ChainWriter } from '../audit/chain.js';

export interface NewRequest {
  id: string;
  createdAt: number;
  status: RequestStatus;
  caller: string;
  protocol: Protocol;
  path: string;
  model: string;
  stream: boolean;
  policy: string | null;
  /** A count, or how to count: then it is counted off the request's path, when the batch is written. */
  tokens: number | (() => number);
  timeoutAt: number | null;
  convHash: string | null;
  body: unknown;
  /** The body's JSON exactly as it came, sealed as is (no second serialization of a large prompt). */
  rawBody?: Buffer;
  preview: string;
}

export interface FinishedRequest {
  status: RequestStatus;
  editedBody: unknown | null;
  response: ResponseRecord | null;
  error: ErrorRecord | null;
  timeline: TimelineEvent[];
  upstreamStatus: number | null;
  searchText: string;
}

export interface ListFilter {
  status?: RequestStatus[];
  caller?: string;
  model?: string;
  q?: string;
  since?: number;
  until?: number;
  cursor?: string;
  limit?: number;
}

interface RequestRow {
  id: string;
  created_at: number;
  updated_at: number;
  status: RequestStatus;
  caller: string;
  protocol: Protocol;
  path: string;
  model: string;
  stream: number;
  policy: string | null;
  tokens: number;
  timeout_at: number | null;
  prev_id: string | null;
  conv_hash: string | null;
  session_key: Buffer | null;
  body: Buffer | null;
  edited_body: Buffer | null;
  preview: Buffer | null;
  response: Buffer | null;
  timeline: Buffer | null;
  error: Buffer | null;
}

type ReplayOutcome = 'ok' | 'later' | 'refused';

const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g;

/** How long a read waits for the writes queued before it (SQLite held up elsewhere: it reads what is there). */
const READ_WAIT_MS = 3000;

/** Blobs past this size are bound as parameters rather than written into the SQL text as hex. */
const LITERAL_BLOB_LIMIT = 64 * 1024;

const FINISH_COLUMNS = ['status', 'updated_at', 'completed_at', 'edited_body', 'response', 'error', 'error_code', 'timeline', 'upstream_status'];

const INSERT_COLUMNS = ['id', 'created_at', 'updated_at', 'status', 'caller', 'protocol', 'path', 'model', 'stream', 'policy', 'tokens', 'timeout_at', 'conv_hash', 'session_key', 'body', 'preview'];

const SUMMARY_COLUMNS = 'id, created_at, updated_at, status, caller, protocol, path, model, stream, policy, tokens, timeout_at, session_key, preview';

/** Live state the queue adds to what the store knows (claims, duplicates). */
export type LiveOverlay = (summary: RequestSummary) => RequestSummary;

export class RequestStore {
  private readonly keys = new Map<string, Buffer>();
  private pendingTerms: [id: string, text: string][] = [];
  private termsTimer: NodeJS.Timeout | null = null;
  /** What this process inserted for requests still in flight: the finish event's digest needs no read back. */
  private readonly inserted = new Map<string, Row>();
  private readonly writes: WriteQueue;
  /** Requests whose record SQLite refused: what depends on it is refused too, until a restart replays the journal. */
  private readonly refused = new Set<string>();
  private journal: Journal | null = null;
  /** Where a write that nobody waits for reports that SQLite refused it (the gateway logs it). */
  onWriteFailed: (err: unknown, requestId: string) => void = () => undefined;
  /** Where the store says SQLite is not taking writes for now (they wait and go again). */
  onWritesHeldUp: (err: unknown, waiting: number) => void = () => undefined;

  constructor(
    private readonly db: Database,
    private readonly crypto: SessionCrypto,
    options: { batchDelayMs?: number } = {},
  ) {
    this.writes = new WriteQueue(db, () => this.audit, options.batchDelayMs ?? 4, (err, waiting) => this.onWritesHeldUp(err, waiting));
  }

  /** The audit chain: the writes below append to it in the same transaction (gateway/audit). */
  get audit(): AuditChain {
    return auditChain(this.db, this.crypto);
  }

  private sessionKey(id: string, wrapped: Buffer | null): Buffer | null {
    const cached = this.keys.get(id);
    if (cached) return cached;
    if (!wrapped) return null; // shredded
    return this.crypto.unwrapSessionKey(id, wrapped);
  }

  /** Seals a new request's text under a fresh session key: the row as it will be stored. */
  private seal(r: NewRequest): Row {
    const { key, wrapped } = this.crypto.newSessionKey(r.id);
    const body = r.rawBody ? encryptJson(key, r.id, 'body', r.rawBody) : encryptField(key, r.id, 'body', r.body);
    const tokens = typeof r.tokens === 'number' ? r.tokens : null;
    // Text as SQLite will store it (a lone surrogate becomes U+FFFD there): the chain digests what is stored.
    const text = (value: string) => value.replace(LONE_SURROGATE, '\uFFFD');
    const values = [r.id, r.createdAt, r.createdAt, r.status, text(r.caller), r.protocol, text(r.path), text(r.model), r.stream ? 1 : 0, r.policy === null ? null : text(r.policy), tokens, r.timeoutAt, r.convHash, wrapped, body, encryptField(key, r.id, 'preview', r.preview)];
    const row = Object.fromEntries(INSERT_COLUMNS.map((column, i) => [column, values[i]])) as Row;
    this.keys.set(r.id, key);
    this.inserted.set(r.id, row);
    return row;
  }

  /** Not recorded: nothing of it may stay behind in memory. */
  private forget(id: string): void {
    this.keys.delete(id);
    this.inserted.delete(id);
  }

  /**
   * Records a request on the request's path: sealed and appended to the journal at once (the request may go on), in
   * SQLite with the next batch. Throws when it cannot be journaled; then it must not go on.
   */
  record(r: NewRequest): void {
    this.enqueueInsert(r, true).catch((err: unknown) => this.onWriteFailed(err, r.id));
  }

  /** Records a request and waits until it is in SQLite (no journal: the caller waits for the store itself). */
  async insert(r: NewRequest): Promise<void> {
    await this.enqueueInsert(r, false).catch((err: unknown) => {
      this.forget(r.id);
      throw err;
    });
  }

  /** Seals, journals (throws when it cannot: nothing of it stays in memory) and queues; settles when SQLite has it. */
  private enqueueInsert(r: NewRequest, journaled: boolean): Promise<void> {
    const row = this.seal(r);
    let generation: number | undefined;
    try {
      if (journaled) generation = this.journal?.append({ op: 'insert', row });
    } catch (err) {
      this.forget(r.id);
      throw err;
    }
    return this.queueInsert(row, generation, r.tokens);
  }

  private queueInsert(row: Row, generation?: number, tokens?: NewRequest['tokens']): Promise<void> {
    const id = String(row.id);
    return this.writes.push({
      prepare: () => {
        // Counted here, off the request's path and before the batch takes the write lock. A replayed row whose count
        // was never made, or a prompt the tokenizer refuses, gets the usual estimate (a token per four characters).
        if (row.tokens !== null) return;
        try {
          row.tokens = typeof tokens === 'function' ? tokens() : estimateTokens(row);
        } catch {
          row.tokens = estimateTokens(row);
        }
      },
      apply: async (chain) => {
        await chain.recordRequest('request.recorded', id, { actor: String(row.caller), at: Number(row.created_at), withStatus: false, row });
        await writeRow(chain, this.db, 'INSERT INTO requests', row);
      },
      settled: (ok) => {
        if (!ok) this.refused.add(id);
        if (generation !== undefined) this.journal?.settled(generation, !ok);
      },
    });
  }

  async setStatus(id: string, status: RequestStatus, extra: { timeoutAt?: number | null; decidedAt?: number } = {}): Promise<void> {
    const sql = `UPDATE requests SET status = ${sqlLiteral(status)}, updated_at = ${Date.now()}, timeout_at = COALESCE(${sqlLiteral(extra.timeoutAt)}, timeout_at), decided_at = COALESCE(${sqlLiteral(extra.decidedAt)}, decided_at) WHERE id = ${sqlLiteral(id)}`;
    await this.writes.push({ apply: async (chain) => chain.sql(sql) });
  }

  async addDecision(id: string, d: Decision): Promise<void> {
    const key = this.sessionKey(id, null);
    const values: SqlValue[] = [
      id,
      d.action,
      d.reviewer,
      key && d.reason !== null ? encryptField(key, id, 'reason', d.reason) : null,
      key && d.note !== null ? encryptField(key, id, 'note', d.note) : null,
      d.edited ? 1 : 0,
      Date.parse(d.at),
    ];
    await this.writes.push({
      apply: async (chain) => {
        this.refuseAfterRefusedRecord(id);
        await chain.flush(); // the row's id is needed: this statement runs on its own
        const { lastID } = await this.db.run(`INSERT INTO decisions (request_id, action, reviewer, reason, note, edited, at) VALUES (?, ?, ?, ?, ?, ?, ?)`, values);
        await chain.recordDecision(lastID);
      },
    });
  }

  /** The finished columns, text sealed with the session's key. */
  private sealFinish(id: string, f: FinishedRequest): Row {
    const key = this.sessionKey(id, null);
    if (!key) throw new Error(`no session key for ${id}`);
    const now = Date.now();
    return {
      status: f.status,
      updated_at: now,
      completed_at: now,
      edited_body: f.editedBody === null ? null : encryptField(key, id, 'edited_body', f.editedBody),
      response: f.response === null ? null : encryptField(key, id, 'response', f.response),
      error: f.error === null ? null : encryptField(key, id, 'error', f.error),
      error_code: f.error?.code ?? null,
      timeline: encryptField(key, id, 'timeline', f.timeline),
      upstream_status: f.upstreamStatus,
    };
  }

  /**
   * Finishes a session on the answer's path: sealed and journaled at once (the caller may get its last bytes), in
   * SQLite with the next batch. Throws when it cannot be journaled (then the caller must not get the answer's last
   * bytes, and the session is finished as failed with finish()).
   */
  recordFinish(id: string, f: FinishedRequest): void {
    this.enqueueFinish(id, f, true).catch((err: unknown) => this.onWriteFailed(err, id));
  }

  /** Finishes a session and waits until it is in SQLite (no journal: the caller waits for the store itself). */
  finish(id: string, f: FinishedRequest): Promise<void> {
    return this.enqueueFinish(id, f, false);
  }

  /** Seals, journals (throws when it cannot: nothing queued, the key kept) and queues; settles when SQLite has it. */
  private enqueueFinish(id: string, f: FinishedRequest, journaled: boolean): Promise<void> {
    const changed = this.sealFinish(id, f);
    const generation = journaled ? this.journal?.append({ op: 'finish', id, changed }) : undefined;
    this.keys.delete(id);
    // Search terms are not evidence: they are written after, off the answer's path.
    void this.indexTerms(id, f.searchText).catch(() => undefined);
    return this.queueFinish(id, changed, generation);
  }

  private queueFinish(id: string, changed: Row, generation?: number): Promise<void> {
    return this.writes
      .push({
        apply: async (chain) => {
          this.refuseAfterRefusedRecord(id);
          await writeRow(chain, this.db, 'UPDATE requests', changed, id);
          // The row as now stored, from what this process wrote (no read back); the chain vouches for it.
          const inserted = this.inserted.get(id);
          await chain.recordRequest('request.finished', id, { withStatus: true, row: inserted ? { ...inserted, ...changed } : undefined });
        },
        settled: (ok) => {
          if (!ok) this.refused.add(id);
          if (generation !== undefined) this.journal?.settled(generation, !ok);
        },
      })
      .finally(() => this.inserted.delete(id));
  }

  /** A write that depends on a record SQLite refused is refused too (it stays journaled for the next start). */
  private refuseAfterRefusedRecord(id: string): void {
    if (this.refused.has(id)) throw new Error(`the record of ${id} was refused by the store; this write waits for the next start`);
  }

  /** Writes this process journaled go to `journal` from now on. */
  useJournal(journal: Journal | null): void {
    this.journal = journal;
  }

  /** Starts a new journal file, so what is journaled so far leaves the disk once it is in SQLite (shredding, retention). */
  sealJournal(): void {
    this.journal?.seal();
  }

  /**
   * Resolves once every write queued so far is in SQLite (or refused for good). With `maxWaitMs`, after that long at
   * the latest: a reader then sees the store as it is while SQLite is held up (a lock held elsewhere, a full disk).
   */
  settled(maxWaitMs?: number): Promise<void> {
    return this.writes.settled(maxWaitMs);
  }

  /** How reads (here, and export and retention) wait for the writes before them: at most a few seconds. */
  settledForRead(): Promise<void> {
    return this.settled(READ_WAIT_MS);
  }

  /**
   * Applies what gateways that were killed journaled but had not yet written to SQLite: inserts whose row is missing,
   * finishes whose row is not finished. A file applied in full is deleted; one with a refused write is set aside
   * (renamed `*.unapplied-*`, kept for a person to look at).
   */
  async replayJournals(dir: string): Promise<{ files: number; applied: number; failed: number; rejectedLines: number }> {
    let applied = 0;
    let failed = 0;
    let rejectedLines = 0;
    const journals = claimOrphanedJournals(dir, (line) => this.crypto.journalMac(line));
    for (const { file, entries, rejected } of journals) {
      rejectedLines += rejected;
      const fresh = new Set<string>();
      const ended = new Set<string>();
      const writes: Promise<ReplayOutcome>[] = [];
      let orphans = 0;
      for (const entry of entries) {
        if (entry.op === 'insert') {
          const row = pickColumns(entry.row, INSERT_COLUMNS);
          const id = String(row.id);
          if (fresh.has(id) || (await this.db.get('SELECT 1 AS found FROM requests WHERE id = ?', [id]))) continue;
          fresh.add(id);
          this.inserted.set(id, row);
          writes.push(this.outcome(this.queueInsert(row), id));
        } else {
          if (ended.has(entry.id)) continue;
          if (!fresh.has(entry.id)) {
            const row = await this.db.get<{ completed_at: number | null }>('SELECT completed_at FROM requests WHERE id = ?', [entry.id]);
            if (!row) {
              orphans++; // its record is in no file applied so far: keep this one for a person to look at
              continue;
            }
            if (row.completed_at !== null) continue;
          }
          ended.add(entry.id);
          writes.push(this.outcome(this.queueFinish(entry.id, pickColumns(entry.changed, FINISH_COLUMNS)), entry.id));
        }
      }
      const results = await Promise.all(writes);
      for (const id of fresh) if (!ended.has(id)) this.inserted.delete(id);
      const refused = results.filter((r) => r === 'refused').length;
      const later = results.filter((r) => r === 'later').length;
      applied += results.length - refused - later;
      failed += refused + later + orphans;
      // Held up only (SQLite busy or full): the next start tries the whole file again (what is in is skipped then).
      retireJournal(file, refused + orphans + rejected > 0 ? 'aside' : later > 0 ? 'retry' : 'done');
    }
    return { files: journals.length, applied, failed, rejectedLines };
  }

  /** A replayed write's fate: in, held up (the next start tries again), or refused (set aside). */
  private outcome(write: Promise<void>, id: string): Promise<ReplayOutcome> {
    return write.then(
      () => 'ok',
      (err: unknown) => {
        this.onWriteFailed(err, id);
        return isTransient(err) ? 'later' : 'refused';
      },
    );
  }

  /** Closes out requests a previous run left open: they are never left pending. */
  async interruptOpen(): Promise<number> {
    // `completed_at IS NULL`: a finished timed_out request (rejected on timeout) stays timed_out.
    const open = `status IN ('pending', 'approved', 'timed_out', 'forwarding') AND completed_at IS NULL`;
    await this.settled();
    return this.audit.write(async (chain) => {
      const rows = await this.db.all<{ id: string }>(`SELECT id FROM requests WHERE ${open}`);
      await this.db.run(`UPDATE requests SET status = 'interrupted', updated_at = ? WHERE ${open}`, [Date.now()]);
      for (const { id } of rows) await chain.recordRequest('request.interrupted', id, { withStatus: true });
      return rows.length;
    });
  }

  async list(filter: ListFilter, overlay: LiveOverlay): Promise<RequestList> {
    await this.settledForRead();
    const where: string[] = [];
    const params: SqlValue[] = [];
    if (filter.status?.length) {
      where.push(`status IN (${filter.status.map(() => '?').join(',')})`);
      params.push(...filter.status);
    }
    if (filter.caller) {
      where.push('caller = ?');
      params.push(filter.caller);
    }
    if (filter.model) {
      where.push('model = ?');
      params.push(filter.model);
    }
    if (filter.since !== undefined) {
      where.push('created_at >= ?');
      params.push(filter.since);
    }
    if (filter.until !== undefined) {
      where.push('created_at < ?');
      params.push(filter.until);
    }
    if (filter.cursor) {
      where.push('id < ?');
      params.push(filter.cursor);
    }
    const words = filter.q ? searchWords(filter.q) : [];
    for (const word of words) {
      where.push('id IN (SELECT request_id FROM search_terms WHERE term = ?)');
      params.push(this.term(word));
    }
    const limit = Math.min(Math.max(filter.limit ?? 50, 1), 500);
    const rows = await this.db.all<RequestRow>(
      `SELECT ${SUMMARY_COLUMNS} FROM requests ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY id DESC LIMIT ?`,
      [...params, limit + 1],
    );
    const page = rows.slice(0, limit);
    return { items: page.map((row) => overlay(this.summary(row))), next: rows.length > limit ? page[page.length - 1].id : null };
  }

  /** Whether a request with this id was ever recorded (without reading or opening anything of it). */
  async exists(id: string): Promise<boolean> {
    await this.settledForRead();
    return (await this.db.get('SELECT 1 FROM requests WHERE id = ?', [id])) !== undefined;
  }

  async get(id: string, overlay: LiveOverlay): Promise<RequestDetail | null> {
    await this.settledForRead();
    const row = await this.db.get<RequestRow>('SELECT * FROM requests WHERE id = ?', [id]);
    if (!row) return null;
    const key = this.sessionKey(id, row.session_key);
    const decisions = await this.db.all<{ action: Decision['action']; reviewer: string | null; reason: Buffer | null; note: Buffer | null; edited: number; at: number }>(
      'SELECT action, reviewer, reason, note, edited, at FROM decisions WHERE request_id = ? ORDER BY id',
      [id],
    );
    const open = <T>(field: string, value: Buffer | null): T | null => (key && value ? decryptField<T>(key, id, field, value) : null);
    return {
      ...overlay(this.summary(row)),
      path: row.path,
      body: open('body', row.body),
      editedBody: open('edited_body', row.edited_body),
      decisions: decisions.map((d) => ({
        action: d.action,
        reviewer: d.reviewer,
        reason: open<string>('reason', d.reason),
        note: open<string>('note', d.note),
        edited: d.edited === 1,
        at: new Date(d.at).toISOString(),
      })),
      previousId: row.prev_id,
      response: withoutRaw(open<ResponseRecord & { raw?: { text: string } }>('response', row.response)),
      error: open<ErrorRecord>('error', row.error),
      shredded: key === null,
    };
  }

  async session(id: string, overlay: LiveOverlay, liveTimeline?: TimelineEvent[]): Promise<SessionRecord | null> {
    const request = await this.get(id, overlay);
    if (!request) return null;
    const row = await this.db.get<{ timeline: Buffer | null; session_key: Buffer | null }>('SELECT timeline, session_key FROM requests WHERE id = ?', [id]);
    const key = this.sessionKey(id, row?.session_key ?? null);
    const timeline = liveTimeline ?? (key && row?.timeline ? decryptField<TimelineEvent[]>(key, id, 'timeline', row.timeline) : []);
    return { id, request, timeline };
  }

  /** Makes a request findable by its prompt words while it is still pending (its answer's words come at finish). */
  indexTerms(id: string, text: string): Promise<void> {
    this.pendingTerms.push([id, text]);
    this.termsTimer ??= setTimeout(() => void this.flushTerms().catch(() => undefined), 25);
    return Promise.resolve();
  }

  /** Writes the queued search terms: many requests' words in a few statements, away from any answer's path. */
  async flushTerms(): Promise<void> {
    if (this.termsTimer) clearTimeout(this.termsTimer);
    this.termsTimer = null;
    const texts = this.pendingTerms.splice(0);
    if (texts.length === 0) return;
    const rows: [Buffer, string][] = [];
    for (const [id, text] of texts) for (const term of this.searchTerms(text)) rows.push([term, id]);
    await this.settledForRead(); // their requests' rows first
    // Literal SQL in one exec per few thousand terms: binding that many parameters one by one costs more than the insert.
    for (let i = 0; i < rows.length; i += 4000) {
      const values = rows.slice(i, i + 4000).map(([term, id]) => `(${sqlLiteral(term)}, ${sqlLiteral(id)})`);
      await this.db.exec(`INSERT OR IGNORE INTO search_terms (term, request_id) VALUES ${values.join(',')}`);
    }
  }

  /** The unmasked answer, where it was recorded (the caller of this must audit the reveal). */
  async rawAnswer(id: string): Promise<string | null> {
    await this.settledForRead();
    const row = await this.db.get<{ response: Buffer | null; session_key: Buffer | null }>('SELECT response, session_key FROM requests WHERE id = ?', [id]);
    const key = row ? this.sessionKey(id, row.session_key) : null;
    if (!row?.response || !key) return null;
    return decryptField<{ raw?: { text: string } }>(key, id, 'response', row.response).raw?.text ?? null;
  }

  /** The latest earlier request whose conversation this one extends (hashes of this one's message prefixes). */
  async findPreviousTurn(id: string, prefixHashes: string[]): Promise<string | null> {
    if (prefixHashes.length === 0) return null;
    await this.settledForRead();
    const row = await this.db.get<{ id: string }>(
      `SELECT id FROM requests WHERE conv_hash IN (${prefixHashes.map(() => '?').join(',')}) AND id < ? ORDER BY id DESC LIMIT 1`,
      [...prefixHashes, id],
    );
    if (row) await this.db.run('UPDATE requests SET prev_id = ? WHERE id = ?', [row.id, id]);
    return row?.id ?? null;
  }

  async stats(hours: number): Promise<Stats> {
    await this.settledForRead();
    const since = Date.now() - hours * 3_600_000;
    const perHour = await this.db.all<{ hour: number; total: number; approved: number; rejected: number }>(
      `SELECT (created_at / 3600000) * 3600000 AS hour, COUNT(*) AS total,
              SUM(status IN ('completed', 'forwarding', 'approved')) AS approved,
              SUM(status IN ('rejected', 'timed_out')) AS rejected
       FROM requests WHERE created_at >= ? GROUP BY hour ORDER BY hour`,
      [since],
    );
    const waits = await this.db.all<{ wait: number }>(
      `SELECT r.decided_at - r.created_at AS wait FROM requests r
       WHERE r.created_at >= ? AND r.decided_at IS NOT NULL AND EXISTS (SELECT 1 FROM decisions d WHERE d.request_id = r.id AND d.reviewer IS NOT NULL)
       ORDER BY wait`,
      [since],
    );
    const perCaller = await this.db.all<{ caller: string; total: number; approved: number; rejected: number; failed: number }>(
      `SELECT caller, COUNT(*) AS total, SUM(status = 'completed') AS approved, SUM(status IN ('rejected', 'timed_out')) AS rejected, SUM(status = 'failed') AS failed
       FROM requests WHERE created_at >= ? GROUP BY caller ORDER BY total DESC`,
      [since],
    );
    const total = perCaller.reduce((n, c) => n + c.total, 0);
    const rejected = perCaller.reduce((n, c) => n + c.rejected, 0);
    const quantile = (q: number) => (waits.length ? waits[Math.min(waits.length - 1, Math.floor(q * waits.length))].wait : 0);
    return {
      perHour: perHour.map((h) => ({ hour: new Date(h.hour).toISOString(), total: h.total, approved: h.approved, rejected: h.rejected })),
      wait: { p50: quantile(0.5), p90: quantile(0.9), max: waits.length ? waits[waits.length - 1].wait : 0, count: waits.length },
      rejectionRate: total ? rejected / total : 0,
      perCaller,
    };
  }

  private summary(row: RequestRow): RequestSummary {
    const key = this.sessionKey(row.id, row.session_key);
    return {
      id: row.id,
      status: row.status,
      caller: row.caller,
      protocol: row.protocol,
      model: row.model,
      stream: row.stream === 1,
      createdAt: new Date(row.created_at).toISOString(),
      updatedAt: new Date(row.updated_at).toISOString(),
      policy: row.policy,
      preview: key && row.preview ? decryptField<string>(key, row.id, 'preview', row.preview) : '',
      tokens: row.tokens,
      timeoutAt: row.status === 'pending' && row.timeout_at ? new Date(row.timeout_at).toISOString() : null,
      claim: null,
      duplicates: 0,
      groupOf: null,
      escalated: false,
      escalateTo: [],
      approvalsNeeded: 0,
      phase: 'request',
      extendable: false,
      shredded: key === null,
    };
  }

  private term(word: string): Buffer {
    return this.crypto.hmac(`term:${word}`).subarray(0, 12);
  }

  private searchTerms(text: string): Buffer[] {
    return searchWords(text).slice(0, 400).map((w) => this.term(w));
  }
}

function withoutRaw(response: (ResponseRecord & { raw?: { text: string } }) | null): ResponseRecord | null {
  if (!response?.raw) return response;
  const { raw: _raw, ...rest } = response;
  return { ...rest, revealable: true };
}

/** Lower-cased unique words: the unit of the encrypted search index. */
export function searchWords(text: string): string[] {
  const words = new Set<string>();
  for (const match of text.toLowerCase().matchAll(/[\p{L}\p{N}_]{2,64}/gu)) words.add(match[0]);
  return [...words];
}

/** Tokens by the usual estimate, from the sealed body's size (a token per four characters). */
function estimateTokens(row: Row): number {
  return Math.ceil(Math.max(0, ((row.body as Buffer | null)?.length ?? 28) - 28) / 4);
}

/** Only the columns a journal entry may name: anything else in a file is never written into SQL. */
function pickColumns(row: Row, columns: readonly string[]): Row {
  const out: Row = {};
  for (const column of columns) if (column in row) out[column] = row[column];
  return out;
}

/**
 * `INSERT INTO requests` (row) or `UPDATE requests` (row's columns, WHERE id) in the chain's batch: as literal SQL when
 * the row is small, with bound parameters when a blob is large (a 10 MB prompt as hex text would be 20 MB of SQL).
 */
async function writeRow(chain: ChainWriter, db: Database, verb: 'INSERT INTO requests' | 'UPDATE requests', row: Row, id?: string): Promise<void> {
  const large = Object.values(row).some((v) => Buffer.isBuffer(v) && v.length > LITERAL_BLOB_LIMIT);
  const columns = Object.keys(row);
  if (!large) {
    chain.sql(verb === 'INSERT INTO requests' ? insertSql('requests', row) : `UPDATE requests SET ${columns.map((c) => `${c} = ${sqlLiteral(row[c])}`).join(', ')} WHERE id = ${sqlLiteral(id!)}`);
    return;
  }
  await chain.flush();
  if (verb === 'INSERT INTO requests') await db.run(`INSERT INTO requests (${columns.join(', ')}) VALUES (${columns.map(() => '?').join(', ')})`, columns.map((c) => row[c]));
  else await db.run(`UPDATE requests SET ${columns.map((c) => `${c} = ?`).join(', ')} WHERE id = ?`, [...columns.map((c) => row[c]), id!]);
}
