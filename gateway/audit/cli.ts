// The audit commands of `airlock`: export, verify, key, shred, hash.
import { Command, InvalidArgumentError, Option } from 'commander';
import type { KeyObject } from 'node:crypto';
import { existsSync, readFileSync, rmSync, statSync } from 'node:fs';
import { userInfo } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import type { RequestStatus } from '../api/types.js';
import { loadConfigFile } from '../config/load.js';
import type { MaskingConfig } from '../guard/masking/index.js';
import { dataDirOption, requireSessions, requireStore } from '../cli/data-dir.js';
import { protectorFor, readPassphrase } from '../cli/passphrase.js';
import { Database } from '../store/db.js';
import { DB_FILE, openSessionStore, type SessionStore } from '../store/index.js';
import type { BundleEncryption } from './bundle-crypto.js';
import { REQUEST_STATUSES } from './bundle-format.js';
import { checkEncryption, exportToFile, partialFile } from './export.js';
import { maskTag } from './redaction.js';
import { shredSession } from './retention.js';
import { fingerprint, loadPublicKey, parsePublicKey, publicKeyPem } from './signing-key.js';
import { formatVerdict, isValid } from './verdict.js';
import { verifyBundle } from './verify-bundle.js';
import { verifyStore } from './verify-store.js';

const STATUSES = REQUEST_STATUSES;

function isoTime(value: string): number {
  const t = Date.parse(value);
  if (Number.isNaN(t)) throw new InvalidArgumentError('must be an ISO date or time, e.g. 2025-07-01 or 2025-07-01T12:00:00Z');
  return t;
}

function statusList(value: string): RequestStatus[] {
  const list = value.split(',').map((s) => s.trim()).filter(Boolean);
  const unknown = list.filter((s) => !(STATUSES as string[]).includes(s));
  if (unknown.length || list.length === 0) throw new InvalidArgumentError(`use one or more of ${STATUSES.join(', ')} (comma-separated)`);
  return list as RequestStatus[];
}

/** The value of the environment variable a `--…-env` flag names. */
function envValue(variable: string, flag: string): string {
  const value = process.env[variable];
  if (value) return value;
  // Someone who typed the passphrase itself instead of a variable's name must not see it printed back.
  if (!/^[A-Z_][A-Z0-9_]*$/.test(variable)) {
    throw new Error(`${flag} takes the name of an environment variable holding the passphrase, e.g. ${flag} BUNDLE_PASSPHRASE; no variable of the name given is set (not shown, in case it is the passphrase)`);
  }
  throw new Error(`${flag} ${variable}: the environment variable ${variable} is not set`);
}

/** A word for a shell command line, quoted only when it needs to be. */
function shellWord(word: string): string {
  return /^[\w@%+=:,./-]+$/.test(word) ? word : `'${word.replace(/'/g, `'\\''`)}'`;
}

/** Refuses an output path that cannot be written before anything is asked for or recorded. */
function checkOutput(file: string): void {
  const dir = dirname(resolve(file));
  const folder = existsSync(dir) ? statSync(dir) : undefined;
  if (!folder) throw new Error(`cannot write ${file}: the folder ${dir} does not exist`);
  if (!folder.isDirectory()) throw new Error(`cannot write ${file}: ${dir} is not a folder`);
  if (existsSync(file) && statSync(file).isDirectory()) throw new Error(`cannot write ${file}: it is a folder (name the bundle file, e.g. ${join(file, 'audit.zip')})`);
}

/** `--key`: a PEM file, PEM text or base64 SPKI. A path that is not there is named as such; text that is no key is not repeated. */
function publicKeyFrom(input: string): KeyObject {
  let text = input;
  let source = '--key';
  if (!input.includes('-----BEGIN') && existsSync(input)) {
    if (statSync(input).isDirectory()) throw new Error(`--key ${input} is a folder, not a key file`);
    text = readFileSync(input, 'utf8').trim();
    source = `--key ${input}`;
  }
  try {
    return parsePublicKey(text);
  } catch (err) {
    if (!(err as Error).message.startsWith('not a public key')) throw new Error(`${source}: ${(err as Error).message}`);
    // Base64 has no dot, and a file name usually has one; a slash may be either, so it counts only once parsing failed.
    // Only what looks like a path is named back; key text (a private key pasted by mistake) never is.
    if (text === input && /[./\\]/.test(input) && !input.includes('-----') && !/\s/.test(input.trim()) && !/^[A-Za-z0-9+/=]{40,}$/.test(input)) throw new Error(`--key ${input}: no such file`);
    throw new Error(`${source}: not an Ed25519 public key (give a PEM file, PEM text or base64 SPKI; airlock key prints it)`);
  }
}

function identityFrom(file: string): string {
  if (!existsSync(file)) throw new Error(`--identity ${file}: no such file`);
  if (statSync(file).isDirectory()) throw new Error(`--identity ${file} is a folder, not an identity file`);
  const identity = readFileSync(file, 'utf8').split('\n').map((l) => l.trim()).find((l) => l.startsWith('AGE-SECRET-KEY-'));
  if (!identity) throw new Error(`--identity ${file} holds no AGE-SECRET-KEY line`);
  return identity;
}

/** The OS user, as the actor of what the CLI does (it has no reviewer identity). */
export function osActor(): string {
  try {
    return `os:${userInfo().username}`;
  } catch {
    return 'os:unknown';
  }
}

async function withSessions<T>(dataDir: string, fn: (store: SessionStore) => Promise<T>): Promise<T> {
  requireSessions(dataDir);
  const store = await openSessionStore(dataDir, protectorFor(await readPassphrase({ confirm: false })));
  try {
    return await fn(store);
  } finally {
    await store.close();
  }
}

export function addAuditCommands(program: Command): void {
  program
    .command('export')
    .description('write a signed audit bundle (zip) of the recorded sessions; works while the gateway runs (needs AIRLOCK_PASSPHRASE)')
    .requiredOption('--out <file>', 'the bundle to write (an encrypted one gets ".age" added unless the name ends in it, as the console names them)')
    .option('--since <iso>', 'sessions created at or after this time', isoTime)
    .option('--until <iso>', 'sessions created before this time', isoTime)
    .option('--caller <name>', 'only this caller')
    .option('--status <list>', `only these statuses (comma-separated: ${STATUSES.join(', ')})`, statusList)
    .option('--raw', 'include unmasked text as recorded (recorded in the audit chain as an action)')
    .option('--config <file>', 'the gateway config, for its masking settings')
    .addOption(new Option('--encrypt-passphrase-env <var>', 'encrypt the bundle (age) to the passphrase in this environment variable').conflicts('recipient'))
    .addOption(new Option('--recipient <age-recipient>', 'encrypt the bundle (age) to this age public key (age1...)'))
    .addOption(dataDirOption())
    .action(async (opts: { out: string; since?: number; until?: number; caller?: string; status?: RequestStatus[]; raw?: boolean; config?: string; encryptPassphraseEnv?: string; recipient?: string; dataDir: string }) => {
      // Everything that can be checked is, before the passphrase is asked for and the export is recorded.
      requireSessions(opts.dataDir);
      const encryption: BundleEncryption | undefined = opts.encryptPassphraseEnv
        ? { passphrase: envValue(opts.encryptPassphraseEnv, '--encrypt-passphrase-env') }
        : opts.recipient
          ? { recipient: opts.recipient }
          : undefined;
      if (encryption) await checkEncryption(encryption);
      // An age file is not a zip: it is named as the console names it, so nobody tries to unzip it.
      const out = encryption && !opts.out.endsWith('.age') ? `${opts.out}.age` : opts.out;
      checkOutput(out);
      // The bundle masks even when the gateway's answer masking is off (`masking: false`): then with the defaults.
      const masking = opts.config ? (((await loadConfigFile(opts.config)).masking || undefined) as MaskingConfig | undefined) : undefined;

      // Interrupted (Ctrl-C) or failing where no action catches it: the partial bundle goes too.
      const tty = process.stderr.isTTY;
      const removePartial = () => rmSync(partialFile(out), { force: true });
      const interrupted = (signal: NodeJS.Signals) => {
        process.stderr.write(`${tty ? '\n' : ''}airlock: export stopped (${signal}); no bundle was written\n`);
        process.exit(signal === 'SIGINT' ? 130 : 143);
      };
      process.once('exit', removePartial).once('SIGINT', interrupted).once('SIGTERM', interrupted);
      try {
        const { manifest } = await withSessions(opts.dataDir, (store) =>
          exportToFile(store, out, {
            since: opts.since,
            until: opts.until,
            caller: opts.caller,
            status: opts.status,
            content: opts.raw ? 'raw' : 'masked',
            exporter: { name: osActor(), via: 'cli', role: null },
            masking,
            encryption,
            onProgress: tty ? (done, total) => (done % 100 === 0 || done === total) && process.stderr.write(`\rexporting ${done}/${total} sessions`) : undefined,
          }),
        );
        if (tty) process.stderr.write('\n');
        const c = manifest.counts;
        const encrypted = !encryption ? '' : out === opts.out ? ' (encrypted with age)' : ' (encrypted with age; ".age" added to the name given)';
        const unlock = !encryption ? '' : 'passphrase' in encryption ? ` --passphrase-env ${opts.encryptPassphraseEnv}` : ' --identity AGE_IDENTITY_FILE';
        process.stdout.write(
          `Exported ${c.sessions} sessions (${c.decisions} decisions, ${c.actions} actions, ${manifest.content} content) to ${out}${encrypted}\n` +
            `Signed by ${manifest.gateway.key}. Check it with: airlock verify ${shellWord(out)} --key PUBLIC_KEY.pem${unlock} (airlock key prints the key)\n`,
        );
      } finally {
        process.off('exit', removePartial).off('SIGINT', interrupted).off('SIGTERM', interrupted);
      }
    });

  program
    .command('verify')
    .description('check a bundle (offline) or the live store: prints VALID or INVALID, one line per finding; exits 0 only if everything holds')
    .argument('[bundle]', 'the bundle file; without it, the data dir is checked')
    .option('--key <pubkey>', "the gateway's public key: a PEM file, PEM text or base64 SPKI (default: the one in the bundle or store)")
    .option('--data-dir <dir>', 'check this data dir instead of a bundle (no passphrase needed)')
    .option('--passphrase-env <var>', 'an encrypted bundle: its passphrase is in this environment variable')
    .option('--identity <file>', 'an encrypted bundle: the age identity file (AGE-SECRET-KEY-1...)')
    .action(async (bundle: string | undefined, opts: { key?: string; dataDir?: string; passphraseEnv?: string; identity?: string }) => {
      const key = opts.key ? publicKeyFrom(opts.key) : undefined;
      let verdict;
      if (bundle) {
        if (!existsSync(bundle)) throw new Error(`no such file: ${bundle}`);
        const identity = opts.identity ? identityFrom(opts.identity) : undefined;
        verdict = await verifyBundle(bundle, { key, passphrase: opts.passphraseEnv ? envValue(opts.passphraseEnv, '--passphrase-env') : undefined, identity });
      } else {
        const dataDir = opts.dataDir ?? (dataDirOption().defaultValue as string);
        requireStore(dataDir);
        verdict = await verifyStore(dataDir, { key });
      }
      process.stdout.write(formatVerdict(verdict));
      if (!isValid(verdict)) process.exitCode = 1;
    });

  program
    .command('key')
    .description("print the gateway's public signing key (no passphrase needed)")
    .addOption(new Option('--format <format>', 'how to print it').choices(['pem', 'base64', 'fingerprint']).default('pem'))
    .addOption(dataDirOption())
    .action(async (opts: { format: 'pem' | 'base64' | 'fingerprint'; dataDir: string }) => {
      requireStore(opts.dataDir);
      const db = await Database.open(join(opts.dataDir, DB_FILE));
      try {
        await db.init();
        const info = await loadPublicKey(db);
        if (!info) throw new Error('this data dir has no signing key yet: it is made when the gateway first starts (airlock serve)');
        const der = info.publicKey.export({ format: 'der', type: 'spki' });
        const text = opts.format === 'pem' ? publicKeyPem(info.publicKey) : opts.format === 'base64' ? `${der.toString('base64')}\n` : `${fingerprint(info.publicKey)}\n`;
        process.stdout.write(text);
        if (opts.format !== 'fingerprint') process.stderr.write(`${fingerprint(info.publicKey)} (gateway ${info.gatewayId})\n`);
      } finally {
        await db.close();
      }
    });

  program
    .command('shred')
    .description("destroy one session's key: its text becomes unreadable for good (recorded in the audit chain)")
    .argument('<session>', 'the session (request) id')
    .addOption(dataDirOption())
    .action(async (id: string, opts: { dataDir: string }) => {
      const event = await withSessions(opts.dataDir, (store) => shredSession(store, id, osActor()));
      process.stdout.write(`Session ${id} shredded: its key is destroyed (audit chain event #${event.seq}).\n`);
    });

  program
    .command('hash')
    .description('print the keyed hash (HMAC) that stands for VALUE where a bundle masks it, to search bundles for a known value')
    .argument('<value>', 'the value, e.g. an e-mail address')
    .addOption(dataDirOption())
    .action(async (value: string, opts: { dataDir: string }) => {
      process.stdout.write(`${await withSessions(opts.dataDir, async (store) => maskTag(store.crypto, value))}\n`);
    });
}
