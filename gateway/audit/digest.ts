// The digests the audit chain is made of. Stored rows are digested as they sit in SQLite (ciphertext included),
// so checking the live store needs no passphrase; each event's hash covers the one before it.
import { createHash } from 'node:crypto';
import type { Row } from '../store/db.js';

/** The `prev_hash` of the first event ever written. */
export const GENESIS = '0'.repeat(64);

export function sha256(data: string | Uint8Array): string {
  return createHash('sha256').update(data).digest('hex');
}

/** Blob digests by blob: a request's sealed body is digested when it is recorded and again when it finishes. */
const blobDigests = new WeakMap<Uint8Array, string>();

function blobDigest(value: Uint8Array): string {
  let digest = blobDigests.get(value);
  if (digest === undefined) blobDigests.set(value, (digest = sha256(value)));
  return digest;
}

/** A stored value as the chain sees it: blobs by their SHA-256, everything else as stored. */
function cell(value: unknown): unknown {
  if (value === null || value === undefined) return null;
  if (value instanceof Uint8Array) return { sha256: blobDigest(value) };
  if (typeof value === 'bigint') return value.toString();
  return value;
}

/**
 * The request columns a chain event vouches for. Left out on purpose: `status` (it moves while a request is held, and
 * is vouched for by the terminal events instead), and bookkeeping the gateway rewrites freely (`updated_at`,
 * `timeout_at`, `decided_at`, `prev_id`).
 */
export const REQUEST_COLUMNS = [
  'id', 'created_at', 'caller', 'protocol', 'path', 'model', 'stream', 'policy', 'tokens', 'conv_hash', 'session_key',
  'body', 'edited_body', 'preview', 'response', 'timeline', 'error', 'error_code', 'upstream_status', 'completed_at',
] as const;

export function requestDigest(row: Row, withStatus: boolean): string {
  return sha256(JSON.stringify(['request', ...REQUEST_COLUMNS.map((c) => cell(row[c])), withStatus ? cell(row.status) : null]));
}

export const DECISION_COLUMNS = ['id', 'request_id', 'action', 'reviewer', 'reason', 'note', 'edited', 'at'] as const;

export function decisionDigest(row: Row): string {
  return sha256(JSON.stringify(['decision', ...DECISION_COLUMNS.map((c) => cell(row[c]))]));
}

/** One row of `audit_events`, as plain data. */
export interface ChainEvent {
  seq: number;
  at: number;
  actor: string | null;
  type: string;
  requestId: string | null;
  digest: string;
  /** JSON text, hashed as stored. */
  detail: string | null;
  prevHash: string;
  hash: string;
}

export function eventHash(prevHash: string, e: Omit<ChainEvent, 'prevHash' | 'hash'>): string {
  return sha256(`${prevHash}\n${JSON.stringify([e.seq, e.at, e.actor, e.type, e.requestId, e.digest, e.detail])}`);
}

/** What the gateway signs after every write: the newest event, so cutting events off the end shows. */
export function headMessage(gatewayId: string, seq: number, hash: string): Buffer {
  return Buffer.from(`airlock-audit-head/1\n${gatewayId}\n${seq}\n${hash}`);
}

export interface EventRow {
  seq: number;
  at: number;
  actor: string | null;
  type: string;
  request_id: string | null;
  digest: string;
  detail: string | null;
  prev_hash: string;
  hash: string;
}

export function eventFromRow(r: EventRow): ChainEvent {
  return { seq: r.seq, at: r.at, actor: r.actor, type: r.type, requestId: r.request_id, digest: r.digest, detail: r.detail, prevHash: r.prev_hash, hash: r.hash };
}
