// `airlock serve` as a process: it prints its URL and serves /healthz, shuts down cleanly on SIGTERM, loses nothing
// finished on SIGKILL and closes out what was pending; bad flags, a busy port and bad configs are one clear line.
import net from 'node:net';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { formatVerdict } from '../../gateway/audit/verdict.js';
import { verifyStore } from '../../gateway/audit/verify-store.js';
import { openIdentityStore } from '../../gateway/store/index.js';
import { ReviewerClient, startTestGateway } from '../support/gateway.js';
import { startUpstream, type Upstream } from '../support/upstream.js';
import { airlock, linesOf, newDataDir, serve, type Finished, type Server } from './airlock-process.js';

const UPSTREAM_KEY = 'sk-upstream-secret';
let upstream: Upstream;
beforeAll(async () => {
  upstream = await startUpstream();
});
afterAll(() => upstream.close());
beforeEach(() => upstream.reset());

/** A data dir with a caller and a reviewer made the way `airlock callers add` / `reviewers add` make them. */
async function preparedDataDir() {
  const dataDir = newDataDir();
  const store = await openIdentityStore(dataDir);
  const callerKey = await store.identities.addCaller('cli-app');
  const reviewerToken = await store.identities.addReviewer('carol', 'admin');
  await store.close();
  return { dataDir, callerKey, reviewerToken };
}

const chatBody = (content: string) => JSON.stringify({ model: 'gpt-4o', messages: [{ role: 'user', content }] });
const post = (server: Server, key: string, body: string, path = '/v1/chat/completions', headers: Record<string, string> = {}) =>
  fetch(`${server.url}${path}`, { method: 'POST', headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json', ...headers }, body });

async function serveOn(dataDir: string, extra: string[] = []) {
  return serve(['--data-dir', dataDir, '--upstream', upstream.url, ...extra], { AIRLOCK_UPSTREAM_KEY: UPSTREAM_KEY });
}

describe('serve', () => {
  it('prints the URL (and a first reviewer token), answers /healthz with 200, and exits 0 on SIGTERM', async () => {
    const dataDir = newDataDir();
    const server = await serveOn(dataDir);
    try {
      expect(server.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
      const health = await fetch(`${server.url}/healthz`);
      expect(health.status).toBe(200);
      expect(await health.json()).toMatchObject({ ok: true });
      const token = /token:\n\s+(alr_\S+)/.exec(server.output.stdout)?.[1];
      expect(token).toBeDefined();
      expect((await new ReviewerClient(server.url, token!).call('GET', '/me')).body).toEqual({ name: 'admin', role: 'admin' });
    } finally {
      server.child.kill('SIGTERM');
    }
    expect(await server.exited).toMatchObject({ code: 0, signal: null });
  });

  it('SIGTERM: pending callers get a clear 503 gateway_shutdown in their shape, the process exits 0, the requests are interrupted', async () => {
    const { dataDir, callerKey, reviewerToken } = await preparedDataDir();
    const server = await serveOn(dataDir);
    const api = new ReviewerClient(server.url, reviewerToken);
    const chat = post(server, callerKey, chatBody('pending at SIGTERM'));
    const messages = post(server, callerKey, JSON.stringify({ model: 'claude-haiku-4-5', max_tokens: 8, messages: [{ role: 'user', content: 'pending at SIGTERM' }] }), '/v1/messages', { 'anthropic-version': '2023-06-01' });
    const pending = await api.waitForPending(2);
    // The console lists a request a moment before its hold begins (see test/gateway/reviewer-api.test.ts): let it settle.
    await new Promise((r) => setTimeout(r, 100));
    server.child.kill('SIGTERM');

    const chatAnswer = await chat;
    expect(chatAnswer.status).toBe(503);
    expect(await chatAnswer.json()).toEqual({ error: { message: expect.stringMatching(/shut down/), type: 'service_unavailable_error', param: null, code: 'gateway_shutdown' } });
    const messagesAnswer = await messages;
    expect(messagesAnswer.status).toBe(503);
    expect(await messagesAnswer.json()).toMatchObject({ type: 'error', error: { type: 'api_error', message: expect.stringMatching(/shut down/) } });
    const exit = await server.exited;
    expect(exit).toMatchObject({ code: 0, signal: null });
    expect(exit.stderr).toMatch(/SIGTERM: stopping Airlock/);

    const again = await startTestGateway({ dataDir });
    try {
      for (const r of pending) expect((await again.api.get(r.id)).status).toBe('interrupted');
    } finally {
      await again.stop();
    }
    expect(upstream.requests).toHaveLength(0);
  });

  it('a second serve on the same data dir is refused in one line, and the first keeps its pending request', async () => {
    const { dataDir, callerKey, reviewerToken } = await preparedDataDir();
    const server = await serveOn(dataDir);
    const api = new ReviewerClient(server.url, reviewerToken);
    const call = post(server, callerKey, chatBody('still held by the first gateway'));
    const [request] = await api.waitForPending(1);

    const second = await airlock(['serve', '--port', '0', '--data-dir', dataDir, '--demo']);
    expect(second.code).not.toBe(0);
    expect(linesOf(second.stderr)).toEqual([`airlock: another Airlock gateway (pid ${server.child.pid}) is serving the data dir ${dataDir}; stop it first, or give this one its own --data-dir`]);
    expect((await api.list('status=pending')).map((r) => r.id)).toEqual([request.id]);
    expect((await api.approve(request.id)).status).toBe(200);
    expect((await call).status).toBe(200);
    server.child.kill('SIGTERM');
    expect(await server.exited).toMatchObject({ code: 0 });

    // Stopped, the data dir is free again.
    const after = await serveOn(dataDir);
    after.child.kill('SIGTERM');
    expect(await after.exited).toMatchObject({ code: 0 });
  });

  it('a start refused for a busy port leaves nothing behind: the next start does not take it for a crash', async () => {
    const { dataDir } = await preparedDataDir();
    const blocker = net.createServer();
    await new Promise<void>((r) => blocker.listen(0, '127.0.0.1', () => r()));
    try {
      const refused = await airlock(['serve', '--data-dir', dataDir, '--port', String((blocker.address() as net.AddressInfo).port), '--demo']);
      expect(refused.code).not.toBe(0);
    } finally {
      blocker.close();
    }
    const server = await serveOn(dataDir);
    server.child.kill('SIGTERM');
    const exit = await server.exited;
    expect(exit.code).toBe(0);
    expect(`${exit.stdout}${exit.stderr}`).not.toMatch(/did not stop cleanly|closed out requests/);
  });

  it('SIGKILL with a request pending: on restart it is interrupted, never left pending', async () => {
    const { dataDir, callerKey, reviewerToken } = await preparedDataDir();
    const server = await serveOn(dataDir);
    const call = post(server, callerKey, chatBody('pending at SIGKILL')).catch((e: Error) => e);
    const [request] = await new ReviewerClient(server.url, reviewerToken).waitForPending(1);
    server.child.kill('SIGKILL');
    expect(await server.exited).toMatchObject({ signal: 'SIGKILL' });
    expect(await call).toBeInstanceOf(Error); // the connection died with the process

    const again = await startTestGateway({ dataDir });
    try {
      expect((await again.api.get(request.id)).status).toBe('interrupted');
      expect(await again.api.list('status=pending')).toEqual([]);
    } finally {
      await again.stop();
    }
  });

  it('SIGKILL the moment the caller has the whole answer: the session is on record after a restart', async () => {
    const { dataDir, callerKey, reviewerToken } = await preparedDataDir();
    const server = await serveOn(dataDir);
    const api = new ReviewerClient(server.url, reviewerToken);
    upstream.next({ kind: 'text', text: 'answered, then killed', firstDelayMs: 300 });
    const call = post(server, callerKey, chatBody('kill me after')).then((r) => r.text());
    const [request] = await api.waitForPending(1);
    await new Promise((r) => setTimeout(r, 50));
    expect((await api.approve(request.id)).status).toBe(200);
    // A second connection holds SQLite's write lock while the upstream answers: the gateway cannot get the finished
    // session into SQLite, yet the caller gets its answer at once, because the session is journaled before its last bytes.
    const locker = await openIdentityStore(dataDir);
    await locker.db.exec('BEGIN IMMEDIATE');
    const early = await Promise.race([call.then(() => true), new Promise<false>((r) => setTimeout(() => r(false), 3000))]);
    const inSqlite = await locker.db.get<{ done: number }>('SELECT completed_at IS NOT NULL AS done FROM requests WHERE id = ?', [request.id]);
    server.child.kill('SIGKILL');
    await server.exited;
    await locker.db.exec('ROLLBACK');
    await locker.close();
    expect(early).toBe(true);
    expect(inSqlite?.done).toBe(0);
    const answer = JSON.parse(await call);
    expect(answer.choices[0].message.content).toBe('answered, then killed');

    const again = await startTestGateway({ dataDir });
    try {
      const detail = await again.api.get(request.id);
      expect({ status: detail.status, answer: detail.response?.text }).toEqual({ status: 'completed', answer: 'answered, then killed' });
    } finally {
      await again.stop();
    }
    expect(formatVerdict(await verifyStore(dataDir))).toMatch(/^VALID/);
  });

  it('SIGKILL after a session is recorded as finished: it is all there on restart', async () => {
    const { dataDir, callerKey, reviewerToken } = await preparedDataDir();
    const server = await serveOn(dataDir);
    const api = new ReviewerClient(server.url, reviewerToken);
    upstream.next({ kind: 'text', chunks: ['Kept ', 'through ', 'a ', 'kill.'] });
    const call = post(server, callerKey, JSON.stringify({ model: 'gpt-4o', messages: [{ role: 'user', content: 'survive' }], stream: true }));
    const [request] = await api.waitForPending(1);
    await new Promise((r) => setTimeout(r, 50));
    expect((await api.approve(request.id)).status).toBe(200);
    const answer = await (await call).text();
    expect(answer).toContain('data: [DONE]');
    // Finished on record: committed, as a second connection to the data dir sees it (the server's own could see its open transaction).
    const reader = await openIdentityStore(dataDir);
    try {
      await api.waitFor(
        async () => ((await reader.db.get<{ done: number }>("SELECT status = 'completed' AND response IS NOT NULL AS done FROM requests WHERE id = ?", [request.id]))?.done ? true : undefined),
        5000,
        'the finished record to be committed',
      );
    } finally {
      await reader.close();
    }
    server.child.kill('SIGKILL');
    await server.exited;

    const again = await startTestGateway({ dataDir });
    try {
      const session = await again.api.session(request.id);
      expect(session.request.status).toBe('completed');
      expect(session.request.response?.text).toBe('Kept through a kill.');
      expect(session.request.decisions).toEqual([expect.objectContaining({ action: 'approve', reviewer: 'carol' })]);
      expect(session.timeline.filter((e) => e.type === 'chunk').map((e) => e.text).join('')).toBe('Kept through a kill.');
    } finally {
      await again.stop();
    }
    expect(server.output.stdout + server.output.stderr).not.toContain('Kept through');
    expect(server.output.stdout + server.output.stderr).not.toContain('survive');
  });
});

describe('refusing to start, in one clear line', () => {
  // The refusals are independent processes: start them all at once, then look at each.
  const runs: Record<string, Promise<Finished>> = {};
  const blocker = net.createServer();
  let busyPort = 0;
  const configFile = join(newDataDir(), 'airlock.yaml');
  const missingConfig = join(newDataDir(), 'nope.yaml');

  beforeAll(async () => {
    await new Promise<void>((r) => blocker.listen(0, '127.0.0.1', () => r()));
    busyPort = (blocker.address() as net.AddressInfo).port;
    writeFileSync(configFile, 'policies:\n  - name: default\n    action: review\n    timout: 10m\n');
    Object.assign(runs, {
      badFlag: airlock(['serve', '--prot', '9000']),
      badPort: airlock(['serve', '--port', 'eighty']),
      busyPort: airlock(['serve', '--data-dir', newDataDir(), '--port', String(busyPort), '--demo']),
      missingConfig: airlock(['serve', '--data-dir', newDataDir(), '--config', missingConfig, '--demo']),
      unknownKey: airlock(['serve', '--data-dir', newDataDir(), '--config', configFile, '--demo']),
      noPassphrase: airlock(['serve', '--data-dir', newDataDir(), '--demo'], { AIRLOCK_PASSPHRASE: undefined }),
    });
    await Promise.all(Object.values(runs));
  });
  afterAll(() => blocker.close());

  /** The one line a refused command wrote to stderr (after checking it exited non-zero). */
  async function refusal(name: string): Promise<string> {
    const run = await runs[name];
    expect(run.code, run.stderr).not.toBe(0);
    const lines = linesOf(run.stderr);
    expect(lines, run.stderr).toHaveLength(1);
    return lines[0];
  }

  it('a bad flag', async () => {
    expect(await refusal('badFlag')).toMatch(/unknown option '--prot'/);
    expect(await refusal('badPort')).toMatch(/--port.*eighty.*port number/);
  });

  it('a busy port', async () => {
    expect(await refusal('busyPort')).toBe(`airlock: port ${busyPort} on 127.0.0.1 is already in use`);
  });

  it('an unreadable config', async () => {
    expect(await refusal('missingConfig')).toBe(`airlock: cannot read config ${missingConfig}: ENOENT`);
  });

  it('a config with an unknown key names its line', async () => {
    expect(await refusal('unknownKey')).toBe(`airlock: ${configFile}:4: policies.0.timout: unknown key "timout"`);
  });

  it('no passphrase and no terminal to ask on', async () => {
    expect(await refusal('noPassphrase')).toMatch(/AIRLOCK_PASSPHRASE/);
  });
});
