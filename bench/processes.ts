// The latency comparison as it is deployed: the stand-in, the bare pass-through and Airlock (`airlock serve`) each in a
// process of its own, so none of them shares an event loop with the load or with another.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { run, type Result } from './load.js';

export const BENCH_ANSWER = 'Hello benchmark, this answer streams in a handful of small chunks to the caller.';

const TSX = ['--import', 'tsx'];

export interface Child {
  process: ChildProcess;
  /** Everything it printed so far. */
  output(): string;
  stop(): Promise<void>;
}

/** Starts `node args…` and resolves once its output matches `ready` (the match's first group is returned with it). */
export async function startProcess(args: string[], env: Record<string, string>, ready: RegExp): Promise<[Child, string]> {
  const child = spawn(process.execPath, args, { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'inherit'] });
  let out = '';
  child.stdout!.on('data', (d) => (out += d));
  const handle: Child = {
    process: child,
    output: () => out,
    stop: async () => {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill('SIGTERM');
      const exited = new Promise((r) => child.once('exit', r));
      const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
      await exited;
      clearTimeout(timer);
    },
  };
  const found = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`${args.join(' ')} did not start:\n${out}`));
    }, 30_000);
    const check = () => {
      const m = ready.exec(out);
      if (!m) return;
      clearTimeout(timer);
      child.stdout!.off('data', check);
      resolve(m[1]);
    };
    child.stdout!.on('data', check);
    child.once('exit', (code) => reject(new Error(`${args.join(' ')} exited (${code}) before it was ready:\n${out}`)));
  });
  return [handle, found];
}

export interface ProcessRow {
  label: string;
  byTarget: Record<string, Result>;
}

/** Sequential JSON and streamed requests to the three targets, each in its own process. */
export async function separateProcesses(total: number): Promise<ProcessRow[]> {
  const children: Child[] = [];
  try {
    const [standIn, upstreamUrl] = await startProcess([...TSX, 'bench/stand-in.ts'], {}, /(http:\/\/\S+)\n/);
    children.push(standIn);
    const [passThrough, passUrl] = await startProcess([...TSX, 'bench/pass-through.ts', upstreamUrl], {}, /(http:\/\/\S+)\n/);
    children.push(passThrough);

    const dataDir = mkdtempSync(join(tmpdir(), 'airlock-bench-serve-'));
    const config = join(dataDir, 'bench.yaml');
    writeFileSync(config, 'policies:\n  - name: bench\n    action: approve\n');
    const added = spawnSync(process.execPath, ['bin/airlock.js', 'callers', 'add', 'bench', '--data-dir', dataDir], { encoding: 'utf8' });
    if (added.status !== 0) throw new Error(`airlock callers add failed: ${added.stderr}`);
    const callerKey = added.stdout.trim().split('\n').at(-1)!;
    const env = { AIRLOCK_PASSPHRASE: 'bench', AIRLOCK_UPSTREAM_KEY: 'sk-bench-upstream', AIRLOCK_LOG_LEVEL: 'warn' };
    const [airlock, airlockUrl] = await startProcess(['bin/airlock.js', 'serve', '--port', '0', '--data-dir', dataDir, '--config', config, '--upstream', upstreamUrl], env, /running at (http:\/\/\S+)/);
    children.push(airlock);

    const targets = [
      { name: 'direct', url: upstreamUrl, headers: { authorization: 'Bearer sk-bench-upstream' } },
      { name: 'node:http pass-through', url: passUrl, headers: { authorization: 'Bearer sk-bench-upstream' } },
      { name: 'Airlock', url: airlockUrl, headers: { authorization: `Bearer ${callerKey}` } },
    ];
    const rows: ProcessRow[] = [];
    for (const [label, stream] of [
      ['sequential, JSON', false],
      ['sequential, streamed', true],
    ] as const) {
      const byTarget: Record<string, Result> = {};
      for (const t of targets) {
        byTarget[t.name] = await run(t.url, t.headers, stream, total, 1);
        const r = byTarget[t.name];
        process.stdout.write(`own processes: ${label.padEnd(22)} ${t.name.padEnd(24)} p50 ${r.p50.toFixed(2)} ms  ttfb50 ${r.ttfb50.toFixed(2)} ms\n`);
      }
      rows.push({ label, byTarget });
    }
    return rows;
  } finally {
    for (const child of children.reverse()) await child.stop();
  }
}
