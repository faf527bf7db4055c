// Further bench sections: masking throughput and per-chunk cost, and (when present) the audit export of 10,000 sessions.
import { existsSync } from 'node:fs';
import { mkdtempSync } from 'node:fs';
import http from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { validateConfig } from '../gateway/config/load.js';
import { createMasker } from '../gateway/guard/masking/index.js';
import { startGateway } from '../gateway/server.js';
import { passphraseProtector } from '../gateway/store/keyring.js';
import { startUpstream } from '../test/support/upstream.js';
import { benchHistory } from './history.js';

function prose(bytes: number): string {
  const words = 'the quick reviewer approved a request from the agent and the answer streamed back token by token while nothing secret was in it'.split(' ');
  let out = '';
  let i = 0;
  while (out.length < bytes) {
    out += `${words[i % words.length]} `;
    if (i % 997 === 0) out += 'mail ops@example.com key sk-proj-abcdefghijklmnopqrstuvwxyz0123456789ABCD ';
    i++;
  }
  return out;
}

/** The engine alone: a long answer pushed in small deltas, as a stream masker sees it. */
function engine(): { mbPerSec: number; usPerChunk: number; chunks: number } {
  const masker = createMasker();
  const text = prose(4 * 1024 * 1024);
  const chunks = text.match(/.{1,24}/gs) ?? [];
  const stream = masker.stream();
  const start = performance.now();
  for (const c of chunks) stream.push(c);
  stream.flush();
  const ms = performance.now() - start;
  return { mbPerSec: text.length / 1024 / 1024 / (ms / 1000), usPerChunk: (ms * 1000) / chunks.length, chunks: chunks.length };
}

/** Through the gateway: one large streamed answer, with masking on and off. */
async function throughGateway(masking: boolean): Promise<number> {
  const upstream = await startUpstream();
  const text = prose(2 * 1024 * 1024);
  upstream.setDefault({ kind: 'text', text, chunks: text.match(/.{1,64}/gs) ?? [] });
  const gateway = await startGateway({
    dataDir: mkdtempSync(join(tmpdir(), 'airlock-bench-mask-')),
    port: 0,
    keyProtector: passphraseProtector('bench'),
    upstreamUrl: upstream.url,
    env: { AIRLOCK_UPSTREAM_KEY: 'sk-bench' },
    logger: pino({ level: 'warn' }),
    config: validateConfig({ policies: [{ name: 'bench', action: 'approve' }], ...(masking ? {} : { masking: false }) }),
  });
  const key = await gateway.issueCallerKey('bench');
  const body = JSON.stringify({ model: 'm', stream: true, messages: [{ role: 'user', content: 'long answer please' }] });
  const runs: number[] = [];
  for (let i = 0; i < 3; i++) {
    const start = performance.now();
    let bytes = 0;
    await new Promise<void>((resolve, reject) => {
      const req = http.request(`${gateway.url}/v1/chat/completions`, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${key}` } }, (res) => {
        res.on('data', (d: Buffer) => (bytes += d.length));
        res.on('end', () => resolve());
      });
      req.on('error', reject);
      req.end(body);
    });
    runs.push(bytes / 1024 / 1024 / ((performance.now() - start) / 1000));
  }
  await gateway.stop();
  await upstream.close();
  return runs.sort((a, b) => a - b)[1];
}

export async function extraSections(): Promise<string> {
  const e = engine();
  const on = await throughGateway(true);
  const off = await throughGateway(false);
  process.stdout.write(`masking engine: ${e.mbPerSec.toFixed(1)} MB/s, ${e.usPerChunk.toFixed(2)} µs per chunk; gateway stream ${on.toFixed(1)} MB/s masked, ${off.toFixed(1)} MB/s unmasked\n`);
  let out = `
## Masking while streaming

| measure | value |
|---|---|
| engine alone: 4 MB of prose with secrets in 24-character deltas | ${e.mbPerSec.toFixed(1)} MB/s, ${e.usPerChunk.toFixed(2)} µs added per chunk (${e.chunks.toLocaleString('en')} chunks) |
| through Airlock: one 2 MB streamed answer (64-character deltas), masking on | ${on.toFixed(1)} MB/s of SSE |
| the same, masking off | ${off.toFixed(1)} MB/s of SSE |
`;
  const history = await benchHistory(Number(process.env.BENCH_HISTORY ?? 100_000));
  process.stdout.write(`history of ${history.sessions} sessions: ${JSON.stringify(history.ms)}\n`);
  out += `
## History with ${history.sessions.toLocaleString('en')} sessions

The reviewer API as the console's History screen calls it (median of 5, ms), on a store of ${history.sessions.toLocaleString('en')} recorded
sessions (filled in ${history.fillSeconds.toFixed(0)} s). Word search uses the encrypted index (keyed hashes of words).

| query | ms |
|---|---|
${Object.entries(history.ms).map(([k, v]) => `| ${k} | ${v.toFixed(1)} |`).join('\n')}
`;
  const auditBench = new URL('../gateway/audit/bench.ts', import.meta.url);
  if (existsSync(auditBench)) {
    const { benchExport } = (await import(auditBench.href)) as { benchExport: (n: number) => Promise<{ seconds: number; peakRssMb: number }> };
    const r = await benchExport(10_000);
    process.stdout.write(`export of 10,000 sessions: ${r.seconds.toFixed(1)} s, peak RSS ${r.peakRssMb.toFixed(0)} MB\n`);
    out += `
## Audit export

Export of 10,000 sessions to a signed bundle: ${r.seconds.toFixed(1)} s, peak RSS ${r.peakRssMb.toFixed(0)} MB.
`;
  }
  return out;
}
