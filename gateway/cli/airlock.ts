// The `airlock` command: serve the gateway headless; callers, reviewers and the audit commands are added from beside it.
// Every failure is one line on stderr, prefixed `airlock:`, with a non-zero exit: never a stack trace, never a secret.
import { readFileSync } from 'node:fs';
import { Command, CommanderError, InvalidArgumentError } from 'commander';
import { keyringExists } from '../store/keyring.js';
import { ServeLock } from '../store/serve-lock.js';
import { startGateway } from '../server.js';
import { addAuditCommands } from '../audit/cli.js';
import { dataDirOption } from './data-dir.js';
import { addIdentityCommands, withIdentities } from './identities.js';
import { protectorFor, readPassphrase } from './passphrase.js';

function port(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0 || n > 65535) throw new InvalidArgumentError('must be a port number (0-65535)');
  return n;
}

function packageVersion(): string {
  return (JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string }).version;
}

/** One line of an error message: newlines (a multi-line message from a library) run together. */
function oneLine(message: string): string {
  return message.trim().replace(/\s*\n\s*/g, ' ');
}

export function buildCli(): Command {
  const program = new Command('airlock')
    .description('Airlock: a person approves what your programs ask LLMs.')
    .version(packageVersion(), '-v, --version', 'print the version')
    // A usage error is one line on stderr: commander's message (its `error:` made our `airlock:`), its "Did you mean" hint, and where help is.
    .configureOutput({ outputError: (message, write) => write(`airlock: ${oneLine(message).replace(/^error:\s*/, '')} (run with --help for usage)\n`) })
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
      ServeLock.assertFree(opts.dataDir); // before a passphrase is asked for to no purpose
      const firstRun = !keyringExists(opts.dataDir);
      const passphrase = await readPassphrase({ confirm: firstRun });
      const gateway = await startGateway({
        dataDir: opts.dataDir,
        port: opts.port,
        host: opts.host,
        configPath: opts.config,
        upstreamUrl: opts.upstream,
        demo: opts.demo,
        keyProtector: protectorFor(passphrase),
      });
      // From here a failure must not leave a gateway running without its signal handlers.
      const lines = [`Airlock is running at ${gateway.url}`, `  console:   ${gateway.url}/`, `  OpenAI:    baseURL ${gateway.url}/v1`, `  Anthropic: baseURL ${gateway.url}`, `  data dir:  ${opts.dataDir}`];
      try {
        await withIdentities(opts.dataDir, { create: true }, async (ids) => {
          if ((await ids.countReviewers()) === 0) {
            const token = await gateway.issueReviewerToken('admin', 'admin');
            lines.push('', 'First run: created reviewer "admin" (role admin). Log in to the console with this token:', `  ${token}`);
          }
          if (opts.demo && (await ids.listCallers()).length === 0) {
            const key = await gateway.issueCallerKey('demo');
            lines.push('', 'Demo: created caller "demo". Use this as the API key in your OpenAI or Anthropic client:', `  ${key}`);
          }
        });
      } catch (err) {
        await gateway.stop().catch(() => undefined);
        throw err;
      }
      // Handled before the URL is out: whoever reads it may stop the gateway the next moment.
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
      process.stdout.write(`${lines.join('\n')}\n`);
    });

  addIdentityCommands(program); // callers, reviewers
  addAuditCommands(program); // export, verify, key, shred, hash
  return program;
}

export async function main(argv: string[]): Promise<void> {
  // The last resort, for an error no action caught (a stream's 'error' event): still one line, not a stack trace.
  const fail = (err: unknown) => {
    process.stderr.write(`airlock: ${oneLine(err instanceof Error ? err.message : String(err))}\n`);
    process.exit(1);
  };
  process.on('uncaughtException', fail);
  process.on('unhandledRejection', fail);
  const program = buildCli();
  try {
    await program.parseAsync(argv, { from: 'user' });
  } catch (err) {
    if (err instanceof CommanderError) {
      process.exitCode = err.exitCode === 0 ? 0 : 2;
      return;
    }
    process.stderr.write(`airlock: ${oneLine((err as Error).message)}\n`);
    process.exitCode = 1;
  }
}
