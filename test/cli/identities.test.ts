// `airlock callers` and `airlock reviewers` on the data dir of a running gateway: keys and tokens work (or stop working) at once.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ReviewerClient, startTestGateway, type TestGateway } from '../support/gateway.js';
import { startUpstream, type Upstream } from '../support/upstream.js';
import { queued } from '../gateway/callers.js';
import { airlock, linesOf, newDataDir } from './airlock-process.js';

let upstream: Upstream;
let gw: TestGateway;

beforeAll(async () => {
  upstream = await startUpstream();
  gw = await startTestGateway({ dataDir: newDataDir(), upstreamUrl: upstream.url, env: { AIRLOCK_UPSTREAM_KEY: 'sk-upstream-secret' } });
});
afterAll(async () => {
  await gw.stop();
  await upstream.close();
});

const models = (key: string) => fetch(`${gw.url}/v1/models`, { headers: { authorization: `Bearer ${key}` } });
const lastLine = (stdout: string) => linesOf(stdout).at(-1)!;

describe('callers', () => {
  it('add prints the key as the last line, and the running server takes it at once; revoke refuses it at once', async () => {
    const added = await airlock(['callers', 'add', 'billing-bot', '--data-dir', gw.dataDir]);
    expect(added).toMatchObject({ code: 0, stderr: '' });
    const key = lastLine(added.stdout);
    expect(key).toMatch(/^alk_[A-Za-z0-9_-]{20,}$/);
    expect((await models(key)).status).toBe(200);

    const listed = await airlock(['callers', 'list', '--data-dir', gw.dataDir]);
    expect(listed.code).toBe(0);
    expect(listed.stdout).toMatch(/^billing-bot\tactive\t/m);
    expect(listed.stdout).not.toContain(key);

    const revoked = await airlock(['callers', 'revoke', 'billing-bot', '--data-dir', gw.dataDir]);
    expect(revoked.code).toBe(0);
    const refused = await models(key);
    expect(refused.status).toBe(401);
    expect(await refused.json()).toMatchObject({ error: { code: 'invalid_api_key' } });
    expect((await airlock(['callers', 'list', '--data-dir', gw.dataDir])).stdout).toMatch(/^billing-bot\trevoked\t/m);
  });

  it('adding an existing caller rotates its key: the old one stops working', async () => {
    const first = lastLine((await airlock(['callers', 'add', 'rotating', '--data-dir', gw.dataDir])).stdout);
    const second = lastLine((await airlock(['callers', 'add', 'rotating', '--data-dir', gw.dataDir])).stdout);
    expect(second).not.toBe(first);
    expect((await models(first)).status).toBe(401);
    expect((await models(second)).status).toBe(200);
  });

  it('revoking a caller that does not exist is one clear line and a non-zero exit', async () => {
    const run = await airlock(['callers', 'revoke', 'nobody', '--data-dir', gw.dataDir]);
    expect(run.code).not.toBe(0);
    expect(linesOf(run.stderr)).toEqual(['airlock: no active caller named "nobody"']);
  });
});

describe('reviewers', () => {
  it('add --role auditor prints a token the running server accepts at once, read-only', async () => {
    const added = await airlock(['reviewers', 'add', 'audrey', '--role', 'auditor', '--data-dir', gw.dataDir]);
    expect(added.code).toBe(0);
    const token = lastLine(added.stdout);
    expect(token).toMatch(/^alr_[A-Za-z0-9_-]{20,}$/);
    const auditor = new ReviewerClient(gw.url, token);
    expect((await auditor.call('GET', '/me')).body).toEqual({ name: 'audrey', role: 'auditor' });
    expect((await auditor.call('GET', '/requests')).status).toBe(200);

    const call = fetch(`${gw.url}/v1/chat/completions`, { method: 'POST', headers: { authorization: `Bearer ${gw.callerKey}`, 'content-type': 'application/json' }, body: JSON.stringify({ model: 'gpt-4o', messages: [{ role: 'user', content: 'audit' }] }) });
    const [request] = await queued(gw);
    expect((await auditor.approve(request.id)).status).toBe(403);
    await gw.api.reject(request.id, 'done');
    expect((await call).status).toBe(403);

    const revoked = await airlock(['reviewers', 'revoke', 'audrey', '--data-dir', gw.dataDir]);
    expect(revoked.code).toBe(0);
    expect((await auditor.call('GET', '/me')).status).toBe(401);
  });

  it('a role that does not exist is one clear line and a non-zero exit', async () => {
    const run = await airlock(['reviewers', 'add', 'bob', '--role', 'boss', '--data-dir', gw.dataDir]);
    expect(run.code).not.toBe(0);
    expect(linesOf(run.stderr)).toHaveLength(1);
    expect(run.stderr).toMatch(/'--role <role>' argument 'boss' is invalid/);
  });
});
