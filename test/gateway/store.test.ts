// The store: no prompt or answer text in plain text anywhere in the data dir or the logs, a wrong passphrase touches nothing,
// and pending requests are closed out at shutdown.
import { createHash } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startGateway, type Gateway } from '../../gateway/server.js';
import { passphraseProtector } from '../../gateway/store/keyring.js';
import { startTestGateway } from '../support/gateway.js';
import { startUpstream, type Upstream } from '../support/upstream.js';
import { anthropicHeaders, approved, openaiHeaders, queued, send, UPSTREAM_KEY, user } from './callers.js';

const PROMPT = 'ZEBRA-PROMPT-7731';
const ANSWER = 'QUOKKA-ANSWER-1189';
const REASON = 'WOMBAT-REASON-4410';
const EDIT = 'OCELOT-EDIT-2207';
const SECRETS = [PROMPT, ANSWER, REASON, EDIT];

let upstream: Upstream;
beforeAll(async () => {
  upstream = await startUpstream();
});
afterAll(() => upstream.close());

/** Every file under `dir`, recursively. */
function filesIn(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? filesIn(join(dir, e.name)) : [join(dir, e.name)]));
}

/** The secrets found in the bytes of every file of the data dir, in the encodings SQLite and JSON could use. */
function plainTextIn(dataDir: string): string[] {
  const found: string[] = [];
  for (const file of filesIn(dataDir)) {
    const bytes = readFileSync(file);
    for (const secret of SECRETS) {
      for (const form of [Buffer.from(secret), Buffer.from(secret.toLowerCase()), Buffer.from(secret, 'utf16le'), Buffer.from(secret.split('-')[0])]) {
        if (bytes.includes(form)) found.push(`${file}: ${form.toString()}`);
      }
    }
  }
  return found;
}

function snapshot(dataDir: string): Record<string, string> {
  return Object.fromEntries(filesIn(dataDir).map((f) => [f, `${statSync(f).mtimeMs} ${createHash('sha256').update(readFileSync(f)).digest('hex')}`]));
}

describe('no plain text at rest', () => {
  it('prompts, answers, reasons and edits appear in no file of the data dir (WAL included) and in no log line', async () => {
    let logs = '';
    const sink = new Writable({
      write(chunk, _enc, cb) {
        logs += chunk.toString();
        cb();
      },
    });
    const gw = await startTestGateway({ upstreamUrl: upstream.url, env: { AIRLOCK_UPSTREAM_KEY: UPSTREAM_KEY }, logger: pino({ level: 'trace' }, sink) });
    const chunks = ['Here ', 'is ', `${ANSWER} `, 'for you.'];
    try {
      const chat = (body: object) => send(`${gw.url}/v1/chat/completions`, { headers: openaiHeaders(gw.callerKey), body: JSON.stringify(body) });
      upstream.next({ kind: 'text', chunks });
      await approved(gw, () => chat({ model: 'gpt-4o', messages: user(`Tell me about ${PROMPT} please`) }));
      upstream.next({ kind: 'text', chunks });
      await approved(gw, () => chat({ model: 'gpt-4o', messages: user(`Stream ${PROMPT}`), stream: true }));
      upstream.next({ kind: 'text', chunks });
      await approved(gw, () => send(`${gw.url}/v1/responses`, { headers: openaiHeaders(gw.callerKey), body: JSON.stringify({ model: 'gpt-4.1', input: `Respond to ${PROMPT}`, stream: true }) }));
      upstream.next({ kind: 'text', chunks });
      await approved(gw, () => send(`${gw.url}/v1/messages`, { headers: anthropicHeaders(gw.callerKey), body: JSON.stringify({ model: 'claude-haiku-4-5', max_tokens: 64, system: `System ${PROMPT}`, messages: user(`Message ${PROMPT}`), stream: true }) }));

      const rejected = chat({ model: 'gpt-4o', messages: user(`Reject ${PROMPT}`) });
      const [toReject] = await queued(gw, 1);
      await gw.api.reject(toReject.id, `Because ${REASON}`);
      await rejected;
      const edited = chat({ model: 'gpt-4o', messages: user(`Edit ${PROMPT}`) });
      const [toEdit] = await queued(gw, 1);
      upstream.next({ kind: 'text', chunks });
      await gw.api.approve(toEdit.id, { body: { model: 'gpt-4o', messages: user(`Edited ${EDIT}`) }, note: `Note ${REASON}` });
      await edited;

      const all = await gw.api.list();
      expect(all).toHaveLength(6);
      for (const r of all) await gw.api.waitForStatus(r.id, ['completed', 'rejected']);
      // The data is there, readable through the API, and found by the encrypted search index.
      expect((await gw.api.get(all[0].id)).editedBody).toEqual({ model: 'gpt-4o', messages: user(`Edited ${EDIT}`) });
      expect((await gw.api.list(`q=${PROMPT.toLowerCase()}`)).length).toBeGreaterThan(0);

      expect(filesIn(gw.dataDir).map((f) => f.slice(gw.dataDir.length + 1))).toEqual(expect.arrayContaining(['airlock.db', 'airlock.db-wal', 'airlock.db-shm', 'keyring.json']));
      // Owner only: nobody else on the machine reads even the sealed store.
      for (const file of filesIn(gw.dataDir)) expect([file, statSync(file).mode & 0o077]).toEqual([file, 0]);
      expect(plainTextIn(gw.dataDir)).toEqual([]);
    } finally {
      await gw.stop();
    }
    expect(plainTextIn(gw.dataDir)).toEqual([]);
    expect(logs.length).toBeGreaterThan(0);
    for (const secret of [...SECRETS, gw.callerKey, gw.reviewerToken, UPSTREAM_KEY]) expect(logs).not.toContain(secret);
  });
});

describe('the passphrase', () => {
  it('a wrong one: startGateway refuses with a clear message and the data dir stays byte-identical', async () => {
    const gw = await startTestGateway({ upstreamUrl: upstream.url, env: { AIRLOCK_UPSTREAM_KEY: UPSTREAM_KEY } });
    const { request } = await approved(gw, () => send(`${gw.url}/v1/chat/completions`, { headers: openaiHeaders(gw.callerKey), body: JSON.stringify({ model: 'gpt-4o', messages: user('remember me') }) }));
    await gw.api.waitForStatus(request.id, 'completed');
    await gw.stop();

    const before = snapshot(gw.dataDir);
    const attempt = startGateway({ dataDir: gw.dataDir, port: 0, keyProtector: passphraseProtector('not the passphrase'), logger: pino({ level: 'silent' }) });
    await expect(attempt).rejects.toThrow(/wrong passphrase/);
    expect(snapshot(gw.dataDir)).toEqual(before);

    const again = await startTestGateway({ dataDir: gw.dataDir, upstreamUrl: upstream.url, env: { AIRLOCK_UPSTREAM_KEY: UPSTREAM_KEY } });
    try {
      expect((await again.api.get(request.id)).response?.text).toBe('Echo: remember me');
    } finally {
      await again.stop();
    }
  });
});

describe('stopping with requests pending', () => {
  it('the pending caller gets 503 gateway_shutdown in its shape, and the request is interrupted, also after a restart', async () => {
    const gw = await startTestGateway({ upstreamUrl: upstream.url, env: { AIRLOCK_UPSTREAM_KEY: UPSTREAM_KEY } });
    const chat = send(`${gw.url}/v1/chat/completions`, { headers: openaiHeaders(gw.callerKey), body: JSON.stringify({ model: 'gpt-4o', messages: user('pending at stop') }) });
    const messages = send(`${gw.url}/v1/messages`, { headers: anthropicHeaders(gw.callerKey), body: JSON.stringify({ model: 'claude-haiku-4-5', max_tokens: 8, messages: user('pending at stop') }) });
    const pending = await queued(gw, 2);
    await gw.stop();

    const chatAnswer = await chat;
    expect(chatAnswer.status).toBe(503);
    expect(JSON.parse(chatAnswer.text)).toEqual({ error: { message: expect.stringMatching(/shut down/), type: 'service_unavailable_error', param: null, code: 'gateway_shutdown' } });
    expect(chatAnswer.headers['x-should-retry']).toBe('false');
    const messagesAnswer = await messages;
    expect(messagesAnswer.status).toBe(503);
    expect(JSON.parse(messagesAnswer.text)).toMatchObject({ type: 'error', error: { type: 'api_error', message: expect.stringMatching(/shut down/) } });

    const again = await startTestGateway({ dataDir: gw.dataDir, upstreamUrl: upstream.url, env: { AIRLOCK_UPSTREAM_KEY: UPSTREAM_KEY } });
    try {
      for (const r of pending) expect((await again.api.get(r.id)).status).toBe('interrupted');
      expect(await again.api.list('status=pending')).toEqual([]);
    } finally {
      await again.stop();
    }
    expect(upstream.requests.filter((r) => r.body?.messages?.[0]?.content === 'pending at stop')).toEqual([]);
  });
});

describe('one gateway per data dir', () => {
  it('two starting at once on a new data dir: one serves, the other is refused before it opens anything, and the store opens again after', async () => {
    const dataDir = join(mkdtempSync(join(tmpdir(), 'airlock-twice-')), 'new');
    const start = () => startGateway({ dataDir, port: 0, demo: true, keyProtector: passphraseProtector('same passphrase'), logger: pino({ level: 'silent' }) });
    const [a, b] = await Promise.allSettled([start(), start()]);
    const started = [a, b].filter((r): r is PromiseFulfilledResult<Gateway> => r.status === 'fulfilled').map((r) => r.value);
    const refused = [a, b].filter((r): r is PromiseRejectedResult => r.status === 'rejected').map((r) => r.reason as Error);
    expect(started).toHaveLength(1);
    expect(refused.map((e) => e.message)).toEqual([expect.stringMatching(/^another Airlock gateway \(pid \d+\) is serving the data dir/)]);
    const key = await started[0].issueCallerKey('app');
    await started[0].stop();

    const again = await start();
    try {
      const answer = await fetch(`${again.url}/v1/models`, { headers: { authorization: `Bearer ${key}` } });
      expect(answer.status).toBe(200);
    } finally {
      await again.stop();
    }
  });
});
