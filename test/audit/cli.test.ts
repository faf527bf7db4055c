// The audit commands run as a user would, where they used to go wrong: a bad output path or age recipient is one clear
// line before anything is recorded or written (no `.partial` left), an encrypted bundle is named `.age` and the hint
// to check it says how to open it, `--key` names a missing file, and no command makes a data dir out of a typo.
import { generateKeyPairSync } from 'node:crypto';
import { existsSync, mkdtempSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { generateIdentity, identityToRecipient } from 'age-encryption';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Database } from '../../gateway/store/db.js';
import { DB_FILE, openIdentityStore, openSessionStore } from '../../gateway/store/index.js';
import { passphraseProtector } from '../../gateway/store/keyring.js';
import { airlock, PASSPHRASE, refusal } from '../cli/airlock-process.js';
import { recordSession } from './support.js';

let dataDir: string;
let work: string;
let keyFile: string;

beforeAll(async () => {
  dataDir = mkdtempSync(join(tmpdir(), 'airlock-audit-cli-'));
  work = mkdtempSync(join(tmpdir(), 'airlock-audit-out-'));
  const store = await openSessionStore(dataDir, passphraseProtector(PASSPHRASE));
  await store.requests.audit.signingKey();
  await recordSession(store, { id: 'req_1' });
  await store.close();
  keyFile = join(work, 'gateway.pem');
  writeFileSync(keyFile, (await airlock(['key', '--data-dir', dataDir])).stdout);
});

/** How many events the audit chain holds: an export is one, so a refused export must not add any. */
async function chainLength(): Promise<number> {
  const db = await Database.open(join(dataDir, DB_FILE));
  try {
    return (await db.get<{ n: number }>('SELECT COUNT(*) AS n FROM audit_events'))!.n;
  } finally {
    await db.close();
  }
}

describe('airlock export, refused before it starts', () => {
  let before: number;
  beforeAll(async () => {
    before = await chainLength();
  });
  afterAll(async () => {
    expect(await chainLength()).toBe(before); // none of the refusals below was recorded as an export
    expect(readdirSync(work).filter((f) => f.includes('.partial'))).toEqual([]);
  });

  it('an output folder that does not exist', async () => {
    const out = join(work, 'no', 'such', 'dir', 'x.zip');
    expect(refusal(await airlock(['export', '--out', out, '--data-dir', dataDir]))).toBe(`airlock: cannot write ${out}: the folder ${join(work, 'no', 'such', 'dir')} does not exist`);
  });

  it('an output that is a folder', async () => {
    expect(refusal(await airlock(['export', '--out', work, '--data-dir', dataDir]))).toMatch(/^airlock: cannot write .*: it is a folder/);
  });

  it('an age recipient that is not one, and leaves no partial file', async () => {
    const out = join(work, 'garbage.zip');
    expect(refusal(await airlock(['export', '--out', out, '--recipient', 'age1garbage', '--data-dir', dataDir]))).toBe(
      'airlock: the recipient is not an age public key (age1…, as `age-keygen` prints it)',
    );
    expect(existsSync(`${out}.age.partial`) || existsSync(`${out}.partial`) || existsSync(`${out}.age`)).toBe(false);
  });

  it('an age secret key given as the recipient, without printing it', async () => {
    const secret = await generateIdentity();
    const run = await airlock(['export', '--out', join(work, 'secret.zip'), '--recipient', secret, '--data-dir', dataDir]);
    expect(refusal(run, [secret])).toMatch(/^airlock: the recipient is an age secret key: give its public key/);
  });

  it('a passphrase given where the name of its variable goes, without printing it', async () => {
    const run = await airlock(['export', '--out', join(work, 'p.zip'), '--encrypt-passphrase-env', 'my secret words', '--data-dir', dataDir]);
    expect(refusal(run, ['my secret words'])).toMatch(/^airlock: --encrypt-passphrase-env takes the name of an environment variable/);
    const unset = await airlock(['export', '--out', join(work, 'p.zip'), '--encrypt-passphrase-env', 'BUNDLE_PASS', '--data-dir', dataDir]);
    expect(refusal(unset)).toBe('airlock: --encrypt-passphrase-env BUNDLE_PASS: the environment variable BUNDLE_PASS is not set');
  });
});

describe('an encrypted export', () => {
  it('to a passphrase: named .zip.age, and its hint checks it as printed (with --passphrase-env)', async () => {
    const out = join(work, 'q3.zip');
    const run = await airlock(['export', '--out', out, '--encrypt-passphrase-env', 'BUNDLE_PASS', '--data-dir', dataDir], { BUNDLE_PASS: 'mail-safe words' });
    expect(run).toMatchObject({ code: 0, stderr: '' });
    expect(run.stdout).toContain(`to ${out}.age (encrypted with age; ".age" added to the name given)`);
    expect(existsSync(out)).toBe(false);
    const hint = /Check it with: (airlock verify .*) \(airlock key prints the key\)/.exec(run.stdout)![1];
    expect(hint).toBe(`airlock verify ${out}.age --key PUBLIC_KEY.pem --passphrase-env BUNDLE_PASS`);
    const verified = await airlock(hint.split(' ').slice(1).map((w) => (w === 'PUBLIC_KEY.pem' ? keyFile : w)), { BUNDLE_PASS: 'mail-safe words' });
    expect(verified.code, verified.stdout).toBe(0);
    expect(verified.stdout).toMatch(/^VALID: /);
  }, 60_000);

  it('to a recipient: a name ending in .age is kept, and the hint names the identity file', async () => {
    const recipient = await identityToRecipient(await generateIdentity());
    const out = join(work, 'to-auditor.zip.age');
    const run = await airlock(['export', '--out', out, '--recipient', recipient, '--data-dir', dataDir]);
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).toContain(`to ${out} (encrypted with age)\n`);
    expect(run.stdout).toContain(`airlock verify ${out} --key PUBLIC_KEY.pem --identity AGE_IDENTITY_FILE`);
  });
});

describe('airlock verify', () => {
  it('--key naming a file that is not there says so', async () => {
    const bundle = join(work, 'plain.zip');
    expect((await airlock(['export', '--out', bundle, '--data-dir', dataDir])).code).toBe(0);
    expect(refusal(await airlock(['verify', bundle, '--key', 'missing.pem']))).toBe('airlock: --key missing.pem: no such file');
    expect(refusal(await airlock(['verify', bundle, '--key', 'not-a-key']))).toBe('airlock: --key: not an Ed25519 public key (give a PEM file, PEM text or base64 SPKI; airlock key prints it)');
    expect(refusal(await airlock(['verify', bundle, '--key', bundle]))).toMatch(/^airlock: --key .*plain\.zip: not an Ed25519 public key/);
    expect(refusal(await airlock(['verify', bundle, '--identity', join(work, 'nope.key')]))).toBe(`airlock: --identity ${join(work, 'nope.key')}: no such file`);
    // A private key pasted where the public one goes is never printed back.
    const { privateKey } = generateKeyPairSync('ed25519');
    const pasted = [privateKey.export({ format: 'pem', type: 'pkcs8', cipher: 'aes-256-cbc', passphrase: 'x' }).toString(), privateKey.export({ format: 'der', type: 'pkcs8' }).toString('base64')];
    for (const secret of pasted) {
      const line = refusal(await airlock(['verify', bundle, '--key', secret]));
      expect(line).toBe('airlock: --key: not an Ed25519 public key (give a PEM file, PEM text or base64 SPKI; airlock key prints it)');
    }
    expect((await airlock(['verify', bundle, '--key', keyFile])).code).toBe(0);
  }, 30_000);
});

describe('a data dir with no Airlock store', () => {
  it('export, verify, key, shred and hash refuse it and create nothing', async () => {
    const typo = join(work, 'typo');
    const runs = await Promise.all([
      airlock(['export', '--out', join(work, 'typo.zip'), '--data-dir', typo]),
      airlock(['verify', '--data-dir', typo]),
      airlock(['key', '--data-dir', typo]),
      airlock(['shred', 'req_1', '--data-dir', typo]),
      airlock(['hash', 'x', '--data-dir', typo]),
    ]);
    for (const run of runs) expect(refusal(run)).toBe(`airlock: no Airlock data in ${typo}; is --data-dir right?`);
    expect(existsSync(typo)).toBe(false);
    expect(existsSync(join(work, 'typo.zip'))).toBe(false);
  });

  it('export on a data dir with callers but no sessions yet says what is missing', async () => {
    const early = mkdtempSync(join(tmpdir(), 'airlock-audit-early-'));
    await (await openIdentityStore(early)).close();
    expect(refusal(await airlock(['export', '--out', join(work, 'early.zip'), '--data-dir', early]))).toBe(
      `airlock: ${early} has no recorded sessions yet: its data key is made when the gateway first starts (airlock serve)`,
    );
  });
});
