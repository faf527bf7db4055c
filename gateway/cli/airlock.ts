// The `airlock` command: serve the gateway headless, and manage callers and reviewers in a data dir.
import { Command, CommanderError, InvalidArgumentError, Option } from 'commander';
import { defaultDataDir } from '../config/paths.js';
import { keyringExists, passphraseProtector } from '../store/keyring.js';
import { openIdentityStore } from '../store/index.js';
import { startGateway } from '../server.js';
import { readPassphrase } from './passphrase.js';
import { addAuditCommands } from '../audit/cli.js';
import type { ReviewerRole } from '../api/types.js';

function port(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0 || n > 65535) throw new InvalidArgumentError('must be a port number (0-65535)');
  return n;
}

function name(value: string): string {
  if (!/^[A-Za-z0-9][A-Za-z0-9._@-]{0,63}$/.test(value)) throw new InvalidArgumentError('use letters, digits, ".", "_", "-" or "@" (at most 64)');
  return value;
}

const dataDirOption = () => new Option('--data-dir <dir>', 'where Airlock keeps its data').default(defaultDataDir(), 'the OS app-data folder');

async function withIdentities<T>(dataDir: string, fn: (ids: Awaited<ReturnType<typeof openIdentityStore>>['identities']) => Promise<T>): Promise<T> {
  const store = await openIdentityStore(dataDir);
  try {
    return await fn(store.identities);
  } finally {
    await store.close();
  }
}

export function buildCli(): Command {
  const program = new Command('airlock')
    .description('Airlock: a person approves what your programs ask LLMs.')
    // A usage error is one line on stderr: commander's message, its "Did you mean" hint, and where help is.
    .configureOutput({ outputError: (message, write) => write(`${message.trim().replace(/\s*\n\s*/g, ' ')} (run with --help for usage)\n`) })
    .exitOverride();

  program
    .command('serve')
    .description('run the gateway and the web console (headless)')
    .option('--port <port>', 'port to listen on', port, 8787)
    .option('--host <host>', 'address to bind', '127.0.0.1')
    .addOption(dataDirOption())
    .option('--config <file>', 'YAML config: upstreams, policies, limits')
    .option('--upstream <url>', 'one upstream URL for both protocols (its key comes from AIRLOCK_UPSTREAM_KEY)')
    .option('--demo', 'use the built-in demo model (no network, no API key)')
    .action(async (opts: { port: number; host: string; dataDir: string; config?: string; upstream?: string; demo?: boolean }) => {
      const firstRun = !keyringExists(opts.dataDir);
      const passphrase = await readPassphrase({ confirm: firstRun });
      const gateway = await startGateway({
        dataDir: opts.dataDir,
        port: opts.port,
        host: opts.host,
        configPath: opts.config,
        upstreamUrl: opts.upstream,
        demo: opts.demo,
        keyProtector: passphraseProtector(passphrase),
      });
      const lines = [`Airlock is running at ${gateway.url}`, `  console:   ${gateway.url}/`, `  OpenAI:    baseURL ${gateway.url}/v1`, `  Anthropic: baseURL ${gateway.url}`, `  data dir:  ${opts.dataDir}`];
      await withIdentities(opts.dataDir, async (ids) => {
        if ((await ids.countReviewers()) === 0) {
          const token = await gateway.issueReviewerToken('admin', 'admin');
          lines.push('', 'First run: created reviewer "admin" (role admin). Log in to the console with this token:', `  ${token}`);
        }
        if (opts.demo && (await ids.listCallers()).length === 0) {
          const key = await gateway.issueCallerKey('demo');
          lines.push('', 'Demo: created caller "demo". Use this as the API key in your OpenAI or Anthropic client:', `  ${key}`);
        }
      });
      process.stdout.write(`${lines.join('\n')}\n`);
      let stopping = false;
      const stop = (signal: string) => {
        if (stopping) return;
        stopping = true;
        process.stderr.write(`\n${signal}: stopping Airlock (pending requests are refused, the store is closed)…\n`);
        gateway.stop().then(
          () => process.exit(0),
          () => process.exit(1),
        );
      };
      process.once('SIGTERM', () => stop('SIGTERM'));
      process.once('SIGINT', () => stop('SIGINT'));
    });

  const callers = program.command('callers').description('programs allowed to call through Airlock');
  callers
    .command('add')
    .argument('<name>', 'caller name', name)
    .option('--owner <reviewer>', 'the reviewer this key belongs to (who then may not approve its requests)')
    .addOption(dataDirOption())
    .description('create a caller (or rotate its key); prints the key as the last line')
    .action(async (callerName: string, opts: { owner?: string; dataDir: string }) => {
      const key = await withIdentities(opts.dataDir, (ids) => ids.addCaller(callerName, opts.owner ?? null));
      process.stdout.write(`Caller "${callerName}" created. Its key (shown once):\n${key}\n`);
    });
  callers
    .command('list')
    .addOption(dataDirOption())
    .action(async (opts: { dataDir: string }) => {
      const list = await withIdentities(opts.dataDir, (ids) => ids.listCallers());
      if (list.length === 0) process.stdout.write('no callers yet: airlock callers add NAME\n');
      for (const c of list) process.stdout.write(`${c.name}\t${c.revoked ? 'revoked' : 'active'}\t${c.owner ? `owner ${c.owner}\t` : ''}created ${c.createdAt}\n`);
    });
  callers
    .command('revoke')
    .argument('<name>', 'caller name', name)
    .addOption(dataDirOption())
    .action(async (callerName: string, opts: { dataDir: string }) => {
      const done = await withIdentities(opts.dataDir, (ids) => ids.revokeCaller(callerName));
      if (!done) throw new Error(`no active caller named "${callerName}"`);
      process.stdout.write(`Caller "${callerName}" revoked.\n`);
    });

  const reviewers = program.command('reviewers').description('people who decide');
  reviewers
    .command('add')
    .argument('<name>', 'reviewer name', name)
    .addOption(new Option('--role <role>', 'what they may do').choices(['admin', 'reviewer', 'auditor']).default('reviewer'))
    .addOption(dataDirOption())
    .description('create a reviewer (or rotate their token); prints the token as the last line')
    .action(async (reviewerName: string, opts: { role: ReviewerRole; dataDir: string }) => {
      const token = await withIdentities(opts.dataDir, (ids) => ids.addReviewer(reviewerName, opts.role));
      process.stdout.write(`Reviewer "${reviewerName}" (${opts.role}) created. Their token (shown once):\n${token}\n`);
    });
  reviewers
    .command('list')
    .addOption(dataDirOption())
    .action(async (opts: { dataDir: string }) => {
      for (const r of await withIdentities(opts.dataDir, (ids) => ids.listReviewers())) process.stdout.write(`${r.name}\t${r.role}\t${r.revoked ? 'revoked' : 'active'}\n`);
    });
  reviewers
    .command('revoke')
    .argument('<name>', 'reviewer name', name)
    .addOption(dataDirOption())
    .action(async (reviewerName: string, opts: { dataDir: string }) => {
      const done = await withIdentities(opts.dataDir, (ids) => ids.revokeReviewer(reviewerName));
      if (!done) throw new Error(`no active reviewer named "${reviewerName}"`);
      process.stdout.write(`Reviewer "${reviewerName}" revoked.\n`);
    });
  addAuditCommands(program, dataDirOption); // export, verify, key, shred, hash
  return program;
}

export async function main(argv: string[]): Promise<void> {
  const program = buildCli();
  try {
    await program.parseAsync(argv, { from: 'user' });
  } catch (err) {
    if (err instanceof CommanderError) {
      process.exitCode = err.exitCode === 0 ? 0 : 2;
      return;
    }
    process.stderr.write(`airlock: ${(err as Error).message}\n`);
    process.exitCode = 1;
  }
}
