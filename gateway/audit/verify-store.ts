// `airlock verify --data-dir`: checks the live store against its chain without the passphrase: every event's link
// and hash, the signed head, and that each request and decision row is exactly what its newest event vouches for.
import { verify, type KeyObject } from 'node:crypto';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { Database, type Row } from '../store/db.js';
import { DB_FILE } from '../store/index.js';
import { DECISION_EVENTS, readHead, ROW_EVENTS } from './chain.js';
import { decisionDigest, eventFromRow, eventHash, GENESIS, headMessage, requestDigest, type ChainEvent, type EventRow } from './digest.js';
import { fingerprint, loadPublicKey } from './signing-key.js';
import { Findings, type Verdict } from './verdict.js';
import { parseJson } from '../protocols/validate.js';

export interface CheckpointDetail {
  /** Sessions created before this were deleted (ISO). */
  before: string;
  deleted: number;
  /** SHA-256 of the deleted ids, sorted and joined by newlines. */
  ids: string;
  /** Events up to `through` were dropped; the next one continues from `hash`. */
  pruned: { through: number; hash: string } | null;
}

export async function verifyStore(dataDir: string, opts: { key?: KeyObject } = {}): Promise<Verdict> {
  const target = `data dir ${dataDir}`;
  const file = join(dataDir, DB_FILE);
  if (!existsSync(file)) return { target, findings: [{ subject: dataDir, problem: `no Airlock store here (${DB_FILE} is missing)` }], checked: [] };
  const db = await Database.open(file);
  try {
    await db.init();
    // One read snapshot, so a gateway writing meanwhile cannot make the rows and the chain disagree.
    await db.exec('BEGIN');
    return await checkStore(db, target, opts.key);
  } finally {
    await db.exec('COMMIT').catch(() => undefined);
    await db.close();
  }
}

async function checkStore(db: Database, target: string, pinned: KeyObject | undefined): Promise<Verdict> {
  const signature = new Findings();
  const findings = new Findings();
  const checked: string[] = [];
  const table = await db.get("SELECT 1 AS ok FROM sqlite_master WHERE type = 'table' AND name = 'audit_events'");
  if (!table) {
    findings.add(DB_FILE, 'has no audit chain: the store predates it (start the gateway once to add it)');
    return { target, findings: findings.list, checked };
  }
  const info = await loadPublicKey(db);
  const head = await readHead(db);
  const events = (await db.all<EventRow>('SELECT * FROM audit_events ORDER BY seq')).map(eventFromRow);

  // 1. The signed head: when it fails, nothing else can be trusted, so it is reported first.
  const key = pinned ?? info?.publicKey;
  if (pinned && info && !info.publicKey.equals(pinned)) {
    signature.add('meta audit.public_key', `the store holds key ${fingerprint(info.publicKey)}, not the expected ${fingerprint(pinned)}`);
  }
  if (head) {
    if (!key || !info) signature.add('meta audit.public_key', 'missing: the chain head cannot be checked');
    else if (!verify(null, headMessage(info.gatewayId, head.seq, head.hash), key, Buffer.from(head.sig, 'base64'))) {
      signature.add('meta audit.head', `signature does not verify with key ${fingerprint(key)}: the chain head was rewritten or signed by another key; treat everything below as untrusted`);
    } else checked.push(`signature: chain head #${head.seq} signed by ${fingerprint(key)}${pinned ? ' (the expected key)' : ' (key from the store; pin it with --key)'}`);
  } else if (events.length > 0) signature.add('meta audit.head', 'missing: the chain is not signed');

  // 2. The chain itself: links, hashes, no gap, and the head at its end.
  const checkpoints = events.filter((e) => e.type === 'retention.checkpoint').map((e) => ({ event: e, detail: detailOf(e) as unknown as CheckpointDetail }));
  checkChain(events, checkpoints, head, findings);
  if (events.length > 0) checked.push(`chain: ${events.length} events (#${events[0].seq}–#${events.at(-1)!.seq}), links and hashes`);

  // 3. The rows against the newest event that vouches for each.
  const lastRowEvent = new Map<string, ChainEvent>();
  const recorded = new Map<string, ChainEvent>();
  const decisionEvents = new Map<number, ChainEvent>();
  for (const e of events) {
    if (!e.requestId) continue;
    if (ROW_EVENTS.has(e.type)) lastRowEvent.set(e.requestId, e);
    if (e.type === 'request.recorded' || e.type === 'request.adopted') recorded.set(e.requestId, e);
    if (DECISION_EVENTS.has(e.type)) decisionEvents.set(Number(detailOf(e).decision), e);
  }
  const present = new Set<string>();
  let shredded = 0;
  for await (const row of pages(db, 'requests')) {
    const id = String(row.id);
    present.add(id);
    if (row.session_key === null) shredded++;
    const event = lastRowEvent.get(id);
    if (!event) findings.add(`requests/${id}`, 'is not in the chain: written outside Airlock');
    else if (requestDigest(row, 'status' in detailOf(event)) !== event.digest) {
      findings.add(`requests/${id}`, `differs from chain event #${event.seq} (${event.type}): changed outside Airlock`);
    }
  }
  for (const [id, event] of lastRowEvent) {
    if (present.has(id)) continue;
    const rec = recorded.get(id);
    const covered = checkpoints.some((c) => c.event.seq > event.seq && (!rec || rec.at < Date.parse(c.detail.before)));
    if (!covered) findings.add(`requests/${id}`, `was removed: chain event #${event.seq} (${event.type}) records it and no retention checkpoint covers it`);
  }
  let decisions = 0;
  const decisionRows = new Set<number>();
  for await (const row of pages(db, 'decisions')) {
    decisions++;
    const id = Number(row.id);
    decisionRows.add(id);
    const event = decisionEvents.get(id);
    const subject = `decisions/${id} (request ${row.request_id})`;
    if (!event) findings.add(subject, 'is not in the chain: written outside Airlock');
    else if (decisionDigest(row) !== event.digest) findings.add(subject, `differs from chain event #${event.seq}: changed outside Airlock`);
  }
  for (const [id, event] of decisionEvents) {
    if (!decisionRows.has(id) && event.requestId && present.has(event.requestId)) {
      findings.add(`decisions/${id} (request ${event.requestId})`, `was removed: chain event #${event.seq} records it`);
    }
  }
  checked.push(`rows: ${present.size} sessions and ${decisions} decisions against their chain events (${shredded} shredded, ${checkpoints.length} retention checkpoint${checkpoints.length === 1 ? '' : 's'})`);
  return { target, findings: [...signature.list, ...findings.list], checked };
}

function detailOf(e: ChainEvent): Record<string, unknown> {
  return parseJson(e.detail ?? '{}') ?? {};
}

function checkChain(events: ChainEvent[], checkpoints: { event: ChainEvent; detail: CheckpointDetail }[], head: Awaited<ReturnType<typeof readHead>>, findings: Findings): void {
  const first = events[0];
  if (first) {
    if (first.seq === 1) {
      if (first.prevHash !== GENESIS) findings.add('chain event #1', 'does not start from the genesis hash');
    } else {
      const anchor = checkpoints.find((c) => c.detail.pruned?.through === first.seq - 1);
      if (!anchor) findings.add('chain', `starts at event #${first.seq}: events #1–#${first.seq - 1} were removed and no retention checkpoint accounts for them`);
      else if (anchor.detail.pruned!.hash !== first.prevHash) findings.add(`chain event #${first.seq}`, `does not continue from the hash retention checkpoint #${anchor.event.seq} recorded`);
    }
  }
  events.forEach((e, i) => {
    const name = `chain event #${e.seq} (${e.type}${e.requestId ? ` ${e.requestId}` : ''})`;
    if (eventHash(e.prevHash, e) !== e.hash) findings.add(name, 'was modified: its hash does not match its content');
    const before = events[i - 1];
    if (!before) return;
    if (e.seq !== before.seq + 1) {
      findings.add('chain', `${e.seq - before.seq === 2 ? `event #${before.seq + 1} is` : `events #${before.seq + 1}–#${e.seq - 1} are`} missing (a gap after #${before.seq})`);
    }
    else if (e.prevHash !== before.hash) findings.add(name, `does not link to event #${before.seq}: reordered or rewritten`);
  });
  const last = events.at(-1);
  if (!head) return;
  if (!last) findings.add('chain', `is empty, but the signed head names event #${head.seq}: every event was removed`);
  else if (last.seq < head.seq) findings.add('chain', `ends at event #${last.seq}, but the signed head is #${head.seq}: events were removed from the end`);
  else if (last.seq > head.seq) findings.add('chain', `events #${head.seq + 1}–#${last.seq} come after the signed head: added outside Airlock`);
  else if (last.hash !== head.hash) findings.add(`chain event #${last.seq}`, 'is not the event the head signature covers');
}

/** Rows a page at a time, by rowid, so a large store is not read into memory at once. */
async function* pages(db: Database, table: 'requests' | 'decisions', size = 500): AsyncGenerator<Row> {
  let after = 0;
  for (;;) {
    const rows = await db.all<Row & { _rowid: number }>(`SELECT rowid AS _rowid, * FROM ${table} WHERE rowid > ? ORDER BY rowid LIMIT ?`, [after, size]);
    for (const row of rows) yield row;
    if (rows.length < size) return;
    after = rows.at(-1)!._rowid;
  }
}
