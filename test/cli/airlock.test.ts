// The `airlock` command as a whole: its version, its help, and errors that all look alike (one `airlock:` line).
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { airlock, linesOf, newDataDir, refusal } from './airlock-process.js';

const { version } = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string };

describe('airlock', () => {
  it('--version and -v print the version from package.json', async () => {
    const [long, short] = await Promise.all([airlock(['--version']), airlock(['-v'])]);
    expect(long).toMatchObject({ code: 0, stdout: `${version}\n`, stderr: '' });
    expect(short).toMatchObject({ code: 0, stdout: `${version}\n`, stderr: '' });
  });

  it('describes every subcommand of callers and reviewers in --help', async () => {
    const [callers, reviewers] = await Promise.all([airlock(['callers', '--help']), airlock(['reviewers', '--help'])]);
    for (const help of [callers.stdout, reviewers.stdout]) {
      const commands = help.slice(help.indexOf('Commands:')).split('\n').slice(1).filter((l) => /^ {2}\S/.test(l));
      expect(commands.map((l) => l.trim().split(/\s+/)[0])).toEqual(['add', 'rotate', 'list', 'revoke', 'help']);
      // A command line with nothing after its usage would have no description.
      for (const line of commands) expect(line.trim(), line).toMatch(/^\S+( \[options\])?( <name>)?( \[command\])? {2,}\S/);
    }
    expect(callers.stdout).toMatch(/rotate \[options\] <name> +give a caller a new key: the old one stops working/);
  });

  it('prints usage errors and failures alike: one line, prefixed airlock:, never error:', async () => {
    const dataDir = newDataDir();
    const runs = await Promise.all([
      airlock(['bogus']),
      airlock(['callers', 'add']),
      airlock(['serve', '--port', 'eighty']),
      airlock(['export', '--data-dir', dataDir]),
      airlock(['callers', 'revoke', 'nobody', '--data-dir', dataDir]),
    ]);
    const lines = runs.map((run) => refusal(run));
    expect(lines[0]).toBe("airlock: unknown command 'bogus' (run with --help for usage)");
    expect(lines[1]).toBe("airlock: missing required argument 'name' (run with --help for usage)");
    expect(lines[2]).toMatch(/^airlock: option '--port <port>' argument 'eighty' is invalid/);
    expect(lines[3]).toBe("airlock: required option '--out <file>' not specified (run with --help for usage)");
    for (const run of runs) expect(run.stderr).not.toMatch(/error:/);
    expect(linesOf(runs[4].stderr)).toEqual([`airlock: no Airlock data in ${dataDir}; is --data-dir right?`]);
  });
});
