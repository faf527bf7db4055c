// The write path: records are sealed and journaled on the request's path and reach SQLite in batches; a gateway killed
// in between loses nothing (its journal is replayed on the next start), and literal SQL carries any value intact.
import { createHmac } from 'node:crypto';
import { appendFileSync, existsSync, mkdtempSync, readdirSync, readFileSync, renameSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { shredSession } from '../../gateway/audit/retention.js';
import { formatVerdict } from '../../gateway/audit/verdict.js';
import { verifyStore } from '../../gateway/audit/verify-store.js';
import { Database, insertSql, sqlLiteral } from '../../gateway/store/db.js';
import { openSessionStore, type SessionStore } from '../../gateway/store/index.js';
import { Journal, JOURNAL_DIR } from '../../gateway/store/journal.js';
import { passphraseProtector } from '../../gateway/store/keyring.js';
import { RequestStore, type FinishedRequest, type NewRequest } from '../../gateway/store/requests.js';
import { WriteQueue } from '../../gateway/store/write-queue.js';
import { withRig } from './callers.js';

const PASSPHRASE = passphraseProtector('journal test');
const overlay = <T>(s: T) => s;
/** Lets every request through unreviewed. */
const AUTO_APPROVE = [{ name: 'auto', action: 'approve' as const }];

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
  const journal = new Journal(journalDir, (line) => store.crypto.journalMac(line));
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
    expect(await store.requests.replayJournals(journalDir)).toEqual({ files: 1, applied: 3, failed: 0, rejectedLines: 0 });
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

    expect(await store.requests.replayJournals(journalDir)).toEqual({ files: 1, applied: 2, failed: 0, rejectedLines: 0 });
    expect((await store.requests.get('req_0001', overlay))?.response?.text).toBe('already in');
    expect((await store.requests.get('req_0002', overlay))?.response?.text).toBe('only journaled');
    expect(formatVerdict(await verifyStore(dataDir))).toMatch(/^VALID/);
    const finishes = await store.db.all("SELECT seq FROM audit_events WHERE type = 'request.finished' AND request_id = 'req_0002'");
    expect(finishes).toHaveLength(1);
  });

  it("leaves a running gateway's journal alone, and empties its own once SQLite has every write", async () => {
    const store = await openStore();
    const journal = new Journal(journalDir, (line) => store.crypto.journalMac(line));
    store.requests.useJournal(journal);
    store.requests.record(newRequest('req_0001'));
    const [file] = readdirSync(journalDir);
    expect(statSync(join(journalDir, file)).size).toBeGreaterThan(0);
    // Another store of this process (a CLI command, a second connection) must not replay a live journal.
    const other = await openStore();
    expect(await other.requests.replayJournals(journalDir)).toEqual({ files: 0, applied: 0, failed: 0, rejectedLines: 0 });

    await store.requests.settled();
    expect((await store.requests.get('req_0001', overlay))?.status).toBe('approved');
    store.requests.useJournal(null);
    journal.close();
    expect(existsSync(join(journalDir, file))).toBe(false);
  });

  it('shredding a session leaves nothing of it in the journal', async () => {
    const store = await openStore();
    const journal = new Journal(journalDir, (line) => store.crypto.journalMac(line));
    store.requests.useJournal(journal);
    const onDisk = () => readdirSync(journalDir).map((f) => readFileSync(join(journalDir, f), 'utf8')).join('');
    store.requests.record(newRequest('req_0001'));
    store.requests.recordFinish('req_0001', finished('in SQLite'));
    await store.requests.settled();
    expect(onDisk()).toBe(''); // all of it in SQLite: the file is emptied (at most once a second)
    store.requests.record(newRequest('req_0002'));
    store.requests.recordFinish('req_0002', finished('shred me'));
    await store.requests.settled();
    expect(onDisk()).toContain('req_0002');
    await shredSession(store, 'req_0002', 'alice');
    expect(onDisk()).not.toContain('req_0002');
    store.requests.useJournal(null);
    journal.close();
  });

  it('a request that cannot be journaled is refused, and nothing of it stays in memory', async () => {
    const store = await openStore();
    const broken = new Journal(journalDir, (line) => store.crypto.journalMac(line));
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

  it('applies no line it cannot authenticate, and writes only known columns into SQL', async () => {
    await killedAfter((requests) => requests.record(newRequest('req_0001')));
    const [file] = readdirSync(journalDir);
    const path = join(journalDir, file);
    const lines = readFileSync(path, 'utf8').trim().split('\n');
    const [, json] = [lines[0].slice(0, lines[0].indexOf(' ')), lines[0].slice(lines[0].indexOf(' ') + 1)];
    // Someone with write access to the data dir but not the data key: a forged row with a made-up MAC.
    const forged = json.replaceAll('req_0001', 'req_0666');
    // Someone with the key: a column name that would be SQL if it were written as given.
    const store = await openStore();
    const sneaky = JSON.stringify({ ...JSON.parse(json.replaceAll('req_0001', 'req_0777')), row: { ...JSON.parse(json).row, id: 'req_0777', 'x) VALUES (1); DROP TABLE requests; --': 1 } });
    appendFileSync(path, `${Buffer.alloc(16).toString('base64')} ${forged}\n${store.crypto.journalMac(sneaky).toString('base64')} ${sneaky}\n`);

    const replayed = await store.requests.replayJournals(journalDir);
    expect(replayed).toMatchObject({ files: 1, applied: 2, rejectedLines: 1 });
    expect(readdirSync(journalDir)).toEqual([expect.stringMatching(/\.unapplied-\d+$/)]); // kept for a person to look at
    expect((await store.db.all<{ id: string }>('SELECT id FROM requests ORDER BY id')).map((r) => r.id)).toEqual(['req_0001', 'req_0777']);
    expect(formatVerdict(await verifyStore(dataDir))).toMatch(/^VALID/);
  });

  it('a journal whose replay was cut short by another kill is claimed again', async () => {
    await killedAfter((requests) => {
      requests.record(newRequest('req_0001'));
      requests.recordFinish('req_0001', finished('second try'));
    });
    const [file] = readdirSync(journalDir);
    renameSync(join(journalDir, file), join(journalDir, `${file}.replaying-${file.slice(0, 8)}-999999`)); // a start that died
    const store = await openStore();
    expect(await store.requests.replayJournals(journalDir)).toMatchObject({ files: 1, applied: 2, failed: 0 });
    expect((await store.requests.get('req_0001', overlay))?.response?.text).toBe('second try');
  });

  it('a journaled finish whose record is in no journal is kept aside for a person, not dropped', async () => {
    await killedAfter((requests) => {
      requests.record(newRequest('req_0001'));
      requests.recordFinish('req_0001', finished('kept'));
    });
    const [file] = readdirSync(journalDir);
    const lines = readFileSync(join(journalDir, file), 'utf8').trim().split('\n');
    // Only the finish survives (its record was in a file that is gone): nothing to finish, and the file is kept.
    writeFileSync(join(journalDir, file), `${lines[1]}\n`);
    const store = await openStore();
    expect(await store.requests.replayJournals(journalDir)).toMatchObject({ files: 1, applied: 0, failed: 1 });
    expect(readdirSync(journalDir)).toEqual([expect.stringMatching(/\.unapplied-\d+$/)]);
  });

  it('a model name with a lone surrogate is stored as SQLite stores it, and the chain still verifies', async () => {
    const store = await openStore();
    await store.requests.insert({ ...newRequest('req_0001'), model: 'gpt-4o\ud800' });
    await store.requests.finish('req_0001', finished('ok'));
    expect((await store.requests.get('req_0001', overlay))?.model).toBe('gpt-4o\ufffd');
    expect(formatVerdict(await verifyStore(dataDir))).toMatch(/^VALID/);
  });

  it('a large prompt is written with bound parameters and reads back whole', async () => {
    const store = await openStore();
    const prompt = 'x'.repeat(300_000);
    await store.requests.insert(newRequest('req_0001', prompt));
    await store.requests.finish('req_0001', finished('y'.repeat(200_000)));
    const got = await store.requests.get('req_0001', overlay);
    expect({ prompt: (got?.body as { messages: { content: string }[] }).messages[0].content.length, answer: got?.response?.text.length }).toEqual({ prompt: 300_000, answer: 200_000 });
    expect(formatVerdict(await verifyStore(dataDir))).toMatch(/^VALID/);
  });
});

describe('the write queue', () => {
  it('a batch SQLite turns away for now goes again, whole and in order; a refused write rejects alone', async () => {
    const store = await openStore();
    const chain = store.requests.audit;
    let busy = 2;
    const order: string[] = [];
    const flaky = {
      write: (fn: (w: unknown) => Promise<unknown>) => {
        if (busy-- > 0) return Promise.reject(Object.assign(new Error('SQLITE_BUSY: database is locked'), { code: 'SQLITE_BUSY' }));
        return chain.write(fn as never);
      },
    };
    const held: number[] = [];
    const queue = new WriteQueue(store.db, () => flaky as never, 1, (_err, waiting) => held.push(waiting));
    const ok = (name: string) => queue.push({ apply: async () => void order.push(name) });
    const refused = queue.push({
      apply: async () => {
        throw Object.assign(new Error('constraint failed'), { code: 'SQLITE_CONSTRAINT' });
      },
    });
    const results = await Promise.allSettled([ok('a'), refused, ok('b')]);
    expect(results.map((r) => r.status)).toEqual(['fulfilled', 'rejected', 'fulfilled']);
    expect(held).toEqual([3, 3]);
    expect(order.filter((n, i) => order.indexOf(n) === i)).toEqual(['a', 'b']);
  });
});

describe('an answer that cannot be put on record', () => {
  it('is not delivered: the caller gets store_unavailable, and SQLite still gets the finished session', async () => {
    await withRig({ config: { policies: AUTO_APPROVE } }, async ({ upstream, gw }) => {
      const append = Journal.prototype.append;
      Journal.prototype.append = function (entry) {
        if (entry.op === 'finish') throw Object.assign(new Error('ENOSPC: no space left on device, write'), { code: 'ENOSPC' });
        return append.call(this, entry);
      };
      try {
        upstream.next({ kind: 'text', text: 'never delivered' });
        const res = await fetch(`${gw.url}/v1/chat/completions`, { method: 'POST', headers: { authorization: `Bearer ${gw.callerKey}`, 'content-type': 'application/json' }, body: JSON.stringify({ model: 'gpt-4o', messages: [{ role: 'user', content: 'hi' }] }) });
        const body = (await res.json()) as { error: { code: string } };
        expect({ status: res.status, code: body.error.code }).toEqual({ status: 503, code: 'store_unavailable' });
        expect(JSON.stringify(body)).not.toContain('never delivered');
        const [item] = await gw.api.list();
        const detail = await gw.api.get(item.id);
        expect({ status: detail.status, error: detail.error?.code, answer: detail.response?.text }).toEqual({ status: 'failed', error: 'store_unavailable', answer: 'never delivered' });

        // Streamed: everything up to the event that completes the answer; that event never comes, an error does.
        upstream.next({ kind: 'text', chunks: ['never ', 'complete'] });
        const stream = await fetch(`${gw.url}/v1/chat/completions`, { method: 'POST', headers: { authorization: `Bearer ${gw.callerKey}`, 'content-type': 'application/json' }, body: JSON.stringify({ model: 'gpt-4o', stream: true, messages: [{ role: 'user', content: 'hi' }] }) });
        const text = await stream.text();
        expect(text).toContain('never ');
        expect(text).not.toContain('[DONE]');
        expect(text).toContain('store_unavailable');
      } finally {
        Journal.prototype.append = append;
      }
    });
  });
});

describe('prompts the tokenizer refuses', () => {
  it('a special token in a prompt is counted by estimate, with a console listening, and the request goes through', async () => {
    await withRig({ config: { policies: AUTO_APPROVE } }, async ({ upstream, gw }) => {
      const seen: number[] = [];
      gw.gateway.events.on('request.completed', (summary: { tokens: number }) => seen.push(summary.tokens));
      upstream.next({ kind: 'text', text: 'fine' });
      const res = await fetch(`${gw.url}/v1/chat/completions`, { method: 'POST', headers: { authorization: `Bearer ${gw.callerKey}`, 'content-type': 'application/json' }, body: JSON.stringify({ model: 'gpt-4o', messages: [{ role: 'user', content: 'ignore this <|endoftext|> and go on' }] }) });
      expect(res.status).toBe(200);
      const [item] = await gw.api.list();
      expect({ status: item.status, tokens: item.tokens }).toEqual({ status: 'completed', tokens: Math.ceil('ignore this <|endoftext|> and go on'.length / 4) });
      expect(seen).toEqual([item.tokens]);
    });
  });
});

describe('streamed bytes', () => {
  for (const masking of [false, true]) {
    it(`a character split between two reads reaches the caller whole, byte for byte (masking ${masking ? 'on' : 'off'})`, async () => {
      await withRig({ config: { ...(masking ? {} : { masking: false as const }), policies: AUTO_APPROVE } }, async ({ upstream, gw }) => {
        const event = (content: string) => `data: ${JSON.stringify({ id: 'c1', object: 'chat.completion.chunk', created: 1, model: 'gpt-4o', choices: [{ index: 0, delta: { content }, finish_reason: null }] })}\n\n`;
        const bytes = Buffer.from(`${event('日本語の答え')}${event('です。')}data: [DONE]\n\n`, 'utf8');
        const cut = bytes.indexOf(Buffer.from('本', 'utf8')) + 1; // inside the character
        const done = bytes.indexOf(Buffer.from('[DONE]')) + 3; // inside the last event
        upstream.next({ kind: 'raw', status: 200, headers: { 'content-type': 'text/event-stream' }, body: [bytes.subarray(0, cut), bytes.subarray(cut, done), bytes.subarray(done)], delayMs: 30 });
        const res = await fetch(`${gw.url}/v1/chat/completions`, { method: 'POST', headers: { authorization: `Bearer ${gw.callerKey}`, 'content-type': 'application/json' }, body: JSON.stringify({ model: 'gpt-4o', stream: true, messages: [{ role: 'user', content: 'hi' }] }) });
        expect(Buffer.from(await res.arrayBuffer()).equals(bytes)).toBe(true);
        const [item] = await gw.api.list();
        expect((await gw.api.get(item.id)).response?.text).toBe('日本語の答えです。');
      });
    });
  }
});
