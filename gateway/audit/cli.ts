// The audit commands of `airlock`: export, verify, key, shred, hash.
import { Command, InvalidArgumentError, Option } from 'commander';
import { existsSync, readFileSync } from 'node:fs';
import { userInfo } from 'node:os';
import { join } from 'node:path';
import type { RequestStatus } from '../api/types.js';
import { loadConfigFile } from '../config/load.js';
import type { MaskingConfig } from '../guard/masking/index.js';
import { readPassphrase } from '../cli/passphrase.js';
import { Database } from '../store/db.js';
import { DB_FILE, openSessionStore, type SessionStore } from '../store/index.js';
import { keyringExists, passphraseProtector } from '../store/keyring.js';
import type { BundleEncryption } from './bundle-crypto.js';
import { REQUEST_STATUSES } from './bundle-format.js';
import { exportToFile } from './export.js';
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

function envValue(name: string, what: string): string {
  const value = process.env[name];
  if (!value) throw new Error(`${what}: the environment variable ${name} is not set`);
  return value;
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
  if (!keyringExists(dataDir)) throw new Error(`no Airlock data in ${dataDir}`);
  const store = await openSessionStore(dataDir, passphraseProtector(await readPassphrase({ confirm: false })));
  try {
    return await fn(store);
  } finally {
    await store.close();
  }
}

export function addAuditCommands(program: Command, dataDirOption: () => Option): void {
  program
    .command('export')
    .description('write a signed audit bundle (zip) of the recorded sessions; works while the gateway runs (needs AIRLOCK_PASSPHRASE)')
    .requiredOption('--out <file>', 'the bundle to write')
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
      // The bundle masks even when the gateway's answer masking is off (`masking: false`): then with the defaults.
      const masking = opts.config ? (((await loadConfigFile(opts.config)).masking || undefined) as MaskingConfig | undefined) : undefined;
      const encryption: BundleEncryption | undefined = opts.encryptPassphraseEnv
        ? { passphrase: envValue(opts.encryptPassphraseEnv, '--encrypt-passphrase-env') }
        : opts.recipient
          ? { recipient: opts.recipient }
          : undefined;
      const tty = process.stderr.isTTY;
      const { manifest } = await withSessions(opts.dataDir, (store) =>
        exportToFile(store, opts.out, {
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
      process.stdout.write(
        `Exported ${c.sessions} sessions (${c.decisions} decisions, ${c.actions} actions, ${manifest.content} content) to ${opts.out}${encryption ? ' (encrypted with age)' : ''}\n` +
          `Signed by ${manifest.gateway.key}. Check it with: airlock verify ${opts.out} --key PUBLIC_KEY.pem (airlock key prints the key)\n`,
      );
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
      const key = opts.key ? parsePublicKey(opts.key) : undefined;
      let verdict;
      if (bundle) {
        if (!existsSync(bundle)) throw new Error(`no such file: ${bundle}`);
        const identity = opts.identity ? readFileSync(opts.identity, 'utf8').split('\n').find((l) => l.startsWith('AGE-SECRET-KEY-')) : undefined;
        if (opts.identity && !identity) throw new Error(`${opts.identity} holds no AGE-SECRET-KEY line`);
        verdict = await verifyBundle(bundle, { key, passphrase: opts.passphraseEnv ? envValue(opts.passphraseEnv, '--passphrase-env') : undefined, identity });
      } else {
        verdict = await verifyStore(opts.dataDir ?? dataDirOption().defaultValue, { key });
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
      const file = join(opts.dataDir, DB_FILE);
      if (!existsSync(file)) throw new Error(`no Airlock data in ${opts.dataDir}`);
      const db = await Database.open(file);
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
