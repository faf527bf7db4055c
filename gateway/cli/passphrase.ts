// The headless passphrase: from AIRLOCK_PASSPHRASE, or asked for on a terminal without echo.
import { createInterface } from 'node:readline';
import { Writable } from 'node:stream';
import { KeyUnwrapError, passphraseProtector, type KeyProtector } from '../store/keyring.js';

/** A passphrase and where it came from, so a wrong one is reported by the name the user knows it under. */
export interface Passphrase {
  value: string;
  from: 'env' | 'terminal';
}

export async function readPassphrase(opts: { confirm: boolean; env?: NodeJS.ProcessEnv }): Promise<Passphrase> {
  const env = opts.env ?? process.env;
  if (env.AIRLOCK_PASSPHRASE) return { value: env.AIRLOCK_PASSPHRASE, from: 'env' };
  if (!process.stdin.isTTY) {
    throw new Error('set AIRLOCK_PASSPHRASE: it protects the recorded sessions (no terminal to ask on)');
  }
  const first = await ask('Passphrase for the Airlock data dir: ');
  if (!first) throw new Error('the passphrase is empty');
  if (opts.confirm && (await ask('Repeat the passphrase: ')) !== first) throw new Error('the two passphrases differ');
  return { value: first, from: 'terminal' };
}

/** The data key's protector for a passphrase the CLI read; a wrong one names AIRLOCK_PASSPHRASE only if it came from there. */
export function protectorFor(passphrase: Passphrase): KeyProtector {
  const inner = passphraseProtector(passphrase.value);
  return {
    kind: inner.kind,
    wrap: (dataKey) => inner.wrap(dataKey),
    async unwrap(wrapped) {
      try {
        return await inner.unwrap(wrapped);
      } catch (err) {
        if (!(err instanceof KeyUnwrapError)) throw err;
        throw new KeyUnwrapError(passphrase.from === 'env' ? 'wrong passphrase for this data dir (from AIRLOCK_PASSPHRASE)' : 'wrong passphrase for this data dir');
      }
    },
  };
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
  // Ctrl-C at the prompt stops the command (readline would only pause); Ctrl-D leaves it without a passphrase.
  rl.once('SIGINT', () => {
    process.stderr.write('\n');
    process.exit(130);
  });
  return new Promise((resolve, reject) => {
    let answered = false;
    rl.once('close', () => {
      if (answered) return;
      process.stderr.write('\n');
      reject(new Error('no passphrase given'));
    });
    rl.question(prompt, (answer) => {
      answered = true;
      rl.close();
      process.stderr.write('\n');
      resolve(answer);
    });
    muted = true;
  });
}
