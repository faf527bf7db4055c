// Answer masking through the real SDKs: secrets and personal data split over many stream chunks never reach the
// caller (SDK objects, raw bytes, closing events) nor the record, in all three stream formats and in JSON answers;
// and the hold-back does not delay the first text.
import type Anthropic from '@anthropic-ai/sdk';
import type OpenAI from 'openai';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { RequestDetail } from '../../gateway/api/types.js';
import { anthropicHeaders, collect, openaiHeaders, parseSse, send, startRig, user, type Rig } from '../gateway/callers.js';
import { fixed, pseudo } from './masking/samples.js';

const LOWER = 'abcdefghijklmnopqrstuvwxyz';
const ALNUM = `ABCDEFGHIJKLMNOPQRSTUVWXYZ${LOWER}0123456789`;
const SECRETS = {
  openai: `sk-proj-${pseudo(ALNUM, 40, 101)}`,
  aws: `AKIA${pseudo('ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789', 16, 102)}`,
  // Random words, so that no 4-character piece of the address is also a piece of ordinary JSON ("completion").
  email: `${pseudo(LOWER, 6, 103)}.${pseudo(LOWER, 5, 104)}@${pseudo(LOWER, 8, 105)}.io`,
  card: fixed.card,
};
const ANSWER = `Use the key ${SECRETS.openai} with the AWS id ${SECRETS.aws}; write to ${SECRETS.email} and pay by ${SECRETS.card}. Done.`;
const MASKED = 'Use the key [SECRET:openai] with the AWS id [SECRET:aws]; write to [EMAIL] and pay by [CARD]. Done.';

/** The answer cut into pieces of 1 to 13 characters (many of them single characters), so every secret spans several. */
function pieces(text: string): string[] {
  const sizes = [1, 1, 2, 1, 3, 5, 1, 8, 2, 13];
  const out: string[] = [];
  for (let at = 0, i = 0; at < text.length; i++) {
    out.push(text.slice(at, at + sizes[i % sizes.length]));
    at += sizes[i % sizes.length];
  }
  return out;
}
const CHUNKS = pieces(ANSWER);

/** Every 4-character piece of a secret that shows up in `text` (none may). */
function leaks(text: string): string[] {
  const found = new Set<string>();
  for (const secret of Object.values(SECRETS)) {
    for (let i = 0; i + 4 <= secret.length; i++) if (text.includes(secret.slice(i, i + 4))) found.add(secret.slice(i, i + 4));
  }
  return [...found];
}

let rig: Rig;
let openai: OpenAI;
let anthropic: Anthropic;

beforeAll(async () => {
  rig = await startRig({ config: { policies: [{ name: 'let-through', action: 'approve' }] } });
  openai = rig.openai();
  anthropic = rig.anthropic();
});
afterAll(() => rig.close());
beforeEach(() => rig.upstream.reset());

it('the test answer is what it claims: every secret is split over several chunks, some of one character', () => {
  expect(CHUNKS.join('')).toBe(ANSWER);
  expect(CHUNKS.filter((c) => c.length === 1).length).toBeGreaterThan(10);
  for (const secret of Object.values(SECRETS)) {
    const start = ANSWER.indexOf(secret);
    let at = 0;
    const spanned = CHUNKS.filter((c) => {
      const [from, to] = [at, (at += c.length)];
      return from < start + secret.length && to > start;
    });
    expect(spanned.length).toBeGreaterThanOrEqual(3);
  }
  expect(leaks(MASKED)).toEqual([]);
});

/** Waits until the request's record is written (the store's status is final), and returns it as the API shows it. */
async function recorded(id: string): Promise<RequestDetail> {
  await rig.gw.api.waitFor(async () => ((await rig.gw.api.list('status=completed')).some((r) => r.id === id) ? true : undefined), 5000, `the record of ${id}`);
  return rig.gw.api.get(id);
}

/** The record of a finished request: the masked answer in its response (and a stream's timeline chunks), nothing raw. */
async function expectRecordMasked(id: string): Promise<void> {
  await recorded(id);
  const session = await rig.gw.api.session(id);
  expect(session.request.response?.text).toBe(MASKED);
  if (session.request.stream) {
    const chunks = session.timeline.filter((e) => e.type === 'chunk');
    expect(chunks.map((e) => e.text ?? '').join('')).toBe(MASKED);
  }
  expect(leaks(JSON.stringify(session))).toEqual([]);
}

/** No file in the data dir holds a secret in the clear (the store encrypts; this guards against a plain side file). */
function expectDataDirClean(): void {
  const files = readdirSync(rig.gw.dataDir, { recursive: true, withFileTypes: true }).filter((f) => f.isFile());
  expect(files.length).toBeGreaterThan(0);
  for (const file of files) {
    const bytes = readFileSync(join(file.parentPath, file.name));
    for (const secret of Object.values(SECRETS)) expect(bytes.includes(secret), `${file.name} holds a secret`).toBe(false);
  }
}

describe('streams: a secret split across chunks never reaches the caller or the record', () => {
  it('chat completions', async () => {
    rig.upstream.next({ kind: 'text', chunks: CHUNKS });
    const { data, response } = await openai.chat.completions.create({ model: 'gpt-4o', messages: user('the credentials, please'), stream: true }).withResponse();
    const chunks = await collect(data);
    const text = chunks.map((c) => c.choices[0]?.delta.content ?? '').join('');
    expect(text).toBe(MASKED);
    expect(leaks(JSON.stringify(chunks))).toEqual([]);
    await expectRecordMasked(response.headers.get('x-airlock-request-id')!);
  });

  it('Responses, including output_text.done and response.completed', async () => {
    rig.upstream.next({ kind: 'text', chunks: CHUNKS });
    const { data, response } = await openai.responses.create({ model: 'gpt-4.1', input: 'the credentials, please', stream: true }).withResponse();
    const events = await collect(data);
    const text = events.map((e) => (e.type === 'response.output_text.delta' ? e.delta : '')).join('');
    expect(text).toBe(MASKED);
    const done = events.find((e) => e.type === 'response.output_text.done');
    expect(done?.type === 'response.output_text.done' && done.text).toBe(MASKED);
    const completed = events.find((e) => e.type === 'response.completed');
    const output = completed?.type === 'response.completed' ? completed.response.output[0] : undefined;
    expect(output?.type === 'message' && output.content[0]).toMatchObject({ type: 'output_text', text: MASKED });
    expect(leaks(JSON.stringify(events))).toEqual([]);
    await expectRecordMasked(response.headers.get('x-airlock-request-id')!);
  });

  it('Anthropic messages, and the SDK-assembled final message', async () => {
    rig.upstream.next({ kind: 'text', chunks: CHUNKS });
    const { data, response } = await anthropic.messages.create({ model: 'claude-haiku-4-5', max_tokens: 256, messages: user('the credentials, please'), stream: true }).withResponse();
    const events = await collect(data);
    const text = events.map((e) => (e.type === 'content_block_delta' && e.delta.type === 'text_delta' ? e.delta.text : '')).join('');
    expect(text).toBe(MASKED);
    expect(leaks(JSON.stringify(events))).toEqual([]);
    await expectRecordMasked(response.headers.get('x-airlock-request-id')!);

    rig.upstream.next({ kind: 'text', chunks: CHUNKS });
    const final = await anthropic.messages.stream({ model: 'claude-haiku-4-5', max_tokens: 256, messages: user('again') }).finalMessage();
    expect(final.content).toEqual([expect.objectContaining({ type: 'text', text: MASKED })]);
  });

  it.each([
    ['chat completions', '/v1/chat/completions', 'openai', { model: 'gpt-4o', messages: user('raw'), stream: true }],
    ['Responses', '/v1/responses', 'openai', { model: 'gpt-4.1', input: 'raw', stream: true }],
    ['Anthropic messages', '/v1/messages', 'anthropic', { model: 'claude-haiku-4-5', max_tokens: 256, messages: user('raw'), stream: true }],
  ] as const)('%s: the raw bytes hold no piece of a secret and are still valid SSE', async (_name, path, family, body) => {
    rig.upstream.next({ kind: 'text', chunks: CHUNKS });
    const headers = family === 'openai' ? openaiHeaders(rig.gw.callerKey) : anthropicHeaders(rig.gw.callerKey);
    const res = await send(`${rig.gw.url}${path}`, { headers, body: JSON.stringify(body) });
    expect(res.status).toBe(200);
    expect(leaks(res.text)).toEqual([]);
    expect(res.text).toContain('[SECRET:openai]');
    for (const message of parseSse(res.text)) if (message.data !== '[DONE]') expect(() => JSON.parse(message.data)).not.toThrow();
    await recorded(res.headers['x-airlock-request-id']);
    expectDataDirClean();
  });
});

describe('JSON answers are masked whole', () => {
  it('chat completions', async () => {
    rig.upstream.next({ kind: 'text', text: ANSWER });
    const { data, response } = await openai.chat.completions.create({ model: 'gpt-4o', messages: user('the credentials, please') }).withResponse();
    expect(data.choices[0].message.content).toBe(MASKED);
    expect(leaks(JSON.stringify(data))).toEqual([]);
    await expectRecordMasked(response.headers.get('x-airlock-request-id')!);
  });

  it('Responses', async () => {
    rig.upstream.next({ kind: 'text', text: ANSWER });
    const answer = await openai.responses.create({ model: 'gpt-4.1', input: 'the credentials, please' });
    expect(answer.output_text).toBe(MASKED);
    expect(leaks(JSON.stringify(answer))).toEqual([]);
  });

  it('Anthropic messages', async () => {
    rig.upstream.next({ kind: 'text', text: ANSWER });
    const message = await anthropic.messages.create({ model: 'claude-haiku-4-5', max_tokens: 256, messages: user('the credentials, please') });
    expect(message.content).toEqual([expect.objectContaining({ type: 'text', text: MASKED })]);
    expect(leaks(JSON.stringify(message))).toEqual([]);
  });
});

describe('the hold-back does not delay the stream', () => {
  const PROSE = ['The ', 'answer ', 'comes ', 'in ', 'slow ', 'pieces ', 'of ', 'prose.'];

  it('the first text reaches the SDK while the upstream is still streaming, and each piece arrives on its own', async () => {
    rig.upstream.next({ kind: 'text', chunks: PROSE, delayMs: 150 });
    const { data, response } = await openai.chat.completions.create({ model: 'gpt-4o', messages: user('slowly'), stream: true }).withResponse();
    const id = response.headers.get('x-airlock-request-id')!;
    const arrivals: { text: string; at: number }[] = [];
    let statusAtFirst: string | undefined;
    let upstreamChunksAtFirst = 0;
    for await (const chunk of data) {
      const text = chunk.choices[0]?.delta.content;
      if (!text) continue;
      arrivals.push({ text, at: Date.now() });
      if (arrivals.length === 1) {
        // At this moment the gateway's live record shows how far the upstream has got.
        const live = await rig.gw.api.session(id);
        statusAtFirst = live.request.status;
        upstreamChunksAtFirst = live.timeline.filter((e) => e.type === 'chunk' && e.text).length;
      }
    }
    expect(arrivals.map((a) => a.text).join('')).toBe(PROSE.join(''));
    expect(statusAtFirst).toBe('forwarding');
    expect(upstreamChunksAtFirst).toBeLessThan(PROSE.length / 2);
    // One SDK chunk per upstream piece: nothing was gathered up and sent late.
    expect(arrivals.length).toBe(PROSE.length);
    for (let i = 1; i < arrivals.length; i++) expect(arrivals[i].at).toBeGreaterThan(arrivals[i - 1].at);

    await rig.gw.api.waitForStatus(id, 'completed');
    const session = await rig.gw.api.session(id);
    const textChunks = session.timeline.filter((e) => e.type === 'chunk' && e.text);
    const upstreamDone = Date.parse(session.request.createdAt) + textChunks.at(-1)!.t;
    expect(arrivals[0].at).toBeLessThan(upstreamDone);
  });
});
