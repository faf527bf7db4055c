// The audit bundle's format: its files, the manifest the signature covers, the records in its JSON Lines files and
// the hash chain that links them. Shared by the exporter, the verifier and the report.
import { z } from 'zod';
import type { Decision, ErrorRecord, RequestStatus, ResponseRecord, TimelineEvent } from '../api/types.js';
import { sha256 } from './digest.js';

export const BUNDLE_FORMAT = 'airlock-audit-bundle/1';

export const FILES = {
  sessions: 'sessions.jsonl',
  actions: 'actions.jsonl',
  chain: 'chain.jsonl',
  decisions: 'decisions.csv',
  report: 'report.html',
  publicKey: 'public-key.pem',
  readme: 'README.txt',
  manifest: 'manifest.json',
  signature: 'manifest.sig',
} as const;

/** The decisions CSV's columns, fixed: auditors' spreadsheets depend on them. */
export const CSV_COLUMNS = ['time', 'caller', 'model', 'status', 'reviewer', 'reason', 'session id'] as const;

export const REQUEST_STATUSES: RequestStatus[] = ['pending', 'approved', 'rejected', 'timed_out', 'cancelled', 'interrupted', 'forwarding', 'completed', 'failed'];

export type ExportContent = 'masked' | 'raw';

export interface ExportFilters {
  /** Sessions created at or after (ISO). */
  since: string | null;
  /** Sessions created before (ISO). */
  until: string | null;
  caller: string | null;
  status: string[] | null;
}

const fileDigest = z.object({ sha256: z.string().regex(/^[0-9a-f]{64}$/), bytes: z.number().int().nonnegative() });
const eventRef = z.object({ seq: z.number().int(), hash: z.string() });

export const manifestSchema = z.object({
  format: z.literal(BUNDLE_FORMAT),
  gateway: z.object({ id: z.string(), key: z.string() }),
  exportedAt: z.string(),
  exportedBy: z.object({ name: z.string(), via: z.enum(['cli', 'api']), role: z.string().nullable() }),
  filters: z.object({ since: z.string().nullable(), until: z.string().nullable(), caller: z.string().nullable(), status: z.array(z.string()).nullable() }),
  content: z.enum(['masked', 'raw']),
  range: z.object({ from: z.string().nullable(), to: z.string().nullable() }),
  counts: z.object({ sessions: z.number().int(), decisions: z.number().int(), actions: z.number().int(), byStatus: z.record(z.string(), z.number().int()) }),
  chain: z.object({ length: z.number().int(), head: z.string() }),
  /** Where this export sits in the live store's chain: its own event, and the store's head when it was read. */
  store: z.object({ exportEvent: eventRef, head: eventRef }),
  files: z.record(z.string(), fileDigest),
});

export type Manifest = z.infer<typeof manifestSchema>;

/** One line of sessions.jsonl. */
export interface BundleSession {
  id: string;
  createdAt: string;
  completedAt: string | null;
  caller: string;
  protocol: string;
  path: string;
  model: string;
  stream: boolean;
  policy: string | null;
  status: string;
  tokens: number;
  previousId: string | null;
  /** `shredded`: its key was destroyed, only metadata remains; `unreadable`: its key did not open it. */
  content: ExportContent | 'shredded' | 'unreadable';
  /** The request JSON as the caller sent it. */
  request: unknown | null;
  /** The request JSON as forwarded after a reviewer's edit (null when not edited). */
  forwarded: unknown | null;
  decisions: Decision[];
  answer: ResponseRecord | null;
  error: ErrorRecord | null;
  timeline: TimelineEvent[];
  /** This session's events in the live store's chain. */
  storeEvents: { seq: number; type: string; at: string; hash: string }[];
}

/** One line of actions.jsonl: a reviewer's, admin's or the gateway's own action from the live chain. */
export interface BundleAction {
  seq: number;
  at: string;
  actor: string | null;
  type: string;
  requestId: string | null;
  detail: unknown;
  hash: string;
}

/** One line of chain.jsonl: links one line of sessions.jsonl or actions.jsonl to the one before. */
export interface BundleChainEntry {
  seq: number;
  file: typeof FILES.sessions | typeof FILES.actions;
  /** The session id, or `event:<seq>` for an action. */
  id: string;
  /** SHA-256 of the line's UTF-8 bytes, without its newline. */
  sha256: string;
  prev: string;
  hash: string;
}

export function chainEntryHash(prev: string, e: Pick<BundleChainEntry, 'seq' | 'file' | 'id' | 'sha256'>): string {
  return sha256(`${prev}\n${JSON.stringify([e.seq, e.file, e.id, e.sha256])}`);
}

/** A CSV cell: quoted when needed, and a leading = + - @ defused so a spreadsheet shows it as text. */
export function csvCell(value: string | null): string {
  let text = value ?? '';
  if (/^[=+\-@\t\r]/.test(text)) text = `'${text}`;
  return /[",\r\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

export function csvRow(cells: (string | null)[]): string {
  return `${cells.map(csvCell).join(',')}\r\n`;
}
