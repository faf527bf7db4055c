// The live store's chain: kept at write time, checked by `airlock verify --data-dir` without the passphrase; any change
// to the SQLite file outside Airlock is named.
import { generateKeyPairSync } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { readHead } from '../../gateway/audit/chain.js';
import { formatVerdict, isValid } from '../../gateway/audit/verdict.js';
import { verifyStore } from '../../gateway/audit/verify-store.js';
import { Database } from '../../gateway/store/db.js';
import { DB_FILE, openSessionStore, type SessionStore } from '../../gateway/store/index.js';
import { passphraseProtector } from '../../gateway/store/keyring.js';
import { startTestGateway } from '../support/gateway.js';
import { recordSession, runCli } from './support.js';

let dataDir: string;
let store: SessionStore;

beforeEach(async () => {
  dataDir = mkdtempSync(join(tmpdir(), 'airlock-audit-'));
  store = await openSessionStore(dataDir, passphraseProtector('test passphrase'));
  for (const id of ['req_a', 'req_b', 'req_c']) await recordSession(store, { id, decisions: [{ action: 'reject', reviewer: 'bob', reason: `not ${id}` }], status: 'rejected' });
});
afterEach(() => store.close());

/** Changes the SQLite file the way someone with write access to it would: a connection of their own. */
async function tamper(sql: string, params: (string | number | Buffer)[] = []): Promise<void> {
  const db = await Database.open(join(dataDir, DB_FILE));
  await db.run(sql, params);
  await db.close();
}

describe('the live store chain', () => {
  it('verifies an untouched store, and says what it checked', async () => {
    const verdict = await verifyStore(dataDir);
    expect(formatVerdict(verdict)).toMatch(/^VALID: data dir /);
    expect(verdict.checked.join('\n')).toMatch(/chain head #\d+ signed by SHA256:/);
    expect(verdict.checked.join('\n')).toContain('3 sessions and 3 decisions');
  });

  it('verifies a request still pending (its record event is digested before the row is written)', async () => {
    await store.requests.insert({ id: 'req_pending', createdAt: Date.now(), status: 'pending', caller: 'test-app', protocol: 'anthropic-messages', path: '/v1/messages', model: 'claude', stream: true, policy: 'review-all', tokens: 7, timeoutAt: Date.now() + 60_000, convHash: 'abc', body: { messages: [] }, preview: 'hi' });
    await store.requests.setStatus('req_pending', 'approved', { decidedAt: Date.now() });
    expect(formatVerdict(await verifyStore(dataDir))).toMatch(/^VALID/);
    await tamper("UPDATE requests SET model = 'claude-x' WHERE id = 'req_pending'");
    expect((await verifyStore(dataDir)).findings).toEqual([{ subject: 'requests/req_pending', problem: expect.stringContaining('(request.recorded): changed outside Airlock') }]);
  });

  it('catches a request body changed in the SQLite file', async () => {
    await tamper("UPDATE requests SET body = x'00112233' WHERE id = 'req_b'");
    const verdict = await verifyStore(dataDir);
    expect(isValid(verdict)).toBe(false);
    expect(verdict.findings).toEqual([{ subject: 'requests/req_b', problem: expect.stringMatching(/differs from chain event #\d+ \(request.finished\): changed outside Airlock/) }]);
  });

  it('catches a deleted decision, an inserted request and a changed status', async () => {
    await tamper("DELETE FROM decisions WHERE request_id = 'req_a'");
    await tamper("UPDATE requests SET status = 'completed' WHERE id = 'req_c'");
    await tamper("INSERT INTO requests (id, created_at, updated_at, status, caller, protocol, path, model, stream) VALUES ('req_z', 1, 1, 'completed', 'x', 'openai-chat', '/v1/chat/completions', 'm', 0)");
    const text = formatVerdict(await verifyStore(dataDir));
    expect(text.split('\n')[0]).toBe(`INVALID: data dir ${dataDir} (3 findings)`);
    expect(text).toMatch(/^decisions\/1 \(request req_a\): was removed: chain event #\d+ records it$/m);
    expect(text).toMatch(/^requests\/req_c: differs from chain event #\d+ \(request.finished\)/m);
    expect(text).toMatch(/^requests\/req_z: is not in the chain: written outside Airlock$/m);
  });

  it('catches a removed session', async () => {
    await tamper("DELETE FROM requests WHERE id = 'req_a'");
    const verdict = await verifyStore(dataDir);
    expect(verdict.findings.map((f) => f.subject)).toEqual(['requests/req_a']);
    expect(verdict.findings[0].problem).toMatch(/was removed: .* no retention checkpoint covers it/);
  });

  it('catches an edited chain event, and a gap in the chain', async () => {
    await tamper("UPDATE audit_events SET actor = 'mallory' WHERE seq = 3");
    expect(formatVerdict(await verifyStore(dataDir))).toMatch(/^chain event #3 \(.*\): was modified: its hash does not match its content$/m);
    await tamper('DELETE FROM audit_events WHERE seq = 5');
    expect(formatVerdict(await verifyStore(dataDir))).toMatch(/^chain: event #5 is missing \(a gap after #4\)$/m);
  });

  it('catches two chain events swapped', async () => {
    // Swap the content (and their own hashes) of two events: each is internally consistent, the links are not.
    await tamper(`UPDATE audit_events SET seq = -4 WHERE seq = 4`);
    await tamper(`UPDATE audit_events SET seq = 4 WHERE seq = 5`);
    await tamper(`UPDATE audit_events SET seq = 5 WHERE seq = -4`);
    const text = formatVerdict(await verifyStore(dataDir));
    expect(text).toMatch(/^INVALID/);
    expect(text).toMatch(/^chain event #4 .*(does not link to event #3|was modified)/m);
  });

  it('catches the newest events removed (the signed head no longer matches)', async () => {
    const head = await readHead(store.db);
    await tamper('DELETE FROM audit_events WHERE seq = ?', [head!.seq]);
    const text = formatVerdict(await verifyStore(dataDir));
    expect(text).toContain(`chain: ends at event #${head!.seq - 1}, but the signed head is #${head!.seq}: events were removed from the end`);
  });

  it('catches a rewritten chain: the head signature fails first, under the pinned key', async () => {
    // Someone rebuilds every hash after a change; they cannot sign the head with the gateway's key.
    await tamper("UPDATE meta SET value = json_set(value, '$.hash', 'ff') WHERE key = 'audit.head'");
    const verdict = await verifyStore(dataDir);
    expect(verdict.findings[0]).toMatchObject({ subject: 'meta audit.head', problem: expect.stringContaining('signature does not verify') });

    const other = generateKeyPairSync('ed25519').publicKey;
    const pinned = await verifyStore(dataDir, { key: other });
    expect(pinned.findings[0].subject).toBe('meta audit.public_key');
    expect(pinned.findings[0].problem).toMatch(/not the expected/);
  });

  it('runs from the CLI without the passphrase and exits non-zero on a finding', async () => {
    const ok = await runCli(['verify', '--data-dir', dataDir], { AIRLOCK_PASSPHRASE: '' });
    expect(ok.code).toBe(0);
    expect(ok.stdout.split('\n')[0]).toBe(`VALID: data dir ${dataDir}`);
    const key = await runCli(['key', '--data-dir', dataDir], { AIRLOCK_PASSPHRASE: '' });
    expect(key.stdout).toMatch(/^-----BEGIN PUBLIC KEY-----\n/);
    expect(key.stderr).toMatch(/^SHA256:/);

    await tamper("UPDATE decisions SET reviewer = 'mallory' WHERE request_id = 'req_c'");
    const bad = await runCli(['verify', '--data-dir', dataDir, '--key', key.stdout]);
    expect(bad.code).toBe(1);
    expect(bad.stdout.split('\n').slice(0, 2)).toEqual([`INVALID: data dir ${dataDir} (1 finding)`, expect.stringMatching(/^decisions\/3 \(request req_c\): differs from chain event #\d+: changed outside Airlock$/)]);
  }, 60_000);

  it('adopts rows written before the chain existed at its genesis only: rows slipped in later are findings', async () => {
    // A data dir from before the chain: rows, no events, no key.
    const legacyDir = mkdtempSync(join(tmpdir(), 'airlock-legacy-'));
    const old = await openSessionStore(legacyDir, passphraseProtector('test passphrase'));
    const raw = (id: string) =>
      old.db.run(`INSERT INTO requests (id, created_at, updated_at, status, caller, protocol, path, model, stream, completed_at) VALUES (?, 1, 1, 'completed', 'old-app', 'openai-chat', '/v1/chat/completions', 'm', 0, 2)`, [id]);
    await raw('req_legacy');
    await old.db.run("INSERT INTO decisions (request_id, action, reviewer, edited, at) VALUES ('req_legacy', 'approve', 'carol', 0, 2)");
    await old.db.run("DELETE FROM audit_events");
    await old.db.run("DELETE FROM meta WHERE key LIKE 'audit.%'");
    await old.close();

    const first = await startTestGateway({ dataDir: legacyDir });
    await first.stop();
    const adopted = await verifyStore(legacyDir);
    expect(formatVerdict(adopted)).toMatch(/^VALID/);
    expect(adopted.checked.join('\n')).toContain('1 sessions and 1 decisions');

    const later = await openSessionStore(legacyDir, passphraseProtector('test passphrase'));
    await later.db.run(`INSERT INTO requests (id, created_at, updated_at, status, caller, protocol, path, model, stream, completed_at) VALUES ('req_sneaked', 1, 1, 'completed', 'x', 'openai-chat', '/v1/chat/completions', 'm', 0, 2)`);
    await later.close();
    const second = await startTestGateway({ dataDir: legacyDir });
    await second.stop();
    expect((await verifyStore(legacyDir)).findings).toEqual([{ subject: 'requests/req_sneaked', problem: 'is not in the chain: written outside Airlock' }]);
  });
});
