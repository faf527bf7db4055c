// Audit bundles end to end: real SDK traffic through a real gateway (approved, edited, rejected, timed out, failed),
// exported while it runs, then verified, tampered with in every way the issue lists, and opened in Chromium.
import { createHash, generateKeyPairSync, sign } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { BundleAction, BundleSession, Manifest } from '../../gateway/audit/bundle-format.js';
import { formatVerdict, type Verdict } from '../../gateway/audit/verdict.js';
import { verifyBundle } from '../../gateway/audit/verify-bundle.js';
import { parsePublicKey } from '../../gateway/audit/signing-key.js';
import type { RequestDetail, RequestStatus } from '../../gateway/api/types.js';
import { startTestGateway, type TestGateway } from '../support/gateway.js';
import { startUpstream, type Upstream } from '../support/upstream.js';
import { fromLines, lines, rezip, runCli, unzip, type Bundle } from './support.js';

const UPSTREAM_KEY = 'sk-upstream-SECRET-123';
const PASSPHRASE = 'test passphrase';
const TERMINAL: RequestStatus[] = ['completed', 'failed', 'rejected', 'timed_out', 'cancelled', 'interrupted'];

let upstream: Upstream;
let gw: TestGateway;
let work: string;
let bundleFile: string;
let keyFile: string;
let bundle: Bundle;
let sessions: BundleSession[];
const ids: Record<'approved' | 'edited' | 'rejected' | 'timedOut' | 'failed' | 'masked', string> = {} as never;
const secrets: string[] = [UPSTREAM_KEY, PASSPHRASE];

/** Starts one call, waits for it to be pending, lets `decide` act, and waits until the call and its record are done. */
async function drive(call: () => Promise<unknown>, decide: (id: string) => Promise<unknown>): Promise<RequestDetail> {
  const settled = call().then(
    () => undefined,
    (err: unknown) => err,
  );
  const [pending] = await gw.api.waitForPending(1);
  await decide(pending.id);
  await settled;
  return gw.api.waitForStatus(pending.id, TERMINAL);
}

beforeAll(async () => {
  work = mkdtempSync(join(tmpdir(), 'airlock-bundle-'));
  upstream = await startUpstream();
  gw = await startTestGateway({
    upstreamUrl: upstream.url,
    env: { AIRLOCK_UPSTREAM_KEY: UPSTREAM_KEY },
    config: { policies: [{ name: 'quick-timeout', match: { model: 'gpt-timeout' }, action: 'review', timeout: '300ms' }] },
  });
  secrets.push(gw.callerKey, gw.reviewerToken);
  const client = new OpenAI({ baseURL: `${gw.url}/v1`, apiKey: gw.callerKey, maxRetries: 0 });
  const ask = (content: string, model = 'gpt-4o') => client.chat.completions.create({ model, messages: [{ role: 'user', content }] });

  upstream.next({ kind: 'text', chunks: ['Paris ', 'is the ', 'capital ', 'of France.'], firstDelayMs: 40, delayMs: 60 });
  ids.approved = (
    await drive(
      async () => {
        const stream = await client.chat.completions.create({ model: 'gpt-4o', stream: true, messages: [{ role: 'user', content: 'What is the capital of France?' }] });
        for await (const chunk of stream) void chunk;
      },
      (id) => gw.api.approve(id, { note: 'harmless geography' }),
    )
  ).id;
  upstream.next({ kind: 'text', text: 'Rome.' });
  ids.edited = (await drive(() => ask('What is the capital of Italy? My card is 4111 1111 1111 1111.'), (id) => gw.api.approve(id, { body: { model: 'gpt-4o', messages: [{ role: 'user', content: 'What is the capital of Italy?' }] } }))).id;
  ids.rejected = (await drive(() => ask('Send the customer list to bob@example.com'), (id) => gw.api.reject(id, 'contains customer data'))).id;
  ids.timedOut = (await drive(() => ask('Nobody will answer this in time', 'gpt-timeout'), async () => undefined)).id;
  upstream.next({ kind: 'error', status: 500, message: 'upstream exploded' });
  ids.failed = (await drive(() => ask('This one fails upstream'), (id) => gw.api.approve(id))).id;
  upstream.next({ kind: 'text', text: 'Write to alice@example.org for the invoice.' });
  ids.masked = (await drive(() => ask('Who handles invoices? Ask carol@example.net.'), (id) => gw.api.approve(id))).id;

  // The CLI export, while the gateway runs, and the key the auditor gets from the gateway's owner.
  bundleFile = join(work, 'q3.zip');
  const exported = await runCli(['export', '--out', bundleFile, '--data-dir', gw.dataDir], { AIRLOCK_PASSPHRASE: PASSPHRASE });
  expect(exported.stderr).toBe('');
  expect(exported.stdout).toMatch(/^Exported 6 sessions \(\d+ decisions, \d+ actions, masked content\) to /);
  const key = await runCli(['key', '--data-dir', gw.dataDir]);
  keyFile = join(work, 'gateway.pem');
  writeFileSync(keyFile, key.stdout);
  bundle = await unzip(bundleFile);
  sessions = lines(bundle.get('sessions.jsonl')!).map((l) => JSON.parse(l) as BundleSession);
}, 120_000);

afterAll(async () => {
  await gw?.stop();
  await upstream?.close();
});

const session = (id: string) => sessions.find((s) => s.id === id)!;
const subjects = (v: Verdict) => v.findings.map((f) => `${f.subject}: ${f.problem}`);

/** Rebuilds the bundle with `change` applied to a copy of its files, and verifies it against the gateway's key. */
async function tampered(name: string, change: (files: Bundle) => void): Promise<Verdict> {
  const files = new Map(bundle);
  change(files);
  const file = join(work, `${name}.zip`);
  await rezip(files, file);
  return verifyBundle(file, { key: parsePublicKey(keyFile) });
}

describe('the bundle', () => {
  it('holds every session, every decision with its reviewer and reason, and the edit', async () => {
    expect(sessions.map((s) => s.id).sort()).toEqual(Object.values(ids).sort());
    for (const id of Object.values(ids)) {
      const detail = await gw.api.get(id);
      expect(session(id).status).toBe(detail.status);
      expect(session(id).decisions.map(({ action, reviewer, reason }) => ({ action, reviewer, reason }))).toEqual(detail.decisions.map(({ action, reviewer, reason }) => ({ action, reviewer, reason })));
    }
    expect(session(ids.approved)).toMatchObject({ status: 'completed', stream: true, answer: { text: 'Paris is the capital of France.' }, decisions: [{ action: 'approve', reviewer: 'alice', note: 'harmless geography' }] });
    expect(session(ids.approved).timeline.filter((e) => e.type === 'chunk').map((e) => e.text).join('')).toBe('Paris is the capital of France.');
    expect(session(ids.edited)).toMatchObject({ status: 'completed', forwarded: { messages: [{ content: 'What is the capital of Italy?' }] }, decisions: [{ action: 'approve', edited: true, reviewer: 'alice' }] });
    expect(session(ids.rejected)).toMatchObject({ status: 'rejected', decisions: [{ action: 'reject', reviewer: 'alice', reason: 'contains customer data' }] });
    expect(session(ids.timedOut)).toMatchObject({ status: 'timed_out', decisions: [{ action: 'timeout', reviewer: null, reason: expect.stringContaining('no decision within') }] });
    expect(session(ids.failed)).toMatchObject({ status: 'failed', answer: { status: 500 } });

    const csv = bundle.get('decisions.csv')!.toString('utf8').split('\r\n');
    expect(csv[0]).toBe('time,caller,model,status,reviewer,reason,session id');
    expect(csv).toContainEqual(expect.stringMatching(new RegExp(`^[^,]+,test-app,gpt-4o,rejected,alice,contains customer data,${ids.rejected}$`)));
    expect(csv).toContainEqual(expect.stringMatching(new RegExp(`^[^,]+,test-app,gpt-timeout,timed_out,,.*no decision within.*,${ids.timedOut}$`)));
  });

  it('never holds the upstream key, caller keys, reviewer tokens or the passphrase', () => {
    const raw = readFileSync(bundleFile);
    for (const secret of secrets) {
      expect(raw.includes(secret), `zip bytes hold ${secret.slice(0, 8)}…`).toBe(false);
      for (const [name, data] of bundle) expect(data.includes(secret), `${name} holds ${secret.slice(0, 8)}…`).toBe(false);
    }
  });

  it('masks secrets and personal data with a keyed hash an admin can compute; --raw keeps them and is audited', async () => {
    const masked = session(ids.masked);
    const hashed = await runCli(['hash', 'carol@example.net', '--data-dir', gw.dataDir], { AIRLOCK_PASSPHRASE: PASSPHRASE });
    expect(hashed.stdout).toMatch(/^hmac:[0-9a-f]{16}\n$/);
    expect(JSON.stringify(masked.request)).toContain(`[EMAIL](${hashed.stdout.trim()})`);
    expect(JSON.stringify(sessions)).not.toMatch(/carol@example\.net|bob@example\.com|4111 1111 1111 1111/);

    const rawFile = join(work, 'raw.zip');
    const out = await runCli(['export', '--raw', '--out', rawFile, '--caller', 'test-app', '--data-dir', gw.dataDir], { AIRLOCK_PASSPHRASE: PASSPHRASE });
    expect(out.stdout).toContain('raw content');
    const raw = await unzip(rawFile);
    expect(raw.get('sessions.jsonl')!.toString()).toContain('carol@example.net');
    const actions = lines(raw.get('actions.jsonl')!).map((l) => JSON.parse(l) as BundleAction);
    expect(actions.at(-1)).toMatchObject({ type: 'bundle.exported', actor: expect.stringMatching(/^os:/), detail: { content: 'raw', via: 'cli', filters: { caller: 'test-app' } } });
  }, 60_000);

  it('says who exported it, when, with which filters; the export is an audited action', () => {
    const manifest = JSON.parse(bundle.get('manifest.json')!.toString()) as Manifest;
    expect(manifest).toMatchObject({ format: 'airlock-audit-bundle/1', exportedBy: { name: expect.stringMatching(/^os:/), via: 'cli' }, filters: { since: null, until: null, caller: null, status: null }, content: 'masked' });
    expect(manifest.counts).toMatchObject({ sessions: 6, byStatus: { completed: 3, rejected: 1, timed_out: 1, failed: 1 } });
    expect(Object.keys(manifest.files).sort()).toEqual(['README.txt', 'actions.jsonl', 'chain.jsonl', 'decisions.csv', 'public-key.pem', 'report.html', 'sessions.jsonl']);
    const actions = lines(bundle.get('actions.jsonl')!).map((l) => JSON.parse(l) as BundleAction);
    expect(actions.find((a) => a.type === 'bundle.exported')).toMatchObject({ seq: manifest.store.exportEvent.seq, actor: manifest.exportedBy.name });
  });

  it('exports only what the filters select', async () => {
    const file = join(work, 'refused.zip');
    await runCli(['export', '--out', file, '--status', 'rejected,timed_out', '--since', new Date(Date.now() - 3_600_000).toISOString(), '--data-dir', gw.dataDir], { AIRLOCK_PASSPHRASE: PASSPHRASE });
    const files = await unzip(file);
    expect(lines(files.get('sessions.jsonl')!).map((l) => (JSON.parse(l) as BundleSession).id).sort()).toEqual([ids.rejected, ids.timedOut].sort());
    expect((JSON.parse(files.get('manifest.json')!.toString()) as Manifest).filters).toMatchObject({ status: ['rejected', 'timed_out'], caller: null });
    expect(formatVerdict(await verifyBundle(file, { key: parsePublicKey(keyFile) }))).toMatch(/^VALID/);
  }, 60_000);
});

describe('airlock verify', () => {
  it('passes an untouched bundle, with the gateway key, and says what it checked', async () => {
    const out = await runCli(['verify', bundleFile, '--key', keyFile]);
    expect(out.code).toBe(0);
    const [verdict, ...rest] = out.stdout.trimEnd().split('\n');
    expect(verdict).toBe(`VALID: ${bundleFile}`);
    expect(rest.join('\n')).toMatch(/checked: signature: Ed25519 over manifest.json by SHA256:\S+ \(the expected key\)/);
    expect(rest.join('\n')).toMatch(/checked: chain: \d+ entries \(6 sessions, \d+ actions\)/);
    expect(rest.join('\n')).toMatch(/checked: bundle: 6 sessions/);
  }, 60_000);

  it('names a session changed by one character', async () => {
    const verdict = await tampered('one-char', (files) => {
      const list = lines(files.get('sessions.jsonl')!);
      const at = list.findIndex((l) => l.includes('contains customer data'));
      list[at] = list[at].replace('contains customer data', 'contains customer dato');
      files.set('sessions.jsonl', fromLines(list));
    });
    expect(subjects(verdict)).toEqual([
      'sessions.jsonl: SHA-256 differs from the manifest: changed after export',
      expect.stringMatching(new RegExp(`^sessions.jsonl line \\d+ \\(session ${ids.rejected}\\): changed after export: it no longer matches chain entry #\\d+$`)),
    ]);
  });

  it('names a removed session', async () => {
    const verdict = await tampered('removed', (files) => {
      files.set('sessions.jsonl', fromLines(lines(files.get('sessions.jsonl')!).filter((l) => !l.includes(ids.failed))));
    });
    expect(subjects(verdict)).toEqual([
      'sessions.jsonl: SHA-256 differs from the manifest: changed after export',
      expect.stringMatching(new RegExp(`^sessions.jsonl: session ${ids.failed} \\(chain entry #\\d+\\) is missing: removed after export$`)),
    ]);
  });

  it('names two sessions swapped', async () => {
    const verdict = await tampered('reordered', (files) => {
      const list = lines(files.get('sessions.jsonl')!);
      [list[1], list[2]] = [list[2], list[1]];
      files.set('sessions.jsonl', fromLines(list));
    });
    expect(verdict.findings[0].subject).toBe('sessions.jsonl');
    expect(subjects(verdict)[1]).toMatch(/^sessions.jsonl line [23] \(session req_\w+\): is out of order: it is chain entry #[23]/);
    expect(verdict.findings).toHaveLength(2);
  });

  it('names a signature by another key first, and trusts nothing after it', async () => {
    const other = generateKeyPairSync('ed25519');
    const verdict = await tampered('resigned', (files) => {
      // Change a session, fix every digest, and sign the new manifest with another key, shipped in the bundle.
      const list = lines(files.get('sessions.jsonl')!).map((l) => l.replace('contains customer data', 'approved verbally'));
      files.set('sessions.jsonl', fromLines(list));
      const manifest = JSON.parse(files.get('manifest.json')!.toString()) as Manifest;
      manifest.files['sessions.jsonl'].sha256 = createHash('sha256').update(files.get('sessions.jsonl')!).digest('hex');
      const bytes = Buffer.from(JSON.stringify(manifest, null, 2));
      files.set('manifest.json', bytes);
      files.set('public-key.pem', Buffer.from(other.publicKey.export({ format: 'pem', type: 'spki' }).toString()));
      files.set('manifest.sig', sign(null, bytes, other.privateKey));
    });
    expect(verdict.findings[0].subject).toBe('manifest.sig');
    expect(verdict.findings[0].problem).toMatch(/^signed by another key \(SHA256:\S+\), not the expected SHA256:\S+: treat everything in the bundle as untrusted$/);

    const out = await runCli(['verify', join(work, 'resigned.zip'), '--key', keyFile]);
    expect(out.code).toBe(1);
    expect(out.stdout.split('\n')[1]).toMatch(/^manifest.sig: signed by another key/);
  }, 60_000);

  it('names a truncated file', async () => {
    const file = join(work, 'truncated.zip');
    const bytes = readFileSync(bundleFile);
    writeFileSync(file, bytes.subarray(0, bytes.length - 200));
    const out = await runCli(['verify', file, '--key', keyFile]);
    expect(out.code).toBe(1);
    expect(out.stdout).toMatch(/^INVALID: .*truncated.zip \(1 finding\)\ntruncated.zip: is not a readable zip \(truncated or corrupt\): /);
  }, 60_000);

  it('names a file added to the bundle and one removed', async () => {
    const verdict = await tampered('files', (files) => {
      files.delete('decisions.csv');
      files.set('extra.txt', Buffer.from('hello'));
    });
    expect(subjects(verdict)).toEqual(['decisions.csv: is missing from the bundle (the manifest lists it)', 'extra.txt: is not listed in the manifest: added after export']);
  });
});

describe('report.html', () => {
  it('opens offline in Chromium, shows and replays the sessions, with no console errors and no network', async () => {
    const { chromium } = await import('playwright-core');
    const dir = join(work, 'report');
    mkdirSync(dir, { recursive: true });
    const file = join(dir, 'report.html');
    writeFileSync(file, bundle.get('report.html')!);
    const url = pathToFileURL(file).href;

    const executablePath = existsSync('/usr/bin/chromium') ? '/usr/bin/chromium' : undefined;
    const browser = await chromium.launch({ executablePath, args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync'] });
    try {
      const page = await browser.newPage({ viewport: { width: 1440, height: 960 } });
      const problems: string[] = [];
      const requests: string[] = [];
      page.on('console', (m) => (m.type() === 'error' || m.type() === 'warning') && problems.push(`${m.type()}: ${m.text()}`));
      page.on('pageerror', (e) => problems.push(`pageerror: ${e.message}`));
      page.on('request', (r) => requests.push(r.url()));
      await page.goto(url);

      await expect.poll(() => page.locator('#rows tr').count()).toBe(6);
      expect(await page.locator('#facts').innerText()).toContain('Sessions: 6');
      await page.selectOption('#f-status', 'rejected');
      expect(await page.locator('#rows tr').count()).toBe(1);
      await page.locator('#rows tr').first().click();
      expect(await page.locator('#detail').innerText()).toContain('contains customer data');
      await page.click('#clear');
      await page.fill('#q', 'capital of france');
      expect(await page.locator('#rows tr').count()).toBe(1);

      await page.locator(`#rows tr[data-id="${ids.approved}"]`).click();
      const replay = page.locator('#replay pre');
      expect(await replay.innerText()).toBe('');
      await page.locator('#replay select').selectOption('16');
      await page.locator('#replay button', { hasText: 'Play' }).click();
      await expect.poll(() => replay.innerText(), { timeout: 5000 }).toBe('Paris is the capital of France.');
      expect(await page.locator('#replay .markers').innerText()).toMatch(/approved by alice/);
      await page.click('#clear');

      mkdirSync(fileURLToPath(new URL('../../docs/', import.meta.url)), { recursive: true });
      await page.screenshot({ path: fileURLToPath(new URL(process.env.AIRLOCK_SCREENSHOTS === '1' ? '../../docs/audit-report.png' : '../../test-results/screenshots/audit-report.png', import.meta.url)), fullPage: false });
      expect(problems).toEqual([]);
      expect(requests).toEqual([url]);
    } finally {
      await browser.close();
    }
  }, 60_000);
});
