// The write path: records are sealed and journaled on the request's path and reach SQLite in batches; a gateway killed
// in between loses nothing (its journal is replayed on the next start), and literal SQL carries any value intact.
import { createHmac } from 'node:crypto';
import { appendFileSync, existsSync, mkdtempSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { formatVerdict } from '../../gateway/audit/verdict.js';
import { verifyStore } from '../../gateway/audit/verify-store.js';
import { Database, insertSql, sqlLiteral } from '../../gateway/store/db.js';
import { openSessionStore, type SessionStore } from '../../gateway/store/index.js';
import { Journal, JOURNAL_DIR } from '../../gateway/store/journal.js';
import { passphraseProtector } from '../../gateway/store/keyring.js';
import { RequestStore, type FinishedRequest, type NewRequest } from '../../gateway/store/requests.js';

const PASSPHRASE = passphraseProtector('journal test');
const overlay = <T>(s: T) => s;

function newRequest(id: string, prompt = 'the prompt'): NewRequest {
  return { id, createdAt: Date.now(), status: 'approved', caller: 'app', protocol: 'openai-chat', path: '/v1/chat/completions', model: 'gpt-4o', stream: false, policy: 'auto', tokens: 3, timeoutAt: null, convHash: null, body: { messages: [{ role: 'user', content: prompt }] }, preview: prompt };
}

function finished(text: string): FinishedRequest {
  return { status: 'completed', editedBody: null, response: { status: 200, body: { text }, text }, error: null, timeline: [{ t: 0, type: 'arrived' }], upstreamStatus: 200, searchText: text };
}

let dataDir: string;
let journalDir: string;
const open: SessionStore[] = [];

async function openStore(): Promise<SessionStore> {
  const store = await openSessionStore(dataDir, PASSPHRASE);
  open.push(store);
  return store;
}

beforeEach(() => {
  dataDir = mkdtempSync(join(tmpdir(), 'airlock-journal-'));
  journalDir = join(dataDir, JOURNAL_DIR);
});
afterEach(async () => {
  for (const store of open.splice(0)) await store.close().catch(() => undefined);
});

/** A store that journals but, like a gateway killed a moment later, never gets its batch into SQLite. */
async function killedAfter(write: (requests: RequestStore) => void): Promise<void> {
  const store = await openStore();
  const requests = new RequestStore(store.db, store.crypto, { batchDelayMs: 3_600_000 });
  const journal = new Journal(journalDir);
  requests.useJournal(journal);
  write(requests);
  journal.close(); // what a kill leaves: the file, with writes SQLite never got
  await store.db.close();
}

describe('sql literals', () => {
  it('carry quotes, NULs, unicode, blobs, numbers and nulls through SQLite unchanged', async () => {
    const db = await Database.open(join(mkdtempSync(join(tmpdir(), 'airlock-sql-')), 'x.db'));
    await db.exec('CREATE TABLE t (a, b, c, d, e, f)');
    const row = { a: "it's a '; DROP TABLE t; --", b: 'nul\0inside\0', c: 'emoji 🦘 and ünïcode', d: Buffer.from([0, 1, 2, 255]), e: 1732550400123, f: null };
    await db.exec(insertSql('t', row));
    expect(await db.get('SELECT * FROM t')).toEqual(row);
    expect(await db.get('SELECT typeof(b) AS b, typeof(d) AS d FROM t')).toEqual({ b: 'text', d: 'blob' });
    expect(() => sqlLiteral(Number.NaN)).toThrow();
    await db.close();
  });
});

describe('the journal', () => {
  it('a killed gateway loses nothing: its journal is replayed on the next start and the chain verifies', async () => {
    await killedAfter((requests) => {
      requests.record(newRequest('req_0001'));
      requests.recordFinish('req_0001', finished('the answer'));
      requests.record(newRequest('req_0002')); // forwarded, never answered
    });
    const files = readdirSync(journalDir);
    expect(files).toHaveLength(1);
    expect(readFileSync(join(journalDir, files[0]), 'utf8')).not.toContain('the prompt'); // sealed before it is journaled

    const store = await openStore();
    const before = await store.db.get<{ n: number }>('SELECT COUNT(*) AS n FROM requests');
    expect(before?.n).toBe(0);
    expect(await store.requests.replayJournals(journalDir)).toEqual({ files: 1, applied: 3, failed: 0 });
    expect(readdirSync(journalDir)).toEqual([]);
    expect(await store.requests.interruptOpen()).toBe(1);

    const done = await store.requests.get('req_0001', overlay);
    expect({ status: done?.status, answer: done?.response?.text, body: done?.body }).toEqual({ status: 'completed', answer: 'the answer', body: newRequest('x').body });
    expect((await store.requests.get('req_0002', overlay))?.status).toBe('interrupted');
    expect(formatVerdict(await verifyStore(dataDir))).toMatch(/^VALID/);
  });

  it('replays only what SQLite does not have yet, and ignores a line cut short by the kill', async () => {
    const store = await openStore();
    await store.requests.insert(newRequest('req_0001'));
    await store.requests.finish('req_0001', finished('already in'));
    await killedAfter((requests) => {
      requests.record(newRequest('req_0002'));
      requests.recordFinish('req_0002', finished('only journaled'));
    });
    // The same writes journaled twice (as when SQLite took a batch just before the kill) apply once.
    const [file] = readdirSync(journalDir);
    const lines = readFileSync(join(journalDir, file), 'utf8');
    appendFileSync(join(journalDir, file), `${lines}{"v":1,"op":"ins`);

    expect(await store.requests.replayJournals(journalDir)).toEqual({ files: 1, applied: 2, failed: 0 });
    expect((await store.requests.get('req_0001', overlay))?.response?.text).toBe('already in');
    expect((await store.requests.get('req_0002', overlay))?.response?.text).toBe('only journaled');
    expect(formatVerdict(await verifyStore(dataDir))).toMatch(/^VALID/);
    const finishes = await store.db.all("SELECT seq FROM audit_events WHERE type = 'request.finished' AND request_id = 'req_0002'");
    expect(finishes).toHaveLength(1);
  });

  it("leaves a running gateway's journal alone, and empties its own once SQLite has every write", async () => {
    const store = await openStore();
    const journal = new Journal(journalDir);
    store.requests.useJournal(journal);
    store.requests.record(newRequest('req_0001'));
    const [file] = readdirSync(journalDir);
    expect(statSync(join(journalDir, file)).size).toBeGreaterThan(0);
    // Another store of this process (a CLI command, a second connection) must not replay a live journal.
    const other = await openStore();
    expect(await other.requests.replayJournals(journalDir)).toEqual({ files: 0, applied: 0, failed: 0 });

    await store.requests.settled();
    expect((await store.requests.get('req_0001', overlay))?.status).toBe('approved');
    store.requests.useJournal(null);
    journal.close();
    expect(existsSync(join(journalDir, file))).toBe(false);
  });

  it('a request that cannot be journaled is refused, and nothing of it stays in memory', async () => {
    const store = await openStore();
    const broken = new Journal(journalDir);
    broken.append = () => {
      throw Object.assign(new Error('ENOSPC: no space left on device, write'), { code: 'ENOSPC' });
    };
    store.requests.useJournal(broken);
    expect(() => store.requests.record(newRequest('req_0001'))).toThrow(/ENOSPC/);
    await store.requests.settled();
    expect(await store.requests.get('req_0001', overlay)).toBeNull();
    expect(() => store.requests.recordFinish('req_0001', finished('x'))).toThrow(/no session key/);
    store.requests.useJournal(null);
    broken.close();
  });

  it('keyed hashes are HMAC-SHA256 under the index key', async () => {
    const store = await openStore();
    const indexKey = createHmac('sha256', store.dataKey).update('airlock:index').digest();
    for (const value of ['', 'word', 'ünïcode 🦘', Buffer.alloc(200, 7)]) {
      expect(store.crypto.hmac(value).equals(createHmac('sha256', indexKey).update(value).digest())).toBe(true);
    }
  });

  it('reads wait for the writes queued before them', async () => {
    const store = await openStore();
    const requests = new RequestStore(store.db, store.crypto, { batchDelayMs: 3_600_000 });
    requests.record(newRequest('req_0001'));
    requests.recordFinish('req_0001', finished('read me'));
    expect((await requests.get('req_0001', overlay))?.response?.text).toBe('read me');
    expect((await requests.list({}, overlay)).items.map((i) => i.id)).toEqual(['req_0001']);
  });
});
