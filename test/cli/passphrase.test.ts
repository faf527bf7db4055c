// The data dir's passphrase as the CLI reads it: a wrong one is named by where it came from, and never printed.
import { spawn, spawnSync } from 'node:child_process';
import { beforeAll, describe, expect, it } from 'vitest';
import { openSessionStore } from '../../gateway/store/index.js';
import { passphraseProtector } from '../../gateway/store/keyring.js';
import { airlock, BIN, newDataDir, PASSPHRASE, refusal, type Finished } from './airlock-process.js';

let dataDir: string;
beforeAll(async () => {
  dataDir = newDataDir();
  await (await openSessionStore(dataDir, passphraseProtector(PASSPHRASE))).close();
});

const quote = (word: string) => `'${word.replace(/'/g, `'\\''`)}'`;
// util-linux `script` gives the command a terminal, as a person at a shell would have.
const hasScript = process.platform === 'linux' && spawnSync('script', ['--version']).status === 0;

/** Runs `airlock ARGS` on a terminal and types `typed` once it asks for the passphrase; stdout and stderr arrive as one. */
function onTerminal(args: string[], typed: string): Promise<Finished> {
  const env: NodeJS.ProcessEnv = { ...process.env, AIRLOCK_LOG_LEVEL: 'silent' };
  delete env.AIRLOCK_PASSPHRASE;
  const command = [process.execPath, BIN, ...args].map(quote).join(' ');
  const child = spawn('script', ['-qec', command, '/dev/null'], { env, stdio: ['pipe', 'pipe', 'pipe'] });
  const out = { stdout: '', stderr: '' };
  child.stdout.on('data', (d: Buffer) => {
    const before = out.stdout;
    out.stdout += d;
    if (!before.includes('Passphrase') && out.stdout.includes('Passphrase')) child.stdin.write(`${typed}\r`);
  });
  child.stderr.on('data', (d) => (out.stderr += d));
  return new Promise((resolve) => child.once('close', (code, signal) => resolve({ code, signal, ...out })));
}

describe('the passphrase', () => {
  it('from AIRLOCK_PASSPHRASE, when wrong, is named as coming from there (and not printed)', async () => {
    const run = await airlock(['hash', 'x', '--data-dir', dataDir], { AIRLOCK_PASSPHRASE: 'not the passphrase' });
    expect(refusal(run, ['not the passphrase'])).toBe('airlock: wrong passphrase for this data dir (from AIRLOCK_PASSPHRASE)');
  });

  it.skipIf(!hasScript)('typed on a terminal, when wrong, is reported without a word about AIRLOCK_PASSPHRASE', async () => {
    const run = await onTerminal(['hash', 'x', '--data-dir', dataDir], 'typed wrongly');
    expect(run.code, run.stdout).toBe(1);
    const lines = run.stdout.split(/\r?\n/).map((l) => l.replace(/\x1b\[[0-9;]*[A-Za-z]/g, '').trim()).filter(Boolean);
    expect(lines).toEqual(['Passphrase for the Airlock data dir:', 'airlock: wrong passphrase for this data dir']);
    expect(run.stdout).not.toContain('typed wrongly');
  }, 30_000);

  it.skipIf(!hasScript)('typed on a terminal, when right, opens the data dir', async () => {
    const run = await onTerminal(['hash', 'x', '--data-dir', dataDir], PASSPHRASE);
    expect(run.code, run.stdout).toBe(0);
    expect(run.stdout).toMatch(/hmac:[0-9a-f]+/);
  }, 30_000);
});
