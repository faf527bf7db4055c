// History at scale, for `npm run bench`: 100,000 recorded sessions, then the reviewer API's list, paging,
// filters and word search as the console's History screen calls them.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { validateConfig } from '../gateway/config/load.js';
import { startGateway } from '../gateway/server.js';
import { openSessionStore } from '../gateway/store/index.js';
import { passphraseProtector } from '../gateway/store/keyring.js';

const PASSPHRASE = 'bench history';

export interface HistoryBench {
  sessions: number;
  fillSeconds: number;
  ms: Record<string, number>;
}

export async function benchHistory(n = 100_000): Promise<HistoryBench> {
  const dataDir = mkdtempSync(join(tmpdir(), 'airlock-bench-history-'));
  const started = performance.now();
  const store = await openSessionStore(dataDir, passphraseProtector(PASSPHRASE));
  const base = Date.now() - n * 1000;
  for (let from = 0; from < n; from += 500) {
    // Queued together, written together: the store batches them (as it does a busy gateway's).
    const writes: Promise<void>[] = [];
    for (let i = from; i < Math.min(n, from + 500); i++) {
      const id = `req_hist${String(i).padStart(8, '0')}`;
      const text = `Please review invoice ${i} for customer batch${i % 1000} and summarise the open items.`;
      writes.push(
        store.requests.insert({
          id, createdAt: base + i * 1000, status: 'pending', caller: `app-${i % 7}`, protocol: 'openai-chat', path: '/v1/chat/completions', model: i % 3 ? 'gpt-4o' : 'gpt-4o-mini',
          stream: false, policy: null, tokens: 20, timeoutAt: null, convHash: null, body: { model: 'gpt-4o', messages: [{ role: 'user', content: text }] }, preview: text,
        }),
        store.requests.finish(id, {
          status: i % 10 === 0 ? 'rejected' : 'completed', editedBody: null, response: { status: 200, body: null, text: 'Two items are open.' }, error: null,
          timeline: [{ t: 0, type: 'arrived' }], upstreamStatus: 200, searchText: text,
        }),
      );
    }
    await Promise.all(writes);
  }
  await store.requests.flushTerms();
  await store.close();
  const fillSeconds = (performance.now() - started) / 1000;

  const gateway = await startGateway({ dataDir, port: 0, keyProtector: passphraseProtector(PASSPHRASE), logger: pino({ level: 'warn' }), config: validateConfig({}) });
  const token = await gateway.issueReviewerToken('bench', 'admin');
  const get = async (path: string): Promise<{ ms: number; body: { items: { id: string }[]; next: string | null } }> => {
    const runs: number[] = [];
    let body!: { items: { id: string }[]; next: string | null };
    for (let i = 0; i < 5; i++) {
      const t = performance.now();
      const res = await fetch(`${gateway.url}/api/v1${path}`, { headers: { authorization: `Bearer ${token}` } });
      body = (await res.json()) as typeof body;
      runs.push(performance.now() - t);
    }
    return { ms: runs.sort((a, b) => a - b)[2], body };
  };
  const ms: Record<string, number> = {};
  const first = await get('/requests?limit=50');
  ms['newest 50'] = first.ms;
  let cursor = first.body.next;
  for (let page = 0; page < 20 && cursor; page++) cursor = (await get(`/requests?limit=50&cursor=${cursor}`)).body.next;
  ms['page 21 (cursor)'] = (await get(`/requests?limit=50&cursor=${cursor}`)).ms;
  ms['status=rejected & caller'] = (await get('/requests?status=rejected&caller=app-3&limit=50')).ms;
  ms['word search (100 hits)'] = (await get('/requests?q=batch417&limit=50')).ms;
  ms['two-word search'] = (await get('/requests?q=invoice%2042017&limit=50')).ms;
  ms['since/until window'] = (await get(`/requests?since=${new Date(base + 50_000_000).toISOString()}&until=${new Date(base + 50_500_000).toISOString()}&limit=50`)).ms;
  await gateway.stop();
  rmSync(dataDir, { recursive: true, force: true });
  return { sessions: n, fillSeconds, ms };
}
