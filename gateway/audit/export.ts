// Export: writes a signed audit bundle (zip) of the sessions matching the filters, streaming, from one read snapshot of
// the store on its own connection, so it works while the gateway runs. The export itself is recorded in the chain first.
import { sign } from 'node:crypto';
import { once } from 'node:events';
import { open, rename, rm } from 'node:fs/promises';
import type { Readable, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { Encrypter } from 'age-encryption';
import { ZipFile } from 'yazl';
import type { RequestStatus } from '../api/types.js';
import { AirlockError } from '../errors.js';
import type { MaskingConfig } from '../guard/masking/index.js';
import { Database } from '../store/db.js';
import type { SessionStore } from '../store/index.js';
import { readHead, type EventRef } from './chain.js';
import { sha256, GENESIS } from './digest.js';
import {
  BUNDLE_FORMAT, chainEntryHash, CSV_COLUMNS, csvRow, FILES, type BundleChainEntry, type BundleSession, type ExportContent, type ExportFilters, type Manifest,
} from './bundle-format.js';
import { countSessions, readActions, readSessions, type SessionQuery } from './bundle-sessions.js';
import { encryptStream, type BundleEncryption } from './bundle-crypto.js';
import { rawContent, redactor } from './redaction.js';
import { reportHead, reportSession, reportTail, type ReportMeta } from './report.js';
import { fingerprint, publicKeyPem } from './signing-key.js';
import { README } from './readme.js';
import { Entry, SealedSpool } from './bundle-writer.js';

export interface ExportRequest {
  since?: number;
  until?: number;
  caller?: string;
  status?: RequestStatus[];
  content: ExportContent;
  exporter: { name: string; via: 'cli' | 'api'; role: string | null };
  masking?: MaskingConfig;
  encryption?: BundleEncryption;
  onProgress?: (done: number, total: number) => void;
}

export interface ExportResult {
  manifest: Manifest;
  exportEvent: EventRef;
}

/** The SQLite file behind a connection, so the export can read it on a connection of its own. */
export async function databaseFile(db: Database): Promise<string> {
  const row = await db.get<{ file: string }>("SELECT file FROM pragma_database_list WHERE name = 'main'");
  if (!row?.file) throw new Error('the store has no file to export from');
  return row.file;
}

export function filtersOf(req: Pick<ExportRequest, 'since' | 'until' | 'caller' | 'status'>): ExportFilters {
  const iso = (ms: number | undefined) => (ms === undefined ? null : new Date(ms).toISOString());
  return { since: iso(req.since), until: iso(req.until), caller: req.caller ?? null, status: req.status?.length ? req.status : null };
}

export function sessionQuery(req: Pick<ExportRequest, 'since' | 'until' | 'caller' | 'status'>): SessionQuery {
  return { since: req.since, until: req.until, caller: req.caller, status: req.status };
}

/**
 * Refuses, before anything is recorded or written, an encryption that cannot work: an empty passphrase, or a recipient
 * age cannot encrypt to (tried on an empty file). The message never repeats what was given: it may be a secret key.
 */
export async function checkEncryption(enc: BundleEncryption): Promise<void> {
  const refuse = (param: string, message: string) => new AirlockError('invalid_request', { message, param });
  if ('passphrase' in enc) {
    if (!enc.passphrase) throw refuse('passphrase', 'the bundle passphrase is empty');
    return;
  }
  if (/^AGE-SECRET-KEY-/i.test(enc.recipient.trim())) {
    throw refuse('recipient', 'the recipient is an age secret key: give its public key (age1…, `age-keygen -y` prints it) and keep the secret key to yourself');
  }
  try {
    const encrypter = new Encrypter();
    encrypter.addRecipient(enc.recipient);
    await encrypter.encrypt(new Uint8Array(0));
  } catch {
    throw refuse('recipient', 'the recipient is not an age public key (age1…, as `age-keygen` prints it)');
  }
}

export async function exportBundle(store: SessionStore, out: Writable, req: ExportRequest): Promise<ExportResult> {
  if (req.encryption) await checkEncryption(req.encryption);
  await store.requests.settledForRead(); // every session answered so far is in the bundle
  const audit = store.requests.audit;
  const key = await audit.signingKey();
  const exportedAt = new Date();
  const filters = filtersOf(req);
  const query = sessionQuery(req);
  const exportEvent = await audit.action(req.exporter.name, 'bundle.exported', {
    via: req.exporter.via,
    role: req.exporter.role,
    filters,
    content: req.content,
    encrypted: req.encryption ? ('passphrase' in req.encryption ? 'passphrase' : 'recipient') : null,
  });

  const reader = await Database.open(await databaseFile(store.db));
  await reader.init();
  const zip = new ZipFile();
  const spool = await SealedSpool.create();
  const outputFailed = new AbortController();
  const entry = (name: string) => new Entry(zip, name, exportedAt, outputFailed.signal);
  let written: Promise<void> | null = null;
  try {
    // One snapshot for both passes over the sessions, and for the actions and the head.
    await reader.exec('BEGIN');
    const head = await readHead(reader);
    const total = await countSessions(reader, query);
    const output = req.encryption ? await encryptStream(zip.outputStream as Readable, req.encryption) : (zip.outputStream as Readable);
    written = pipeline(output, out);
    written.catch((err: unknown) => outputFailed.abort(err));

    const redact = req.content === 'raw' ? rawContent : redactor(store.crypto, req.masking);
    const files: Manifest['files'] = {};
    const chain: BundleChainEntry[] = [];
    const link = (file: BundleChainEntry['file'], id: string, line: string) => {
      const prev = chain.at(-1)?.hash ?? GENESIS;
      const entry = { seq: chain.length + 1, file, id, sha256: sha256(line) };
      chain.push({ ...entry, prev, hash: chainEntryHash(prev, entry) });
    };

    // sessions.jsonl, and what the manifest, the CSV and the report need from it.
    const csv: string[] = [csvRow([...CSV_COLUMNS])];
    const byStatus: Record<string, number> = {};
    let sessions = 0;
    let decisions = 0;
    let earliest: string | null = null;
    const sessionsEntry = entry(FILES.sessions);
    for await (const s of readSessions(reader, store.crypto, query, req.content, redact)) {
      const line = JSON.stringify(s);
      await sessionsEntry.write(`${line}\n`);
      await spool.write(`${line}\n`);
      link(FILES.sessions, s.id, line);
      csvRows(s).forEach((row) => csv.push(row));
      byStatus[s.status] = (byStatus[s.status] ?? 0) + 1;
      decisions += s.decisions.length;
      earliest ??= s.createdAt;
      sessions++;
      req.onProgress?.(sessions, total);
    }
    files[FILES.sessions] = await sessionsEntry.end();

    const actions = await readActions(reader, req.since, req.until);
    const actionsEntry = entry(FILES.actions);
    for (const a of actions) {
      const line = JSON.stringify(a);
      await actionsEntry.write(`${line}\n`);
      link(FILES.actions, `event:${a.seq}`, line);
    }
    files[FILES.actions] = await actionsEntry.end();

    const chainEntry = entry(FILES.chain);
    for (const c of chain) await chainEntry.write(`${JSON.stringify(c)}\n`);
    files[FILES.chain] = await chainEntry.end();

    const csvEntry = entry(FILES.decisions);
    for (const row of csv) await csvEntry.write(row);
    files[FILES.decisions] = await csvEntry.end();

    const meta: ReportMeta = {
      format: BUNDLE_FORMAT,
      gateway: { id: key.gatewayId, key: fingerprint(key.publicKey) },
      exportedAt: exportedAt.toISOString(),
      exportedBy: req.exporter,
      filters,
      content: req.content,
      range: { from: filters.since ?? earliest, to: filters.until ?? exportedAt.toISOString() },
      counts: { sessions, decisions, actions: actions.length, byStatus },
      chain: { length: chain.length, head: chain.at(-1)?.hash ?? GENESIS },
      store: { exportEvent, head: { seq: head?.seq ?? 0, hash: head?.hash ?? GENESIS } },
    };

    // report.html inlines the same lines, read back from the spool: the sessions are never all in memory.
    await spool.close();
    const reportEntry = entry(FILES.report);
    await reportEntry.write(reportHead(meta, actions));
    let first = true;
    for await (const line of spool.lines()) {
      await reportEntry.write(reportSession(line, first));
      first = false;
    }
    await reportEntry.write(reportTail());
    files[FILES.report] = await reportEntry.end();

    const addSmall = (name: string, content: string | Buffer) => {
      const buf = Buffer.from(content);
      files[name] = { sha256: sha256(buf), bytes: buf.length };
      zip.addBuffer(buf, name, { mtime: exportedAt, mode: 0o100644 });
    };
    addSmall(FILES.publicKey, publicKeyPem(key.publicKey));
    addSmall(FILES.readme, README);

    const manifest: Manifest = { ...meta, files };
    const manifestBytes = Buffer.from(`${JSON.stringify(manifest, null, 2)}\n`);
    zip.addBuffer(manifestBytes, FILES.manifest, { mtime: exportedAt, mode: 0o100644 });
    zip.addBuffer(sign(null, manifestBytes, key.privateKey), FILES.signature, { mtime: exportedAt, mode: 0o100644 });
    zip.end();
    await written;
    return { manifest, exportEvent };
  } catch (err) {
    if (written) {
      (zip.outputStream as Readable).destroy(err as Error);
      await written.catch(() => undefined);
    } else {
      // Failed before the output was piped: nothing listens for the zip's errors, so it is closed quietly. `out` is the
      // caller's to close: exportToFile removes its file; an HTTP response can still carry the error.
      (zip.outputStream as Readable).destroy();
    }
    throw outputFailed.signal.aborted ? outputFailed.signal.reason : err;
  } finally {
    await spool.dispose();
    await reader.exec('COMMIT').catch(() => undefined);
    await reader.close();
  }
}

/** The CSV's rows for one session: one per decision, or one for a session nobody decided on. */
function csvRows(s: BundleSession): string[] {
  if (s.decisions.length === 0) return [csvRow([s.createdAt, s.caller, s.model, s.status, null, null, s.id])];
  return s.decisions.map((d) => csvRow([d.at, s.caller, s.model, s.status, d.reviewer, d.reason, s.id]));
}

/** Where exportToFile writes until the bundle is complete. */
export const partialFile = (file: string) => `${file}.partial`;

/**
 * Writes the bundle next to `file` and moves it into place only when complete; on any failure the partial file is
 * removed. The file is opened first, so a path that cannot be written fails before the export is recorded.
 */
export async function exportToFile(store: SessionStore, file: string, req: ExportRequest): Promise<ExportResult> {
  const partial = partialFile(file);
  const handle = await open(partial, 'w', 0o600).catch((err: NodeJS.ErrnoException) => {
    throw new Error(`cannot write ${file}: ${err.code ?? err.message}`, { cause: err });
  });
  const out = handle.createWriteStream();
  try {
    const result = await exportBundle(store, out, req);
    await rename(partial, file);
    return result;
  } catch (err) {
    out.destroy();
    if (!out.closed) await once(out, 'close').catch(() => undefined);
    await rm(partial, { force: true });
    throw err;
  }
}
