// Export at scale, for `npm run bench`: n recorded sessions (written through the RequestStore, so each has its chain
// events), then one masked export; reports the export's wall time and the process's peak RSS while it ran.
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openSessionStore, type SessionStore } from '../store/index.js';
import { passphraseProtector } from '../store/keyring.js';
import { exportToFile } from './export.js';

const PROMPT = 'Summarise the attached support ticket in three bullet points and suggest a reply. '.repeat(12);
const ANSWER_WORDS = 'The customer reports a failed card payment on the annual plan and asks for a refund of the duplicate charge. '.repeat(5).split(/(?<= )/);

/** Queues one session's writes (the store batches them); resolves once they are in. */
function record(store: SessionStore, i: number, createdAt: number): Promise<unknown> {
  const id = `req_bench${String(i).padStart(7, '0')}`;
  const inserted = store.requests.insert({
    id, createdAt, status: 'pending', caller: `app-${i % 7}`, protocol: 'openai-chat', path: '/v1/chat/completions', model: i % 3 ? 'gpt-4o' : 'gpt-4o-mini',
    stream: true, policy: null, tokens: 240, timeoutAt: null, convHash: null,
    body: { model: 'gpt-4o', stream: true, messages: [{ role: 'system', content: 'You are a support assistant.' }, { role: 'user', content: `${PROMPT} Ticket ${i}, reply to user${i}@example.com.` }] },
    preview: PROMPT.slice(0, 80),
  });
  const rejected = i % 10 === 0;
  const decided = store.requests.addDecision(id, { action: rejected ? 'reject' : 'approve', reviewer: `reviewer-${i % 4}`, reason: rejected ? 'contains customer data' : null, note: null, edited: false, at: new Date(createdAt + 4000).toISOString() });
  const finished = store.requests.finish(id, {
    status: rejected ? 'rejected' : 'completed',
    editedBody: null,
    response: rejected ? null : { status: 200, body: null, text: ANSWER_WORDS.join('') },
    error: rejected ? { code: 'approval_rejected', message: 'Rejected by reviewer: contains customer data' } : null,
    timeline: [
      { t: 0, type: 'arrived' },
      { t: 4000, type: rejected ? 'rejected' : 'approved', by: `reviewer-${i % 4}` },
      ...(rejected ? [] : ANSWER_WORDS.map((text, k) => ({ t: 4200 + k * 25, type: 'chunk' as const, text, raw: `data: ${JSON.stringify({ choices: [{ delta: { content: text } }] })}\n\n` }))),
    ],
    upstreamStatus: rejected ? null : 200,
    searchText: PROMPT,
  });
  return Promise.all([inserted, decided, finished]);
}

export interface ExportBench {
  seconds: number;
  /** The process's peak RSS while exporting. */
  peakRssMb: number;
  /** RSS just before the export (the store and n recorded sessions' worth of process). */
  rssBeforeMb: number;
  bundleMb: number;
  sessions: number;
}

export async function benchExport(n = 10_000): Promise<ExportBench> {
  const dataDir = mkdtempSync(join(tmpdir(), 'airlock-bench-export-'));
  const store = await openSessionStore(dataDir, passphraseProtector('bench passphrase'));
  try {
    const start = Date.now() - n * 60_000;
    for (let from = 0; from < n; from += 200) {
      const batch: Promise<unknown>[] = [];
      for (let i = from; i < Math.min(n, from + 200); i++) batch.push(record(store, i, start + i * 60_000));
      await Promise.all(batch);
    }
    global.gc?.();
    const before = process.memoryUsage.rss();
    let peak = before;
    const sampler = setInterval(() => (peak = Math.max(peak, process.memoryUsage.rss())), 20);
    const file = join(dataDir, 'bench.zip');
    const t0 = performance.now();
    const { manifest } = await exportToFile(store, file, { content: 'masked', exporter: { name: 'bench', via: 'cli', role: null } });
    const seconds = (performance.now() - t0) / 1000;
    clearInterval(sampler);
    peak = Math.max(peak, process.memoryUsage.rss());
    const mb = (bytes: number) => Math.round(bytes / 1048576);
    return { seconds: Math.round(seconds * 100) / 100, peakRssMb: mb(peak), rssBeforeMb: mb(before), bundleMb: Math.round(statSync(file).size / 104857.6) / 10, sessions: manifest.counts.sessions };
  } finally {
    await store.close();
    rmSync(dataDir, { recursive: true, force: true });
  }
}
