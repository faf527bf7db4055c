// Retention and crypto-shredding: old sessions go (on the gateway's schedule too), one session can be made unreadable
// for good, and both leave the store and its exports verifiable.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { exportToFile } from '../../gateway/audit/export.js';
import { applyRetention, shredSession } from '../../gateway/audit/retention.js';
import { formatVerdict, isValid } from '../../gateway/audit/verdict.js';
import { verifyBundle } from '../../gateway/audit/verify-bundle.js';
import { verifyStore } from '../../gateway/audit/verify-store.js';
import type { BundleAction, BundleSession } from '../../gateway/audit/bundle-format.js';
import { openSessionStore, type SessionStore } from '../../gateway/store/index.js';
import type { LiveOverlay } from '../../gateway/store/requests.js';
import { passphraseProtector } from '../../gateway/store/keyring.js';
import { startTestGateway } from '../support/gateway.js';
import { lines, recordSession, runCli, unzip } from './support.js';

const DAY = 86_400_000;
const exporter = { name: 'os:test', via: 'cli' as const, role: null };
let dataDir: string;
let store: SessionStore;

beforeEach(async () => {
  dataDir = mkdtempSync(join(tmpdir(), 'airlock-audit-'));
  store = await openSessionStore(dataDir, passphraseProtector('test passphrase'));
});
afterEach(() => store.close());

async function exportAndVerify(): Promise<{ sessions: BundleSession[]; actions: BundleAction[] }> {
  const file = join(dataDir, `bundle-${Date.now()}.zip`);
  await exportToFile(store, file, { content: 'masked', exporter });
  const verdict = await verifyBundle(file);
  expect(formatVerdict(verdict)).toMatch(/^VALID/);
  const bundle = await unzip(file);
  const parse = <T>(name: string) => lines(bundle.get(name)!).map((l) => JSON.parse(l) as T);
  return { sessions: parse<BundleSession>('sessions.jsonl'), actions: parse<BundleAction>('actions.jsonl') };
}

describe('retention', () => {
  it('deletes sessions older than the retention, records a checkpoint, and the store and a new export still verify', async () => {
    const now = Date.now();
    await recordSession(store, { id: 'req_old1', createdAt: now - 120 * DAY });
    await recordSession(store, { id: 'req_old2', createdAt: now - 95 * DAY });
    await recordSession(store, { id: 'req_new', createdAt: now - 10 * DAY });

    const result = await applyRetention(store, 90 * DAY, now);
    expect(result.deleted).toBe(2);
    expect(result.checkpoint).not.toBeNull();
    expect(await store.db.all('SELECT id FROM requests')).toEqual([{ id: 'req_new' }]);
    expect(await store.db.all("SELECT * FROM decisions WHERE request_id LIKE 'req_old%'")).toEqual([]);

    const verdict = await verifyStore(dataDir);
    expect(formatVerdict(verdict)).toMatch(/^VALID/);
    expect(verdict.checked.join('\n')).toContain('1 retention checkpoint');
    const { sessions, actions } = await exportAndVerify();
    expect(sessions.map((s) => s.id)).toEqual(['req_new']);
    expect(actions.find((a) => a.type === 'retention.checkpoint')).toMatchObject({ actor: 'retention', detail: { deleted: 2, before: new Date(now - 90 * DAY).toISOString() } });
  });

  it('prunes the chain events of what it deleted, keeps the hash they lead to, and runs again cleanly', async () => {
    const now = Date.now();
    await recordSession(store, { id: 'req_1', createdAt: now - 200 * DAY });
    await recordSession(store, { id: 'req_2', createdAt: now - 150 * DAY });
    await recordSession(store, { id: 'req_3', createdAt: now - 5 * DAY });
    // Records are appended now, so prune only what predates the cut-off by the record's own time: run "later".
    const first = await applyRetention(store, 90 * DAY, now + 1000 * DAY);
    expect(first.deleted).toBe(3);
    expect(first.pruned).toBeGreaterThan(0);
    expect(formatVerdict(await verifyStore(dataDir))).toMatch(/^VALID/);

    await recordSession(store, { id: 'req_4' });
    expect(await applyRetention(store, 90 * DAY)).toMatchObject({ deleted: 0, checkpoint: null });
    const second = await applyRetention(store, 90 * DAY, Date.now() + 1000 * DAY);
    expect(second.deleted).toBe(1);
    expect(formatVerdict(await verifyStore(dataDir))).toMatch(/^VALID/);
  });

  it('still catches a recent session deleted by hand after a retention run', async () => {
    const now = Date.now();
    await recordSession(store, { id: 'req_old', createdAt: now - 100 * DAY });
    await recordSession(store, { id: 'req_recent', createdAt: now - DAY });
    await applyRetention(store, 90 * DAY, now);
    await store.db.run("DELETE FROM requests WHERE id = 'req_recent'");
    const verdict = await verifyStore(dataDir);
    expect(verdict.findings).toEqual([{ subject: 'requests/req_recent', problem: expect.stringContaining('no retention checkpoint covers it') }]);
  });

  it('runs at gateway start when the config sets `retention`', async () => {
    await recordSession(store, { id: 'req_ancient', createdAt: Date.now() - 400 * DAY });
    await recordSession(store, { id: 'req_fresh' });
    await store.close();
    const gw = await startTestGateway({ dataDir, config: { retention: '90d' } });
    try {
      const ids = (await gw.api.list()).map((r) => r.id);
      expect(ids).toEqual(['req_fresh']);
    } finally {
      await gw.stop();
      store = await openSessionStore(dataDir, passphraseProtector('test passphrase'));
    }
    expect(formatVerdict(await verifyStore(dataDir))).toMatch(/^VALID/);
  });
});

describe('crypto-shredding', () => {
  it("destroys one session's key: its text is gone for good, the store and exports still verify", async () => {
    await recordSession(store, { id: 'req_keep', prompt: 'keep this prompt' });
    await recordSession(store, { id: 'req_gone', prompt: 'the secret plan for Tuesday', answer: 'a very private answer' });
    const event = await shredSession(store, 'req_gone', 'os:test');
    expect(event.seq).toBeGreaterThan(0);

    const identity: LiveOverlay = (s) => s;
    const gone = await store.requests.get('req_gone', identity);
    expect(gone).toMatchObject({ id: 'req_gone', status: 'completed', body: null, response: null, preview: '' });
    expect(gone!.decisions).toHaveLength(1);
    expect(gone!.decisions[0].reviewer).toBe('alice');
    expect((await store.requests.get('req_keep', identity))!.body).not.toBeNull();
    // Its search terms were keyed hashes of its words: they go too.
    expect(await store.db.all("SELECT * FROM search_terms WHERE request_id = 'req_gone'")).toEqual([]);
    // A fresh process with the passphrase cannot read it either.
    const other = await openSessionStore(dataDir, passphraseProtector('test passphrase'));
    expect((await other.requests.get('req_gone', identity))!.body).toBeNull();
    await other.close();

    expect(formatVerdict(await verifyStore(dataDir))).toMatch(/^VALID/);
    const { sessions } = await exportAndVerify();
    const shredded = sessions.find((s) => s.id === 'req_gone')!;
    expect(shredded).toMatchObject({ content: 'shredded', request: null, answer: null, timeline: [] });
    expect(shredded.storeEvents.map((e) => e.type)).toContain('session.shredded');
    expect(JSON.stringify(sessions)).not.toContain('secret plan');
  });

  it('refuses a session twice, an unknown one, and one still in flight', async () => {
    await recordSession(store, { id: 'req_x' });
    await shredSession(store, 'req_x', 'os:test');
    await expect(shredSession(store, 'req_x', 'os:test')).rejects.toThrow(/already shredded/);
    await expect(shredSession(store, 'req_nope', 'os:test')).rejects.toThrow(/no session/);
    await store.requests.insert({ id: 'req_live', createdAt: Date.now(), status: 'pending', caller: 'a', protocol: 'openai-chat', path: '/v1/chat/completions', model: 'm', stream: false, policy: null, tokens: 1, timeoutAt: null, convHash: null, body: {}, preview: '' });
    await expect(shredSession(store, 'req_live', 'os:test')).rejects.toThrow(/still pending/);
  });

  it('runs from the CLI, recorded with the OS user as actor', async () => {
    await recordSession(store, { id: 'req_cli' });
    await store.close();
    const out = await runCli(['shred', 'req_cli', '--data-dir', dataDir], { AIRLOCK_PASSPHRASE: 'test passphrase' });
    expect(out.stderr).toBe('');
    expect(out.stdout).toMatch(/^Session req_cli shredded: its key is destroyed \(audit chain event #\d+\)\.$/m);
    store = await openSessionStore(dataDir, passphraseProtector('test passphrase'));
    const row = await store.db.get<{ actor: string }>("SELECT actor FROM audit_events WHERE type = 'session.shredded'");
    expect(row!.actor).toMatch(/^os:/);
    expect(isValid(await verifyStore(dataDir))).toBe(true);
  }, 60_000);
});
