// Runs the real `airlock` command (node bin/airlock.js) as a child process, as a user's shell would.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect } from 'vitest';

export const BIN = fileURLToPath(new URL('../../bin/airlock.js', import.meta.url));
/** The passphrase test/support/gateway.ts uses, so an in-process gateway can open what a child wrote. */
export const PASSPHRASE = 'test passphrase';

export const newDataDir = () => mkdtempSync(join(tmpdir(), 'airlock-cli-'));

export interface Finished {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

function baseEnv(extra: Record<string, string | undefined>): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env, AIRLOCK_PASSPHRASE: PASSPHRASE, ...extra };
  if (!('AIRLOCK_DATA_DIR' in extra)) delete env.AIRLOCK_DATA_DIR; // the tests name their data dirs
  for (const [k, v] of Object.entries(extra)) if (v === undefined) delete env[k];
  return env;
}

/** Runs one command to its end. */
export function airlock(args: string[], env: Record<string, string | undefined> = {}): Promise<Finished> {
  const child = spawn(process.execPath, [BIN, ...args], { env: baseEnv(env), stdio: ['ignore', 'pipe', 'pipe'] });
  return finished(child, { stdout: '', stderr: '' });
}

function finished(child: ChildProcess, out: { stdout: string; stderr: string }): Promise<Finished> {
  child.stdout!.on('data', (d) => (out.stdout += d));
  child.stderr!.on('data', (d) => (out.stderr += d));
  return new Promise((resolve) => child.once('close', (code, signal) => resolve({ code, signal, ...out })));
}

export interface Server {
  child: ChildProcess;
  url: string;
  output: { stdout: string; stderr: string };
  exited: Promise<Finished>;
}

/** Starts `airlock serve …` and resolves once it prints its URL. */
export async function serve(args: string[], env: Record<string, string | undefined> = {}): Promise<Server> {
  const child = spawn(process.execPath, [BIN, 'serve', '--port', '0', ...args], { env: baseEnv(env), stdio: ['ignore', 'pipe', 'pipe'] });
  const output = { stdout: '', stderr: '' };
  const exited = finished(child, output);
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`serve printed no URL in 15 s:\n${output.stdout}\n${output.stderr}`)), 15_000);
    const look = () => {
      const match = /Airlock is running at (http:\/\/\S+)/.exec(output.stdout);
      if (match) {
        clearTimeout(timer);
        resolve(match[1]);
      }
    };
    child.stdout!.on('data', look);
    void exited.then((f) => {
      clearTimeout(timer);
      reject(new Error(`serve exited (${f.code ?? f.signal}) before printing its URL:\n${f.stdout}\n${f.stderr}`));
    });
  });
  return { child, url, output, exited };
}

/** The lines a command wrote to stderr, without blank ones. */
export const linesOf = (text: string) => text.split('\n').filter((l) => l.trim() !== '');

/**
 * The one line a refused command wrote to stderr, after checking the refusal is what every error must be: a non-zero
 * exit, one `airlock:` line, no stack trace, and none of `secrets`.
 */
export function refusal(run: Finished, secrets: string[] = []): string {
  expect(run.code, run.stderr).not.toBe(0);
  const lines = linesOf(run.stderr);
  expect(lines, run.stderr).toHaveLength(1);
  expect(lines[0]).toMatch(/^airlock: \S/);
  for (const secret of secrets) expect(run.stderr + run.stdout).not.toContain(secret);
  return lines[0];
}
