// Encrypted bundles: age to a passphrase or to a recipient's public key, opened again by `airlock verify`.
import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { generateIdentity, identityToRecipient } from 'age-encryption';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { exportToFile } from '../../gateway/audit/export.js';
import { formatVerdict } from '../../gateway/audit/verdict.js';
import { verifyBundle } from '../../gateway/audit/verify-bundle.js';
import { openSessionStore, type SessionStore } from '../../gateway/store/index.js';
import { passphraseProtector } from '../../gateway/store/keyring.js';
import { recordSession, runCli } from './support.js';

let dataDir: string;
let store: SessionStore;
const exporter = { name: 'os:test', via: 'cli' as const, role: null };

beforeAll(async () => {
  dataDir = mkdtempSync(join(tmpdir(), 'airlock-audit-age-'));
  store = await openSessionStore(dataDir, passphraseProtector('test passphrase'));
  await recordSession(store, { id: 'req_1', prompt: 'quarterly numbers' });
  await recordSession(store, { id: 'req_2', decisions: [{ action: 'reject', reviewer: 'bob', reason: 'too broad' }], status: 'rejected' });
});
afterAll(() => store.close());

describe('an encrypted bundle', () => {
  it('round-trips with a passphrase, and says it is encrypted without one', async () => {
    const file = join(dataDir, 'bundle.zip.age');
    await exportToFile(store, file, { content: 'masked', exporter, encryption: { passphrase: 'mail-safe passphrase' } });
    const bytes = readFileSync(file);
    expect(bytes.subarray(0, 22).toString()).toBe('age-encryption.org/v1\n');
    expect(bytes.includes('quarterly numbers')).toBe(false);

    const locked = await verifyBundle(file);
    expect(formatVerdict(locked)).toMatch(/^INVALID: .*\nbundle.zip.age: cannot be decrypted: the bundle is encrypted \(age\): pass --passphrase-env VAR or --identity FILE\n/);
    expect(formatVerdict(await verifyBundle(file, { passphrase: 'wrong' }))).toMatch(/^INVALID: .*\nbundle.zip.age: cannot be decrypted: /);

    const out = await runCli(['verify', file, '--passphrase-env', 'BUNDLE_PASS'], { BUNDLE_PASS: 'mail-safe passphrase' });
    expect(out.code).toBe(0);
    expect(out.stdout).toMatch(/^VALID: .*\nchecked: decryption: age\n/);
  }, 60_000);

  it('refuses a recipient age cannot encrypt to, and a path it cannot write, leaving no partial file', async () => {
    const file = join(dataDir, 'refused.zip.age');
    await expect(exportToFile(store, file, { content: 'masked', exporter, encryption: { recipient: 'age1garbage' } })).rejects.toThrow('the recipient is not an age public key');
    const missing = join(dataDir, 'no', 'such', 'dir', 'x.zip');
    await expect(exportToFile(store, missing, { content: 'masked', exporter })).rejects.toThrow(`cannot write ${missing}: ENOENT`);
    expect(readdirSync(dataDir).filter((f) => f.includes('refused') || f.endsWith('.partial'))).toEqual([]);
  });

  it('round-trips to an age recipient, opened with its identity file; made by the CLI', async () => {
    const identity = await generateIdentity();
    const recipient = await identityToRecipient(identity);
    const idFile = join(dataDir, 'auditor.key');
    writeFileSync(idFile, `# auditor\n${identity}\n`);
    await store.close();
    const file = join(dataDir, 'to-auditor.zip.age');
    const made = await runCli(['export', '--out', file, '--recipient', recipient, '--data-dir', dataDir], { AIRLOCK_PASSPHRASE: 'test passphrase' });
    expect(made.stdout).toMatch(/^Exported 2 sessions .* \(encrypted with age\)/);
    store = await openSessionStore(dataDir, passphraseProtector('test passphrase'));

    expect(formatVerdict(await verifyBundle(file, { identity }))).toMatch(/^VALID/);
    const out = await runCli(['verify', file, '--identity', idFile]);
    expect(out.code).toBe(0);
  }, 60_000);
});
