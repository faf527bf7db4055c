// Reads sessions and actions for a bundle, a page at a time, opening each session with its own key.
import type { Decision, ErrorRecord, RequestStatus, ResponseRecord, TimelineEvent } from '../api/types.js';
import type { Database, Row, SqlValue } from '../store/db.js';
import { decryptField, type SessionCrypto } from '../store/session-crypto.js';
import { DECISION_EVENTS } from './chain.js';
import type { BundleAction, BundleSession, ExportContent } from './bundle-format.js';
import type { Redactor } from './redaction.js';

export interface SessionQuery {
  since?: number;
  until?: number;
  caller?: string;
  status?: RequestStatus[];
}

function where(q: SessionQuery): { sql: string; params: SqlValue[] } {
  const clauses: string[] = [];
  const params: SqlValue[] = [];
  const add = (clause: string, ...values: SqlValue[]) => {
    clauses.push(clause);
    params.push(...values);
  };
  if (q.since !== undefined) add('created_at >= ?', q.since);
  if (q.until !== undefined) add('created_at < ?', q.until);
  if (q.caller) add('caller = ?', q.caller);
  if (q.status?.length) add(`status IN (${q.status.map(() => '?').join(',')})`, ...q.status);
  return { sql: clauses.join(' AND ') || '1', params };
}

export async function countSessions(db: Database, q: SessionQuery): Promise<number> {
  const w = where(q);
  return (await db.get<{ n: number }>(`SELECT COUNT(*) AS n FROM requests WHERE ${w.sql}`, w.params))?.n ?? 0;
}

/** Sessions oldest first (request ids are time-ordered); the same snapshot gives the same sequence every time. */
export async function* readSessions(db: Database, crypto: SessionCrypto, q: SessionQuery, content: ExportContent, redact: Redactor, pageSize = 200): AsyncGenerator<BundleSession> {
  const w = where(q);
  // Keyset paging on the primary key: each page is an index range, never a scan and sort of what is left.
  let after = '';
  for (;;) {
    const rows = await db.all<Row>(`SELECT * FROM requests WHERE ${w.sql} AND id > ? ORDER BY id LIMIT ?`, [...w.params, after, pageSize]);
    if (rows.length === 0) return;
    const ids = rows.map((r) => String(r.id));
    const marks = ids.map(() => '?').join(',');
    const decisions = group(await db.all<Row>(`SELECT * FROM decisions WHERE request_id IN (${marks}) ORDER BY id`, ids));
    const events = group(await db.all<Row>(`SELECT seq, at, type, hash, request_id FROM audit_events WHERE request_id IN (${marks}) ORDER BY seq`, ids));
    for (const row of rows) {
      const id = String(row.id);
      yield session(row, decisions.get(id) ?? [], events.get(id) ?? [], crypto, content, redact);
    }
    if (rows.length < pageSize) return;
    after = String(rows.at(-1)!.id);
  }
}

function group(rows: Row[]): Map<string, Row[]> {
  const map = new Map<string, Row[]>();
  for (const row of rows) {
    const id = String(row.request_id);
    const list = map.get(id);
    if (list) list.push(row);
    else map.set(id, [row]);
  }
  return map;
}

const iso = (ms: SqlValue): string | null => (ms === null || ms === undefined ? null : new Date(Number(ms)).toISOString());

function session(row: Row, decisionRows: Row[], eventRows: Row[], crypto: SessionCrypto, content: ExportContent, redact: Redactor): BundleSession {
  const id = String(row.id);
  let key: Buffer | null = null;
  let state: BundleSession['content'] = content;
  if (row.session_key === null) state = 'shredded';
  else {
    try {
      key = crypto.unwrapSessionKey(id, row.session_key as Buffer);
    } catch {
      state = 'unreadable';
    }
  }
  const open = <T>(field: string, value: SqlValue): T | null => {
    if (!key || value === null) return null;
    try {
      return decryptField<T>(key, id, field, value as Buffer);
    } catch {
      state = 'unreadable';
      return null;
    }
  };
  const text = (value: string | null) => (value === null ? null : redact.text(value));
  const decisions: Decision[] = decisionRows.map((d) => ({
    action: d.action as Decision['action'],
    reviewer: (d.reviewer as string | null) ?? null,
    reason: text(open<string>('reason', d.reason)),
    note: text(open<string>('note', d.note)),
    edited: d.edited === 1,
    at: iso(d.at)!,
  }));
  // `raw` holds the unmasked answer when the gateway was set to record it: only a raw export carries it.
  const response = open<ResponseRecord & { raw?: { text: string } }>('response', row.response);
  const error = open<ErrorRecord>('error', row.error);
  const recorded = open<TimelineEvent[]>('timeline', row.timeline) ?? [];
  const withText = recorded.filter((e) => e.text !== undefined);
  const texts = new Map(withText.map((e, i) => [e, i]));
  const masked = redact.pieces(withText.map((e) => e.text!));
  const timeline = recorded.map((e) => {
    const { raw, ...rest } = e;
    const out: TimelineEvent = { ...rest };
    if (rest.text !== undefined) out.text = masked[texts.get(e)!];
    if (rest.detail !== undefined) out.detail = redact.text(rest.detail);
    // The bytes as sent: only in a raw export (masking them would need the protocol's framing).
    if (raw !== undefined && content === 'raw') out.raw = raw;
    return out;
  });
  const result: BundleSession = {
    id,
    createdAt: iso(row.created_at)!,
    completedAt: iso(row.completed_at),
    caller: String(row.caller),
    protocol: String(row.protocol),
    path: String(row.path),
    model: String(row.model),
    stream: row.stream === 1,
    policy: (row.policy as string | null) ?? null,
    status: String(row.status),
    tokens: Number(row.tokens),
    previousId: (row.prev_id as string | null) ?? null,
    content: state,
    request: redact.json(open<unknown>('body', row.body)),
    forwarded: redact.json(open<unknown>('edited_body', row.edited_body)),
    decisions,
    answer: response ? { status: response.status, body: redact.json(response.body), text: content === 'raw' && response.raw ? response.raw.text : redact.text(response.text) } : null,
    error: error ? { code: error.code, message: redact.text(error.message) } : null,
    timeline,
    storeEvents: eventRows.map((e) => ({ seq: Number(e.seq), type: String(e.type), at: iso(e.at)!, hash: String(e.hash) })),
  };
  result.content = state;
  return result;
}

/** The chain's actions in a time range, oldest first: everything but a request's own record and decision events. */
export async function readActions(db: Database, since: number | undefined, until: number | undefined): Promise<BundleAction[]> {
  const rows = await db.all<Row>(
    `SELECT seq, at, actor, type, request_id, detail, hash FROM audit_events WHERE at >= ? AND at < ? ORDER BY seq`,
    [since ?? 0, until ?? Number.MAX_SAFE_INTEGER],
  );
  return rows
    .filter((r) => !String(r.type).startsWith('request.') && !DECISION_EVENTS.has(String(r.type)))
    .map((r) => ({
      seq: Number(r.seq),
      at: iso(r.at)!,
      actor: (r.actor as string | null) ?? null,
      type: String(r.type),
      requestId: (r.request_id as string | null) ?? null,
      detail: r.detail === null ? null : (JSON.parse(String(r.detail)) as unknown),
      hash: String(r.hash),
    }));
}
