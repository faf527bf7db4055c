// `npm run bench`: the same requests direct to the upstream stand-in, through a bare node:http pass-through,
// and through Airlock (recording and encryption on), in one run; writes docs/BENCHMARKS.md.
import http from 'node:http';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus, tmpdir, totalmem } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { validateConfig } from '../gateway/config/load.js';
import { startGateway } from '../gateway/server.js';
import { passphraseProtector } from '../gateway/store/keyring.js';
import { startUpstream } from '../test/support/upstream.js';
import { extraSections } from './sections.js';
import { agent, run, type Result } from './load.js';
import { startPassThrough } from './pass-through.js';
import { BENCH_ANSWER, separateProcesses, startProcess, type ProcessRow } from './processes.js';

const SEQUENTIAL = Number(process.env.BENCH_SEQUENTIAL ?? 2000);
const CONCURRENT_TOTAL = Number(process.env.BENCH_CONCURRENT ?? 2000);
const CONCURRENCY = 10;
const PENDING = Number(process.env.BENCH_PENDING ?? 10_000);

/** 10,000 requests held at once by a gateway in its own process: its memory while they wait. */
async function pendingMemory(count: number): Promise<{ rssBeforeMb: number; rssHeldMb: number; perRequestKb: number; heldOk: boolean }> {
  const dataDir = mkdtempSync(join(tmpdir(), 'airlock-bench-pending-'));
  const [child, url] = await startProcess(['bin/airlock.js', 'serve', '--demo', '--port', '0', '--data-dir', dataDir], { AIRLOCK_PASSPHRASE: 'bench', AIRLOCK_LOG_LEVEL: 'warn' }, /running at (http:\/\/\S+)/);
  await new Promise((r) => setTimeout(r, 300));
  const key = (/Use this as the API key[^\n]*\n\s*(\S+)/.exec(child.output()) ?? [])[1];
  const rss = () => Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${child.process.pid}/status`, 'utf8'))![1]) / 1024;
  const rssBeforeMb = rss();
  const heldAgent = new http.Agent({ keepAlive: false, maxSockets: Infinity });
  const body = JSON.stringify({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'hold me' }] });
  const reqs: http.ClientRequest[] = [];
  for (let i = 0; i < count; i++) {
    const req = http.request(`${url}/v1/chat/completions`, { method: 'POST', agent: heldAgent, headers: { 'content-type': 'application/json', authorization: `Bearer ${key}` } });
    req.on('error', () => undefined);
    req.end(body.replace('hold me', `hold me ${i}`));
    reqs.push(req);
    if (i % 500 === 499) await new Promise((r) => setTimeout(r, 20));
  }
  let held = 0;
  for (let i = 0; i < 300; i++) {
    held = ((await (await fetch(`${url}/healthz`)).json()) as { pending: number }).pending;
    if (held >= count) break;
    await new Promise((r) => setTimeout(r, 100));
  }
  const rssHeldMb = rss();
  for (const req of reqs) req.destroy();
  await child.stop();
  return { rssBeforeMb, rssHeldMb, perRequestKb: ((rssHeldMb - rssBeforeMb) * 1024) / count, heldOk: held >= count };
}

async function main(): Promise<void> {
  const upstream = await startUpstream();
  upstream.setDefault({ kind: 'text', text: BENCH_ANSWER });
  const passThrough = await startPassThrough(upstream.url);
  const dataDir = mkdtempSync(join(tmpdir(), 'airlock-bench-'));
  const gateway = await startGateway({
    dataDir,
    port: 0,
    keyProtector: passphraseProtector('bench'),
    upstreamUrl: upstream.url,
    env: { AIRLOCK_UPSTREAM_KEY: 'sk-bench-upstream' },
    logger: pino({ level: 'warn' }),
    config: validateConfig({ policies: [{ name: 'bench', action: 'approve' }] }),
  });
  const callerKey = await gateway.issueCallerKey('bench');
  const targets = [
    { name: 'direct', url: upstream.url, headers: { authorization: 'Bearer sk-bench-upstream' } },
    { name: 'node:http pass-through', url: passThrough.url, headers: { authorization: 'Bearer sk-bench-upstream' } },
    { name: 'Airlock', url: gateway.url, headers: { authorization: `Bearer ${callerKey}` } },
  ];
  const rows: string[] = [];
  const summary: Record<string, Record<string, Result>> = {};
  for (const [label, stream, total, concurrency] of [
    ['sequential, JSON', false, SEQUENTIAL, 1],
    ['sequential, streamed', true, SEQUENTIAL, 1],
    ['10 concurrent, JSON', false, CONCURRENT_TOTAL, CONCURRENCY],
    ['10 concurrent, streamed', true, CONCURRENT_TOTAL, CONCURRENCY],
  ] as const) {
    summary[label] = {};
    for (const t of targets) {
      const r = await run(t.url, t.headers, stream, total, concurrency);
      summary[label][t.name] = r;
      rows.push(`| ${label} | ${t.name} | ${r.p50.toFixed(2)} | ${r.p99.toFixed(2)} | ${stream ? r.ttfb50.toFixed(2) : '–'} | ${r.rps.toFixed(0)} |`);
      process.stdout.write(`${label.padEnd(26)} ${t.name.padEnd(24)} p50 ${r.p50.toFixed(2)} ms  p99 ${r.p99.toFixed(2)} ms  ttfb50 ${r.ttfb50.toFixed(2)} ms  ${r.rps.toFixed(0)} req/s\n`);
    }
  }
  const { lines: added, ratios } = addedLatency(Object.entries(summary).map(([label, byTarget]) => ({ label, byTarget })));
  const met = ratios.every((r) => r <= 1.5);
  const verdict = met
    ? 'The 1.5× target is **met** in every workload.'
    : `The 1.5× target is **not met**: Airlock adds ${Math.min(...ratios).toFixed(1)}× to ${Math.max(...ratios).toFixed(1)}× what the bare pass-through adds.`;
  await gateway.stop();
  await passThrough.close();
  process.stdout.write('the same, sequential, with the stand-in, the pass-through and `airlock serve` each in its own process…\n');
  const own = addedLatency(await separateProcesses(SEQUENTIAL));
  if (process.env.BENCH_ONLY === 'latency') {
    process.stdout.write(`${added.join('\n')}\n${own.lines.join('\n')}\n(BENCH_ONLY=latency: docs/BENCHMARKS.md left as it is)\n`);
    await upstream.close();
    agent.destroy();
    return;
  }

  process.stdout.write(`holding ${PENDING} pending requests in a separate gateway process…\n`);
  const pending = await pendingMemory(PENDING);
  process.stdout.write(`pending: ${JSON.stringify(pending)}\n`);
  const extra = await extraSections();
  await upstream.close();

  const doc = `# Benchmarks

Measured by \`npm run bench\` (bench/run.ts) on ${new Date().toISOString().slice(0, 10)}, ${cpus().length} cores, ${Math.round(totalmem() / 2 ** 30)} GiB, Node ${process.version}.
The same requests go to the upstream stand-in directly, through a bare \`node:http\` pass-through, and through Airlock
(auto-approving policy, SQLite recording and AES-256-GCM encryption on), in one run. Latencies in milliseconds.

| workload | target | p50 | p99 | first byte p50 | req/s |
|---|---|---|---|---|---|
${rows.join('\n')}

## Added latency (p50 minus direct)

Target: Airlock's added p50 no more than 1.5× the bare pass-through's; no added delay before the first streamed chunk.

| workload | pass-through adds | Airlock adds | ratio | Airlock first byte minus pass-through |
|---|---|---|---|---|
${added.join('\n')}

### Each in its own process

As Airlock is deployed: the stand-in, the pass-through and \`airlock serve\` (from the CLI, with its config file and
caller key) each run in a process of their own, and the load comes from the bench's process. Sequential requests only:
with two cores, concurrent load would measure four processes fighting for them.

| workload | pass-through adds | Airlock adds | ratio | Airlock first byte minus pass-through |
|---|---|---|---|---|
${own.lines.join('\n')}

## Reading these numbers

${verdict}

Recording and encryption stay on the request's path, but SQLite no longer does. Before a request is forwarded, Airlock
seals its body and preview with a fresh session key and appends them to the journal (\`journal/\` in the data dir, one
synchronous write). Before the caller gets the answer's last bytes, it seals the answer and the timeline and appends
them the same way. SQLite gets both a few milliseconds later: all the writes queued in that time go in one transaction,
as literal SQL in a single \`exec\` (a handful of thread-pool round trips per batch, not one per statement), with one
signed audit-chain head per batch. A gateway killed in between replays its journal on the next start (tested with
SIGKILL). Under load the batches grow, and the signatures and round trips are shared.

Why 1.5× of a bare pass-through is out of reach: on a warm loopback the pass-through adds only a few tens of
microseconds, because it parses nothing and writes nothing. Airlock's work per request, even with SQLite off the path,
costs more than that on its own:
- reading and parsing the JSON body, checking the caller key, and policy;
- a session key and four AES-256-GCM seals;
- two journal appends;
- masking the answer;
- keyed hashes for conversation linking and search.

In this benchmark the client, the stand-in and both proxies share one Node process and its two cores, so every
microsecond of that CPU shows in the latency. The 10-concurrent rows measure CPU per request more than latency.

Each in its own process, as Airlock is deployed, the pass-through adds what a hop between processes costs, and
Airlock adds ${Math.min(...own.ratios).toFixed(1)}× to ${Math.max(...own.ratios).toFixed(1)}× that. The difference is Airlock's own work per request, which the list above accounts
for. Against a real model, which takes hundreds of milliseconds to its first token, it is well under 1% of a call.

Before the journal and batched writes, the same benchmark gave these figures, with two awaited SQLite transactions per
request:
- sequential JSON: Airlock added 2.29 ms (25.8× the pass-through);
- 10 concurrent: 550 req/s for JSON and 373 req/s streamed.

## ${PENDING.toLocaleString('en')} requests held at once

A gateway in its own process (\`airlock serve --demo\`), ${PENDING.toLocaleString('en')} concurrent non-streamed requests all waiting for review:
all held: ${pending.heldOk ? 'yes' : 'NO'}; RSS before ${pending.rssBeforeMb.toFixed(0)} MB, while holding ${pending.rssHeldMb.toFixed(0)} MB (${pending.perRequestKb.toFixed(1)} KB per held request, sockets included).
${extra}`;
  writeFileSync('docs/BENCHMARKS.md', doc);
  process.stdout.write('wrote docs/BENCHMARKS.md\n');
  agent.destroy();
}

/** Each workload's p50 over direct, for the pass-through and for Airlock, and the ratio the target is about. */
function addedLatency(rows: ProcessRow[]): { lines: string[]; ratios: number[] } {
  const lines: string[] = [];
  const ratios: number[] = [];
  for (const { label, byTarget } of rows) {
    const direct = byTarget.direct;
    const bare = byTarget['node:http pass-through'];
    const airlock = byTarget.Airlock;
    const bareAdded = bare.p50 - direct.p50;
    const airlockAdded = airlock.p50 - direct.p50;
    const ratio = airlockAdded / Math.max(bareAdded, 0.001);
    ratios.push(ratio);
    lines.push(`| ${label} | ${bareAdded.toFixed(3)} | ${airlockAdded.toFixed(3)} | ${ratio.toFixed(2)}× | ${(airlock.ttfb50 - bare.ttfb50).toFixed(3)} |`);
  }
  return { lines, ratios };
}

main().then(
  () => process.exit(0),
  (err) => {
    process.stderr.write(`bench failed: ${(err as Error).stack}\n`);
    process.exit(1);
  },
);
