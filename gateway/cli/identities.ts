// The `callers` and `reviewers` commands of `airlock`. `add` never replaces an active identity (a program or a person
// may be using its secret); `rotate` does, and says so. Keys and tokens go to stdout, as the last line, never into an error.
import { type Command, InvalidArgumentError, Option } from 'commander';
import type { ReviewerRole } from '../api/types.js';
import type { IdentityStore, ReviewerRecord } from '../store/identities.js';
import { openIdentityStore } from '../store/index.js';
import { dataDirOption, hasStore, requireStore } from './data-dir.js';

function name(value: string): string {
  if (!/^[A-Za-z0-9][A-Za-z0-9._@-]{0,63}$/.test(value)) throw new InvalidArgumentError('use letters, digits, ".", "_", "-" or "@" (at most 64)');
  return value;
}

/** Opens the data dir's identities; only the `add` commands (and `serve`) may create the data dir. */
export async function withIdentities<T>(dataDir: string, opts: { create: boolean }, fn: (ids: IdentityStore) => Promise<T>): Promise<T> {
  if (!opts.create) requireStore(dataDir);
  const store = await openIdentityStore(dataDir);
  try {
    return await fn(store.identities);
  } finally {
    await store.close();
  }
}

/** Why `owner` cannot own a caller, or null when it can: it must be an active reviewer, or the own-requests rule guards nothing. */
function ownerProblem(owner: string, reviewers: ReviewerRecord[]): string | null {
  const active = reviewers.filter((r) => !r.revoked).map((r) => r.name);
  if (active.includes(owner)) return null;
  if (reviewers.some((r) => r.name === owner)) return `reviewer "${owner}" is revoked, so cannot own a caller`;
  if (active.length === 0) return `no reviewer named "${owner}" to own the caller: there are no reviewers yet (airlock reviewers add ${owner})`;
  const shown = active.length > 10 ? `${active.slice(0, 10).join(', ')}, … (${active.length} in all: airlock reviewers list)` : active.join(', ');
  return `no reviewer named "${owner}" to own the caller; the reviewers are: ${shown}`;
}

export function addIdentityCommands(program: Command): void {
  const callers = program.command('callers').description('programs allowed to call through Airlock, each with its own key');
  callers
    .command('add')
    .description('create a caller; prints its key as the last line (an existing name is refused: use rotate for a new key)')
    .argument('<name>', 'caller name', name)
    .option('--owner <reviewer>', 'the reviewer this key belongs to (who then may not approve its requests); must exist')
    .addOption(dataDirOption())
    .action(async (callerName: string, opts: { owner?: string; dataDir: string }) => {
      // Checked before the data dir is created, so a refused owner leaves nothing behind.
      if (opts.owner && !hasStore(opts.dataDir)) throw new Error(ownerProblem(opts.owner, [])!);
      const { key, again } = await withIdentities(opts.dataDir, { create: true }, async (ids) => {
        const problem = opts.owner ? ownerProblem(opts.owner, await ids.listReviewers()) : null;
        if (problem) throw new Error(problem);
        const before = await ids.caller(callerName);
        const key = await ids.createCaller(callerName, opts.owner ?? null);
        if (!key) throw new Error(`caller "${callerName}" already exists; to give it a new key (its old key stops working at once): airlock callers rotate ${callerName}`);
        return { key, again: before !== undefined };
      });
      const what = again ? `Caller "${callerName}" (revoked before) created again` : `Caller "${callerName}" created`;
      process.stdout.write(`${what}. Its key (shown once):\n${key}\n`);
    });
  callers
    .command('rotate')
    .description('give a caller a new key: the old one stops working at once; prints the new key as the last line')
    .argument('<name>', 'caller name', name)
    .addOption(dataDirOption())
    .action(async (callerName: string, opts: { dataDir: string }) => {
      const key = await withIdentities(opts.dataDir, { create: false }, async (ids) => {
        const key = await ids.rotateCallerKey(callerName);
        if (key) return key;
        if (await ids.caller(callerName)) throw new Error(`caller "${callerName}" is revoked; airlock callers add ${callerName} creates it again`);
        throw new Error(`no caller named "${callerName}"; airlock callers add ${callerName} creates one`);
      });
      process.stdout.write(`Caller "${callerName}" rotated; the old key no longer works. Its new key (shown once):\n${key}\n`);
    });
  callers
    .command('list')
    .description('list the callers: name, active or revoked, owner, when created (never their keys)')
    .addOption(dataDirOption())
    .action(async (opts: { dataDir: string }) => {
      const list = await withIdentities(opts.dataDir, { create: false }, (ids) => ids.listCallers());
      if (list.length === 0) process.stdout.write('no callers yet: airlock callers add NAME\n');
      for (const c of list) process.stdout.write(`${c.name}\t${c.revoked ? 'revoked' : 'active'}\t${c.owner ? `owner ${c.owner}\t` : ''}created ${c.createdAt}\n`);
    });
  callers
    .command('revoke')
    .description("revoke a caller: its key stops working at once (a running gateway refuses it); its recorded sessions stay")
    .argument('<name>', 'caller name', name)
    .addOption(dataDirOption())
    .action(async (callerName: string, opts: { dataDir: string }) => {
      const done = await withIdentities(opts.dataDir, { create: false }, (ids) => ids.revokeCaller(callerName));
      if (!done) throw new Error(`no active caller named "${callerName}"`);
      process.stdout.write(`Caller "${callerName}" revoked.\n`);
    });

  const reviewers = program.command('reviewers').description('people who decide, each with their own console token');
  reviewers
    .command('add')
    .description('create a reviewer; prints their token as the last line (an existing name is refused: use rotate for a new token)')
    .argument('<name>', 'reviewer name', name)
    .addOption(new Option('--role <role>', 'what they may do').choices(['admin', 'reviewer', 'auditor']).default('reviewer'))
    .addOption(dataDirOption())
    .action(async (reviewerName: string, opts: { role: ReviewerRole; dataDir: string }) => {
      const { token, again } = await withIdentities(opts.dataDir, { create: true }, async (ids) => {
        const before = await ids.reviewer(reviewerName);
        const token = await ids.createReviewer(reviewerName, opts.role);
        if (!token) throw new Error(`reviewer "${reviewerName}" already exists; to give them a new token (the old one stops working at once): airlock reviewers rotate ${reviewerName}`);
        return { token, again: before !== undefined };
      });
      const what = again ? `Reviewer "${reviewerName}" (${opts.role}, revoked before) created again` : `Reviewer "${reviewerName}" (${opts.role}) created`;
      process.stdout.write(`${what}. Their token (shown once):\n${token}\n`);
    });
  reviewers
    .command('rotate')
    .description('give a reviewer a new token: the old one and its console logins stop working at once; prints the new token as the last line')
    .argument('<name>', 'reviewer name', name)
    .addOption(dataDirOption())
    .action(async (reviewerName: string, opts: { dataDir: string }) => {
      const token = await withIdentities(opts.dataDir, { create: false }, async (ids) => {
        const token = await ids.rotateReviewerToken(reviewerName);
        if (token) return token;
        if (await ids.reviewer(reviewerName)) throw new Error(`reviewer "${reviewerName}" is revoked; airlock reviewers add ${reviewerName} creates them again`);
        throw new Error(`no reviewer named "${reviewerName}"; airlock reviewers add ${reviewerName} creates one`);
      });
      process.stdout.write(`Reviewer "${reviewerName}" rotated; the old token no longer works. Their new token (shown once):\n${token}\n`);
    });
  reviewers
    .command('list')
    .description('list the reviewers: name, role, active or revoked (never their tokens)')
    .addOption(dataDirOption())
    .action(async (opts: { dataDir: string }) => {
      const list = await withIdentities(opts.dataDir, { create: false }, (ids) => ids.listReviewers());
      if (list.length === 0) process.stdout.write('no reviewers yet: airlock reviewers add NAME (airlock serve makes "admin" on first run)\n');
      for (const r of list) process.stdout.write(`${r.name}\t${r.role}\t${r.revoked ? 'revoked' : 'active'}\n`);
    });
  reviewers
    .command('revoke')
    .description('revoke a reviewer: their token and console logins stop working at once; their decisions stay on record')
    .argument('<name>', 'reviewer name', name)
    .addOption(dataDirOption())
    .action(async (reviewerName: string, opts: { dataDir: string }) => {
      const done = await withIdentities(opts.dataDir, { create: false }, (ids) => ids.revokeReviewer(reviewerName));
      if (!done) throw new Error(`no active reviewer named "${reviewerName}"`);
      process.stdout.write(`Reviewer "${reviewerName}" revoked.\n`);
    });
}
