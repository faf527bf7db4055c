// `airlock callers` and `airlock reviewers` on the data dir of a running gateway: keys and tokens work (or stop working)
// at once; `add` never replaces an active identity, `rotate` does; an owner must be a reviewer; a data dir is made only by `add`.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ReviewerClient, startTestGateway, type TestGateway } from '../support/gateway.js';
import { startUpstream, type Upstream } from '../support/upstream.js';
import { queued } from '../gateway/callers.js';
import { airlock, linesOf, newDataDir, refusal } from './airlock-process.js';

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

  it('add refuses an existing caller, pointing to rotate, and its key keeps working', async () => {
    const first = lastLine((await airlock(['callers', 'add', 'steady', '--data-dir', gw.dataDir])).stdout);
    const again = await airlock(['callers', 'add', 'steady', '--data-dir', gw.dataDir]);
    expect(refusal(again, [first])).toBe('airlock: caller "steady" already exists; to give it a new key (its old key stops working at once): airlock callers rotate steady');
    expect(again.stdout).toBe('');
    expect((await models(first)).status).toBe(200);
  });

  it('rotate gives a new key and says the old one no longer works; the running server refuses the old one at once', async () => {
    const first = lastLine((await airlock(['callers', 'add', 'rotating', '--data-dir', gw.dataDir])).stdout);
    const rotated = await airlock(['callers', 'rotate', 'rotating', '--data-dir', gw.dataDir]);
    expect(rotated).toMatchObject({ code: 0, stderr: '' });
    expect(linesOf(rotated.stdout)[0]).toBe('Caller "rotating" rotated; the old key no longer works. Its new key (shown once):');
    const second = lastLine(rotated.stdout);
    expect(second).toMatch(/^alk_/);
    expect(second).not.toBe(first);
    expect((await models(first)).status).toBe(401);
    expect((await models(second)).status).toBe(200);
  });

  it('rotate refuses an unknown caller and a revoked one; add makes a revoked one anew, with a working key', async () => {
    expect(refusal(await airlock(['callers', 'rotate', 'ghost', '--data-dir', gw.dataDir]))).toBe('airlock: no caller named "ghost"; airlock callers add ghost creates one');
    const old = lastLine((await airlock(['callers', 'add', 'retired', '--data-dir', gw.dataDir])).stdout);
    expect((await airlock(['callers', 'revoke', 'retired', '--data-dir', gw.dataDir])).code).toBe(0);
    expect(refusal(await airlock(['callers', 'rotate', 'retired', '--data-dir', gw.dataDir]), [old])).toBe('airlock: caller "retired" is revoked; airlock callers add retired creates it again');
    const back = await airlock(['callers', 'add', 'retired', '--data-dir', gw.dataDir]);
    expect(back.code).toBe(0);
    expect(linesOf(back.stdout)[0]).toBe('Caller "retired" (revoked before) created again. Its key (shown once):');
    expect((await models(lastLine(back.stdout))).status).toBe(200);
    expect((await models(old)).status).toBe(401);
  });

  it('--owner must be an active reviewer: an unknown one is refused, naming the reviewers, and nothing is created', async () => {
    const unknown = await airlock(['callers', 'add', 'orphan', '--owner', 'nobody', '--data-dir', gw.dataDir]);
    expect(refusal(unknown)).toMatch(/^airlock: no reviewer named "nobody" to own the caller; the reviewers are: (.+, )?alice(, .+)?$/);
    expect((await airlock(['callers', 'list', '--data-dir', gw.dataDir])).stdout).not.toMatch(/^orphan\t/m);

    const owned = await airlock(['callers', 'add', 'alices-bot', '--owner', 'alice', '--data-dir', gw.dataDir]);
    expect(owned.code).toBe(0);
    expect((await airlock(['callers', 'list', '--data-dir', gw.dataDir])).stdout).toMatch(/^alices-bot\tactive\towner alice\t/m);
  });

  it('--owner on a data dir without reviewers says there are none, and creates no data dir', async () => {
    const dataDir = join(newDataDir(), 'fresh');
    expect(refusal(await airlock(['callers', 'add', 'bot', '--owner', 'bob', '--data-dir', dataDir]))).toBe(
      'airlock: no reviewer named "bob" to own the caller: there are no reviewers yet (airlock reviewers add bob)',
    );
    expect(existsSync(dataDir)).toBe(false);
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

  it('add refuses an existing reviewer; rotate gives a new token, the old one and its console logins stop working', async () => {
    const first = lastLine((await airlock(['reviewers', 'add', 'rhea', '--data-dir', gw.dataDir])).stdout);
    const login = await fetch(`${gw.url}/api/v1/session`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ token: first }) });
    const cookie = login.headers.get('set-cookie')!.split(';')[0];
    const withCookie = () => fetch(`${gw.url}/api/v1/me`, { headers: { cookie } });
    expect((await withCookie()).status).toBe(200);
    const again = await airlock(['reviewers', 'add', 'rhea', '--role', 'admin', '--data-dir', gw.dataDir]);
    expect(refusal(again, [first])).toBe('airlock: reviewer "rhea" already exists; to give them a new token (the old one stops working at once): airlock reviewers rotate rhea');
    expect((await new ReviewerClient(gw.url, first).call('GET', '/me')).body).toEqual({ name: 'rhea', role: 'reviewer' });

    const rotated = await airlock(['reviewers', 'rotate', 'rhea', '--data-dir', gw.dataDir]);
    expect(rotated).toMatchObject({ code: 0, stderr: '' });
    expect(linesOf(rotated.stdout)[0]).toBe('Reviewer "rhea" rotated; the old token no longer works. Their new token (shown once):');
    const second = lastLine(rotated.stdout);
    expect((await new ReviewerClient(gw.url, first).call('GET', '/me')).status).toBe(401);
    expect((await new ReviewerClient(gw.url, second).call('GET', '/me')).body).toEqual({ name: 'rhea', role: 'reviewer' });
    expect((await withCookie()).status).toBe(401);
    expect(refusal(await airlock(['reviewers', 'rotate', 'nobody', '--data-dir', gw.dataDir]))).toBe('airlock: no reviewer named "nobody"; airlock reviewers add nobody creates one');
  });

  it('a role that does not exist is one clear line and a non-zero exit', async () => {
    const run = await airlock(['reviewers', 'add', 'bob', '--role', 'boss', '--data-dir', gw.dataDir]);
    expect(refusal(run)).toMatch(/^airlock: option '--role <role>' argument 'boss' is invalid/);
  });
});

describe('a data dir with no Airlock store', () => {
  it('list, rotate and revoke refuse it, naming it, and create nothing; add creates it', async () => {
    const dataDir = join(newDataDir(), 'typo');
    const runs = await Promise.all(
      [['callers', 'list'], ['callers', 'revoke', 'x'], ['callers', 'rotate', 'x'], ['reviewers', 'list'], ['reviewers', 'revoke', 'x'], ['reviewers', 'rotate', 'x']].map((args) =>
        airlock([...args, '--data-dir', dataDir]),
      ),
    );
    for (const run of runs) expect(refusal(run)).toBe(`airlock: no Airlock data in ${dataDir}; is --data-dir right?`);
    expect(existsSync(dataDir)).toBe(false);

    expect((await airlock(['reviewers', 'add', 'first', '--data-dir', dataDir])).code).toBe(0);
    expect((await airlock(['reviewers', 'list', '--data-dir', dataDir])).stdout).toMatch(/^first\treviewer\tactive$/m);
  });

  it('the default data dir, from AIRLOCK_DATA_DIR, is named as such', async () => {
    const dataDir = join(newDataDir(), 'unset');
    const run = await airlock(['callers', 'list'], { AIRLOCK_DATA_DIR: dataDir });
    expect(refusal(run)).toBe(`airlock: no Airlock data in ${dataDir}; is AIRLOCK_DATA_DIR right?`);
    expect(existsSync(dataDir)).toBe(false);
  });
});
