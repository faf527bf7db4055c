// The audit routes of the reviewer API, and the gateway's store while another process (the CLI) writes to it.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Manifest } from '../../gateway/audit/bundle-format.js';
import { parsePublicKey } from '../../gateway/audit/signing-key.js';
import { formatVerdict } from '../../gateway/audit/verdict.js';
import { verifyBundle } from '../../gateway/audit/verify-bundle.js';
import { verifyStore } from '../../gateway/audit/verify-store.js';
import { startTestGateway, type TestGateway } from '../support/gateway.js';
import { startUpstream, type Upstream } from '../support/upstream.js';
import { runCli, unzip } from './support.js';

let upstream: Upstream;
let gw: TestGateway;
let client: OpenAI;
let work: string;

beforeAll(async () => {
  work = mkdtempSync(join(tmpdir(), 'airlock-audit-api-'));
  upstream = await startUpstream();
  gw = await startTestGateway({ upstreamUrl: upstream.url, env: { AIRLOCK_UPSTREAM_KEY: 'sk-upstream-SECRET-123' } });
  client = new OpenAI({ baseURL: `${gw.url}/v1`, apiKey: gw.callerKey, maxRetries: 0 });
  for (const decide of ['approve', 'reject', 'approve'] as const) {
    const call = client.chat.completions.create({ model: 'gpt-4o', messages: [{ role: 'user', content: `please ${decide} me` }] }).catch(() => undefined);
    const [pending] = await gw.api.waitForPending(1);
    if (decide === 'approve') await gw.api.approve(pending.id);
    else await gw.api.reject(pending.id, 'not today');
    await call;
    await gw.api.waitForStatus(pending.id, ['completed', 'rejected']);
  }
});
afterAll(async () => {
  await gw?.stop();
  await upstream?.close();
});

const post = (token: string, body: object) =>
  fetch(`${gw.url}/api/v1/exports`, { method: 'POST', headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' }, body: JSON.stringify(body) });

describe('the audit routes', () => {
  it('serve the public key and an estimate for the progress bar', async () => {
    const key = await gw.api.call<{ algorithm: string; fingerprint: string; publicKey: string; gatewayId: string }>('GET', '/key');
    expect(key.body).toMatchObject({ algorithm: 'Ed25519', fingerprint: expect.stringMatching(/^SHA256:/), publicKey: expect.stringMatching(/^-----BEGIN PUBLIC KEY-----/), gatewayId: expect.stringMatching(/^gw_/) });
    expect((await gw.api.call('GET', '/exports/estimate')).body).toEqual({ sessions: 3 });
    expect((await gw.api.call('GET', '/exports/estimate?status=rejected')).body).toEqual({ sessions: 1 });
    expect((await gw.api.call('GET', '/exports/estimate?since=not-a-date')).status).toBe(400);
    const backwards = await gw.api.call('GET', '/exports/estimate?since=2026-02-01T00:00:00Z&until=2026-01-01T00:00:00Z');
    expect([backwards.status, backwards.body]).toEqual([400, { error: expect.objectContaining({ message: 'until: the range ends before it starts' }) }]);
  });

  it('stream a bundle that verifies with the served key, exported by the reviewer', async () => {
    const res = await post(gw.reviewerToken, { status: 'completed,rejected', caller: 'test-app' });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('application/zip');
    expect(res.headers.get('content-disposition')).toMatch(/^attachment; filename="airlock-audit-.*\.zip"$/);
    expect(res.headers.get('x-airlock-export-sessions')).toBe('3');
    const file = join(work, 'api.zip');
    writeFileSync(file, Buffer.from(await res.arrayBuffer()));
    const key = (await gw.api.call<{ publicKey: string }>('GET', '/key')).body.publicKey;
    expect(formatVerdict(await verifyBundle(file, { key: parsePublicKey(key) }))).toMatch(/^VALID/);
    const manifest = JSON.parse((await unzip(file)).get('manifest.json')!.toString()) as Manifest;
    expect(manifest.exportedBy).toEqual({ name: 'alice', via: 'api', role: 'admin' });
    expect(manifest.filters).toMatchObject({ caller: 'test-app', status: ['completed', 'rejected'] });
  });

  it('encrypt to a passphrase on request', async () => {
    const res = await post(gw.reviewerToken, { passphrase: 'correct horse battery staple' });
    expect(res.headers.get('content-disposition')).toMatch(/\.zip\.age"$/);
    const file = join(work, 'api.zip.age');
    writeFileSync(file, Buffer.from(await res.arrayBuffer()));
    expect(formatVerdict(await verifyBundle(file, { passphrase: 'correct horse battery staple' }))).toMatch(/^VALID/);
  }, 60_000);

  it('refuse an age recipient that is not one with a 400, before recording an export, and keep serving', async () => {
    const res = await post(gw.reviewerToken, { recipient: 'age1garbage' });
    expect(res.status).toBe(400);
    expect(JSON.stringify(await res.json())).toContain('the recipient is not an age public key');
    expect((await gw.api.call('GET', '/exports/estimate')).status).toBe(200);
    expect(formatVerdict(await verifyStore(gw.dataDir))).toMatch(/^VALID/);
  });

  it('are for admins and auditors; raw content for admins only', async () => {
    const reviewer = await gw.gateway.issueReviewerToken('rita', 'reviewer');
    const auditor = await gw.gateway.issueReviewerToken('audrey', 'auditor');
    expect((await post(reviewer, {})).status).toBe(403);
    expect((await gw.api.call('GET', '/exports/estimate')).status).toBe(200);
    expect((await post(auditor, { raw: true })).status).toBe(403);
    const ok = await post(auditor, {});
    expect(ok.status).toBe(200);
    await ok.arrayBuffer();
    expect((await post(gw.reviewerToken, { since: 'yesterday-ish' })).status).toBe(400);
    expect((await post(gw.reviewerToken, { status: ['bogus'] })).status).toBe(400);
  });
});

describe('the store shared with the CLI', () => {
  // Fails while Database.getPrepared leaves its statement un-reset: the gateway's connection then keeps an old read
  // snapshot, and its next write after another process wrote fails with SQLITE_BUSY (see the issue 6 report).
  it('keeps recording after a CLI export appended to the chain while the gateway runs', async () => {
    // A request waits for review; meanwhile an auditor exports from the CLI; then the reviewer decides.
    const call = client.chat.completions.create({ model: 'gpt-4o', messages: [{ role: 'user', content: 'decided after an export' }] }).catch((err: Error) => err);
    const [pending] = await gw.api.waitForPending(1);
    const out = await runCli(['export', '--out', join(work, 'cli.zip'), '--data-dir', gw.dataDir], { AIRLOCK_PASSPHRASE: 'test passphrase' });
    expect(out.stdout).toMatch(/^Exported 4 sessions/);
    expect((await gw.api.approve(pending.id)).status).toBe(200);
    expect(await call).not.toBeInstanceOf(Error);
    await gw.api.waitForStatus(pending.id, 'completed');
    expect(formatVerdict(await verifyStore(gw.dataDir))).toMatch(/^VALID/);
  }, 60_000);
});
