// Helpers for the audit tests: open and rebuild bundles (to tamper with them), record sessions straight into a store,
// and run the `airlock` CLI as a user would.
import { execFile } from 'node:child_process';
import { createWriteStream } from 'node:fs';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';
import yauzl from 'yauzl';
import { ZipFile } from 'yazl';
import type { Decision, RequestStatus } from '../../gateway/api/types.js';
import type { SessionStore } from '../../gateway/store/index.js';

export type Bundle = Map<string, Buffer>;

export async function unzip(source: string | Buffer): Promise<Bundle> {
  const zip = typeof source === 'string' ? await yauzl.openPromise(source, { lazyEntries: true }) : await yauzl.fromBufferPromise(source, { lazyEntries: true });
  const files: Bundle = new Map();
  for await (const entry of zip.eachEntry()) {
    const chunks: Buffer[] = [];
    for await (const chunk of await zip.openReadStreamPromise(entry)) chunks.push(chunk as Buffer);
    files.set(entry.fileName, Buffer.concat(chunks));
  }
  zip.close();
  return files;
}

/** Writes `files` back as a zip, in their order: how someone would repack a bundle after changing it. */
export async function rezip(files: Bundle, out: string): Promise<void> {
  const zip = new ZipFile();
  for (const [name, data] of files) zip.addBuffer(data, name);
  zip.end();
  const sink = createWriteStream(out);
  (zip.outputStream as NodeJS.ReadableStream).pipe(sink);
  await once(sink, 'close');
}

export function lines(data: Buffer): string[] {
  return data.toString('utf8').split('\n').filter((l) => l !== '');
}

export function fromLines(list: string[]): Buffer {
  return Buffer.from(list.map((l) => `${l}\n`).join(''));
}

const CLI = fileURLToPath(new URL('../../bin/airlock.js', import.meta.url));

export function runCli(args: string[], env: NodeJS.ProcessEnv = {}): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, [CLI, ...args], { env: { ...process.env, AIRLOCK_LOG_LEVEL: 'silent', ...env }, timeout: 60_000 }, (err, stdout, stderr) => {
      resolve({ code: err ? ((err as { code?: number }).code ?? 1) : 0, stdout, stderr });
    });
  });
}

export interface SessionSpec {
  id: string;
  createdAt?: number;
  caller?: string;
  prompt?: string;
  answer?: string;
  status?: RequestStatus;
  decisions?: Partial<Decision>[];
}

/** One finished session written through the RequestStore, as the Recorder would. */
export async function recordSession(store: SessionStore, spec: SessionSpec): Promise<void> {
  const createdAt = spec.createdAt ?? Date.now();
  const prompt = spec.prompt ?? `Summarise ticket ${spec.id}`;
  await store.requests.insert({
    id: spec.id,
    createdAt,
    status: 'pending',
    caller: spec.caller ?? 'test-app',
    protocol: 'openai-chat',
    path: '/v1/chat/completions',
    model: 'gpt-4o',
    stream: true,
    policy: null,
    tokens: 12,
    timeoutAt: null,
    convHash: null,
    body: { model: 'gpt-4o', stream: true, messages: [{ role: 'system', content: 'You are terse.' }, { role: 'user', content: prompt }] },
    preview: prompt,
  });
  for (const d of spec.decisions ?? [{ action: 'approve', reviewer: 'alice' }]) {
    await store.requests.addDecision(spec.id, { action: 'approve', reviewer: null, reason: null, note: null, edited: false, at: new Date(createdAt + 1000).toISOString(), ...d });
  }
  const answer = spec.answer ?? `The ticket ${spec.id} is about a billing question.`;
  const words = answer.split(/(?<= )/);
  await store.requests.finish(spec.id, {
    status: spec.status ?? 'completed',
    editedBody: null,
    response: { status: 200, body: null, text: answer },
    error: null,
    timeline: [
      { t: 0, type: 'arrived' },
      { t: 1000, type: 'approved', by: 'alice' },
      { t: 1010, type: 'forwarding' },
      ...words.map((text, i) => ({ t: 1200 + i * 40, type: 'chunk' as const, text })),
      { t: 1300 + words.length * 40, type: 'completed' },
    ],
    upstreamStatus: 200,
    searchText: `${prompt}\n${answer}`,
  });
}
