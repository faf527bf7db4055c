// `airlock verify BUNDLE`: offline, from the bundle and a public key alone. The signature comes first (when it fails,
// nothing else is trusted), then every file's digest, the chain's links, and each line of the JSON Lines files
// against its chain entry, so a change, a removal or a reordering is named.
import { verify, type KeyObject } from 'node:crypto';
import { open, readFile } from 'node:fs/promises';
import { basename } from 'node:path';
import yauzl from 'yauzl';
import { GENESIS, sha256 } from './digest.js';
import { chainEntryHash, FILES, manifestSchema, type BundleChainEntry, type Manifest } from './bundle-format.js';
import { decryptBundle, isAgeEncrypted } from './bundle-crypto.js';
import { fingerprint, parsePublicKey } from './signing-key.js';
import { Findings, type Verdict } from './verdict.js';

export interface BundleVerifyOptions {
  /** The gateway's public key, as the auditor got it from the gateway's owner. */
  key?: KeyObject;
  passphrase?: string;
  /** An age identity (AGE-SECRET-KEY-1…) for a bundle encrypted to a recipient. */
  identity?: string;
}

type Contents = Map<string, Buffer>;

export async function verifyBundle(file: string, opts: BundleVerifyOptions = {}): Promise<Verdict> {
  const name = basename(file);
  const checked: string[] = [];
  const fail = (problem: string): Verdict => ({ target: file, findings: [{ subject: name, problem }], checked });
  let contents: Contents;
  try {
    const head = Buffer.alloc(64);
    const fd = await open(file, 'r');
    await fd.read(head, 0, 64, 0).finally(() => fd.close());
    let bytes: Buffer | undefined;
    if (isAgeEncrypted(head)) {
      try {
        bytes = await decryptBundle(await readFile(file), opts);
      } catch (err) {
        return fail(`cannot be decrypted: ${(err as Error).message}`);
      }
      checked.push('decryption: age');
    }
    contents = await readZip(file, bytes);
  } catch (err) {
    return fail(`is not a readable zip (truncated or corrupt): ${(err as Error).message}`);
  }

  const signature = new Findings();
  const findings = new Findings();
  const manifestBytes = contents.get(FILES.manifest);
  const manifest = checkSignature(contents, opts.key, signature, checked);
  if (!manifest || !manifestBytes) return { target: file, findings: [...signature.list, ...findings.list], checked };

  // Every file the manifest lists, with its digest; nothing more.
  let intact = 0;
  for (const [entry, digest] of Object.entries(manifest.files)) {
    const data = contents.get(entry);
    if (!data) findings.add(entry, 'is missing from the bundle (the manifest lists it)');
    else if (sha256(data) !== digest.sha256) findings.add(entry, 'SHA-256 differs from the manifest: changed after export');
    else intact++;
  }
  for (const entry of contents.keys()) {
    if (entry !== FILES.manifest && entry !== FILES.signature && !(entry in manifest.files)) findings.add(entry, 'is not listed in the manifest: added after export');
  }
  checked.push(`files: ${intact} of ${Object.keys(manifest.files).length} match their SHA-256 in the manifest`);

  const chain = checkChain(contents.get(FILES.chain), manifest, findings);
  const sessions = checkLines(FILES.sessions, contents.get(FILES.sessions), chain, findings);
  const actions = checkLines(FILES.actions, contents.get(FILES.actions), chain, findings);
  if (sessions !== manifest.counts.sessions) findings.add(FILES.manifest, `counts ${manifest.counts.sessions} sessions, the chain links ${sessions}`);
  if (actions !== manifest.counts.actions) findings.add(FILES.manifest, `counts ${manifest.counts.actions} actions, the chain links ${actions}`);
  checked.push(`chain: ${chain.length} entries (${sessions} sessions, ${actions} actions), linked in order, head ${manifest.chain.head.slice(0, 16)}…`);
  const f = manifest.filters;
  const filters = [f.since && `since ${f.since}`, f.until && `until ${f.until}`, f.caller && `caller ${f.caller}`, f.status && `status ${f.status.join(',')}`].filter(Boolean).join(', ') || 'none';
  checked.push(`bundle: ${manifest.counts.sessions} sessions, ${manifest.counts.decisions} decisions, ${manifest.counts.actions} actions from ${manifest.range.from ?? '(start)'} to ${manifest.range.to ?? '(now)'}; ${manifest.content} content`);
  checked.push(`exported by ${manifest.exportedBy.name} (${manifest.exportedBy.via}) at ${manifest.exportedAt} from gateway ${manifest.gateway.id}; filters: ${filters}`);
  return { target: file, findings: [...signature.list, ...findings.list], checked };
}

async function readZip(file: string, bytes: Buffer | undefined): Promise<Contents> {
  const zip = bytes ? await yauzl.fromBufferPromise(bytes, { lazyEntries: true }) : await yauzl.openPromise(file, { lazyEntries: true, autoClose: false });
  try {
    const contents: Contents = new Map();
    for await (const entry of zip.eachEntry()) {
      if (entry.fileName.endsWith('/')) continue;
      if (contents.has(entry.fileName)) throw new Error(`${entry.fileName} appears twice`);
      const stream = await zip.openReadStreamPromise(entry);
      const chunks: Buffer[] = [];
      for await (const chunk of stream) chunks.push(chunk as Buffer);
      contents.set(entry.fileName, Buffer.concat(chunks));
    }
    return contents;
  } finally {
    zip.close();
  }
}

/** The signature over manifest.json, by the expected key (or the bundle's own, said so); returns the manifest. */
function checkSignature(contents: Contents, pinned: KeyObject | undefined, findings: Findings, checked: string[]): Manifest | null {
  const manifestBytes = contents.get(FILES.manifest);
  const sig = contents.get(FILES.signature);
  const pem = contents.get(FILES.publicKey);
  const untrusted = 'treat everything in the bundle as untrusted';
  let bundled: KeyObject | null = null;
  if (pem) {
    try {
      bundled = parsePublicKey(pem.toString('utf8'));
    } catch {
      if (!pinned) findings.add(FILES.publicKey, 'is not an Ed25519 public key');
    }
  }
  const key = pinned ?? bundled;
  if (!manifestBytes) findings.add(FILES.manifest, `is missing: ${untrusted}`);
  else if (!sig) findings.add(FILES.signature, `is missing: the bundle is not signed; ${untrusted}`);
  else if (!key) findings.add(FILES.publicKey, 'is missing and no --key was given: the signature cannot be checked');
  else if (!verify(null, manifestBytes, key, sig)) {
    if (pinned && bundled && !bundled.equals(pinned) && verify(null, manifestBytes, bundled, sig)) {
      findings.add(FILES.signature, `signed by another key (${fingerprint(bundled)}), not the expected ${fingerprint(pinned)}: ${untrusted}`);
    } else {
      findings.add(FILES.signature, `does not verify with ${fingerprint(key)}${pinned ? ' (the expected key)' : ' (from public-key.pem)'}: manifest.json changed after signing or another key signed it; ${untrusted}`);
    }
  } else {
    checked.push(`signature: Ed25519 over manifest.json by ${fingerprint(key)}${pinned ? ' (the expected key)' : ' (the key inside the bundle: pass --key with the gateway\'s own key to know it is theirs)'}`);
  }
  if (!manifestBytes) return null;
  let manifest: Manifest;
  try {
    manifest = manifestSchema.parse(JSON.parse(manifestBytes.toString('utf8')));
  } catch (err) {
    findings.add(FILES.manifest, `is not a valid manifest: ${(err as Error).message.split('\n')[0]}`);
    return null;
  }
  if (key && manifest.gateway.key !== fingerprint(key)) {
    findings.add(FILES.manifest, `names the gateway key ${manifest.gateway.key}, but the signature was checked with ${fingerprint(key)}`);
  }
  if (pinned && bundled && !bundled.equals(pinned) && !findings.list.some((f) => f.subject === FILES.signature)) {
    findings.add(FILES.publicKey, `holds ${fingerprint(bundled)}, not the expected key`);
  }
  return manifest;
}

function checkChain(data: Buffer | undefined, manifest: Manifest, findings: Findings): BundleChainEntry[] {
  if (!data) return [];
  const entries: BundleChainEntry[] = [];
  let prev = GENESIS;
  lines(data).forEach((line, i) => {
    let e: BundleChainEntry;
    try {
      e = JSON.parse(line) as BundleChainEntry;
    } catch {
      findings.add(`${FILES.chain} line ${i + 1}`, 'is not valid JSON');
      return;
    }
    if (e.seq !== i + 1) findings.add(`${FILES.chain} line ${i + 1}`, `holds entry #${e.seq}: entries are missing or out of order`);
    else if (e.prev !== prev) findings.add(`${FILES.chain} entry #${e.seq}`, `does not link to entry #${e.seq - 1}: the chain is broken`);
    if (chainEntryHash(e.prev, e) !== e.hash) findings.add(`${FILES.chain} entry #${e.seq}`, 'was modified: its hash does not match its content');
    prev = e.hash;
    entries.push(e);
  });
  if (entries.length !== manifest.chain.length) findings.add(FILES.chain, `has ${entries.length} entries, the manifest says ${manifest.chain.length}`);
  else if ((entries.at(-1)?.hash ?? GENESIS) !== manifest.chain.head) findings.add(FILES.chain, 'ends in another head than the manifest names');
  return entries;
}

/** Lines of a JSON Lines file against the chain entries for that file: changed, missing, added, out of order. */
function checkLines(file: BundleChainEntry['file'], data: Buffer | undefined, chain: BundleChainEntry[], findings: Findings): number {
  const expected = chain.filter((e) => e.file === file);
  if (!data) return expected.length;
  const kind = file === FILES.sessions ? 'session' : 'action';
  const position = new Map(expected.map((e, i) => [e.sha256, i]));
  const list = lines(data);
  const idOf = (line: string): string | null => {
    try {
      const value = JSON.parse(line) as { id?: unknown; seq?: unknown };
      return file === FILES.sessions ? (typeof value.id === 'string' ? value.id : null) : typeof value.seq === 'number' ? `event:${value.seq}` : null;
    } catch {
      return null;
    }
  };
  const label = (id: string | null) => (id === null ? '' : ` (${kind} ${id.replace(/^event:/, '#')})`);
  const matched = list.map((line) => position.get(sha256(line)) ?? null);
  const used = new Set(matched.filter((m): m is number => m !== null));
  const missing = new Map(expected.map((e, i) => [e.id, i]).filter(([, i]) => !used.has(i as number)) as [string, number][]);

  matched.forEach((m, n) => {
    if (m !== null) return;
    const id = idOf(list[n]);
    const entry = id !== null ? missing.get(id) : undefined;
    if (entry !== undefined) {
      findings.add(`${file} line ${n + 1}${label(id)}`, `changed after export: it no longer matches chain entry #${expected[entry].seq}`);
      missing.delete(id!);
    } else findings.add(`${file} line ${n + 1}${label(id)}`, 'is not in the chain: added or changed after export');
  });
  for (const [id, i] of missing) findings.add(file, `${kind} ${id.replace(/^event:/, '#')} (chain entry #${expected[i].seq}) is missing: removed after export`);

  // In order = the matched lines' chain positions increase; the longest increasing run stays, the rest moved.
  const inOrder = longestIncreasing(matched.map((m, n) => ({ m, n })).filter((x): x is { m: number; n: number } => x.m !== null));
  let previous: number | null = null;
  matched.forEach((m, n) => {
    if (m === null) return;
    if (!inOrder.has(n)) {
      findings.add(`${file} line ${n + 1}${label(expected[m].id)}`, `is out of order: it is chain entry #${expected[m].seq}${previous !== null ? `, placed after #${expected[previous].seq}` : ''}`);
    }
    previous = m;
  });
  return expected.length;
}

function longestIncreasing(items: { m: number; n: number }[]): Set<number> {
  const tails: number[] = [];
  const parent = new Array<number>(items.length).fill(-1);
  items.forEach((item, i) => {
    let lo = 0;
    let hi = tails.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (items[tails[mid]].m < item.m) lo = mid + 1;
      else hi = mid;
    }
    if (lo > 0) parent[i] = tails[lo - 1];
    tails[lo] = i;
  });
  const keep = new Set<number>();
  for (let i = tails.at(-1) ?? -1; i >= 0; i = parent[i]) keep.add(items[i].n);
  return keep;
}

function lines(data: Buffer): string[] {
  const text = data.toString('utf8');
  const list = text.split('\n');
  if (list.at(-1) === '') list.pop();
  return list;
}
