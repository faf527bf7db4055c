// The headless passphrase: from AIRLOCK_PASSPHRASE, or asked for on a terminal without echo.
import { createInterface } from 'node:readline';
import { Writable } from 'node:stream';

export async function readPassphrase(opts: { confirm: boolean; env?: NodeJS.ProcessEnv }): Promise<string> {
  const env = opts.env ?? process.env;
  if (env.AIRLOCK_PASSPHRASE) return env.AIRLOCK_PASSPHRASE;
  if (!process.stdin.isTTY) {
    throw new Error('set AIRLOCK_PASSPHRASE: it protects the recorded sessions (no terminal to ask on)');
  }
  const first = await ask('Passphrase for the Airlock data dir: ');
  if (!first) throw new Error('the passphrase is empty');
  if (opts.confirm && (await ask('Repeat the passphrase: ')) !== first) throw new Error('the two passphrases differ');
  return first;
}

function ask(prompt: string): Promise<string> {
  let muted = false;
  const output = new Writable({
    write(chunk, _enc, cb) {
      if (!muted) process.stderr.write(chunk);
      cb();
    },
  });
  const rl = createInterface({ input: process.stdin, output, terminal: true });
  return new Promise((resolve) => {
    rl.question(prompt, (answer) => {
      rl.close();
      process.stderr.write('\n');
      resolve(answer);
    });
    muted = true;
  });
}
