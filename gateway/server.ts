// startGateway(): the one way the CLI, the desktop app and the tests run Airlock.
import express from 'express';
import { EventEmitter } from 'node:events';
import { existsSync, mkdirSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import pino, { type Logger } from 'pino';
import { apiErrors, reviewerApi } from './api/routes.js';
import type { RequestSummary, ReviewerRole } from './api/types.js';
import { defaultConfig, type AirlockConfig } from './config/schema.js';
import { loadConfigFile } from './config/load.js';
import { AirlockError } from './errors.js';
import { Pipeline } from './flow/pipeline.js';
import { ReviewQueue } from './flow/queue.js';
import type { RequestFlow } from './flow/request-flow.js';
import { eventFor } from './flow/status.js';
import { summaryOf } from './flow/summary.js';
import { ADAPTERS, CODECS, familyOf, findAdapter } from './protocols/index.js';
import { Recorder } from './stages/record.js';
import { startAudit } from './audit/start.js';
import { Guardrails } from './guard/index.js';
import { RememberedRules } from './guard/remembered.js';
import { Journal, JOURNAL_DIR } from './store/journal.js';
import { openSessionStore, type SessionStore } from './store/index.js';
import { LOCK_FILE, ServeLock } from './store/serve-lock.js';
import { addProtector, type KeyProtector } from './store/keyring.js';
import { httpUpstreamClient } from './upstream/client.js';
import { demoUpstreamClient } from './upstream/demo.js';
import { DEMO_URL, UpstreamRegistry } from './upstream/registry.js';
import { CallerReply } from './flow/caller-reply.js';
import { newRequestId } from './flow/request-flow.js';

export interface GatewayOptions {
  dataDir: string;
  /** Default 8787; 0 picks a free port. */
  port?: number;
  host?: string;
  config?: AirlockConfig;
  configPath?: string;
  demo?: boolean;
  upstreamUrl?: string;
  keyProtector: KeyProtector;
  /** Upstream keys by upstream name; they win over `keyEnv`. */
  upstreamKeys?: Record<string, string>;
  /** The built console; default renderer/dist. */
  consoleDir?: string;
  logger?: Logger;
  /** How long a caller may be gone before its pending request is withdrawn (default 2 s). */
  hangUpGraceMs?: number;
  env?: NodeJS.ProcessEnv;
}

export interface GatewayEvents extends EventEmitter {
  on(event: 'request.pending' | 'request.updated' | 'request.decided' | 'request.completed', listener: (request: RequestSummary) => void): this;
  on(event: 'request.escalated', listener: (request: RequestSummary, to: string[]) => void): this;
}

export interface Gateway {
  readonly url: string;
  readonly port: number;
  readonly events: GatewayEvents;
  readonly config: AirlockConfig;
  pendingCount(): number;
  readonly intakePaused: boolean;
  setIntakePaused(paused: boolean): void;
  issueReviewerToken(name: string, role: ReviewerRole): Promise<string>;
  issueCallerKey(name: string, owner?: string | null): Promise<string>;
  decide(id: string, decision: { action: 'approve' | 'reject'; reviewer: string; reason?: string }): Promise<void>;
  addKeyProtector(protector: KeyProtector): Promise<void>;
  stop(): Promise<void>;
}

const here = dirname(fileURLToPath(import.meta.url));
export const DEFAULT_CONSOLE_DIR = resolve(here, '..', 'renderer', 'dist');

const CSP = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; font-src 'self' data:; connect-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'";

export async function startGateway(opts: GatewayOptions): Promise<Gateway> {
  const logger = opts.logger ?? pino({ level: process.env.AIRLOCK_LOG_LEVEL ?? 'info', redact: { paths: ['req.headers.authorization', 'req.headers["x-api-key"]', 'key', 'token'], remove: true } });
  const config = opts.config ?? (opts.configPath ? await loadConfigFile(opts.configPath) : defaultConfig());
  // A bad --upstream stops the start before the data dir is touched.
  const registry = new UpstreamRegistry({ config, upstreamUrl: opts.upstreamUrl, demo: opts.demo, upstreamKeys: opts.upstreamKeys, env: opts.env ?? process.env });
  // The data dir is this gateway's before anything in it is opened: two starting at once on a new one would each make a
  // data key, and a running gateway's requests must not be replayed or closed out by another.
  mkdirSync(opts.dataDir, { recursive: true, mode: 0o700 });
  const lock = ServeLock.acquire(opts.dataDir);
  lock.onLost = () => logger.error(`the data dir lock (${LOCK_FILE}) was removed or replaced while this gateway runs: another gateway could now start on ${opts.dataDir}; restart this one to take it again`);
  // What a failed start has opened so far, closed again in reverse (the data dir is left as it was, and free).
  const closers: (() => unknown)[] = [];
  try {
    const store = await openSessionStore(opts.dataDir, opts.keyProtector);
    closers.push(() => store.close());
    return await serve(opts, logger, config, registry, store, lock, closers);
  } catch (err) {
    for (const close of closers.reverse()) await Promise.resolve().then(close).catch(() => undefined);
    lock.release();
    throw err;
  }
}

async function serve(opts: GatewayOptions, logger: Logger, config: AirlockConfig, registry: UpstreamRegistry, store: SessionStore, lock: ServeLock, closers: (() => unknown)[]): Promise<Gateway> {
  store.requests.onWriteFailed = (err, requestId) => logger.error({ err, requestId }, 'SQLite refused a write; what was journaled of it is replayed at the next start');
  // What a killed gateway had journaled but not yet written goes in first; then anything it left open is closed out.
  const journalDir = join(opts.dataDir, JOURNAL_DIR);
  store.requests.onWritesHeldUp = (err, waiting) => logger.warn({ err, waiting }, 'SQLite is not taking writes for now; they wait in the journal and go again');
  const replayed = await store.requests.replayJournals(journalDir);
  if (replayed.files > 0) logger.warn(replayed, 'replayed the journal of a gateway that did not stop cleanly');
  if (replayed.failed > 0 || replayed.rejectedLines > 0) logger.error(replayed, 'some journaled writes could not be applied or failed their MAC; the journal folder keeps them (*.unapplied-* for a person to look at, the rest for the next start)');
  const journal = new Journal(journalDir, (line) => store.crypto.journalMac(line), (err) => logger.error({ err }, 'journal housekeeping failed'));
  closers.push(() => journal.close()); // nothing was served yet: its file is empty and goes, so the next start sees no crash
  store.requests.useJournal(journal);
  const interrupted = await store.requests.interruptOpen();
  if (interrupted > 0) logger.warn({ interrupted }, 'closed out requests left open by a previous run');
  const audit = await startAudit({ store, retentionMs: config.retention, logger }); // signing key, retention schedule
  closers.push(() => audit.stop());

  const events = new EventEmitter() as GatewayEvents;
  events.setMaxListeners(0);
  let intakePaused = false;
  let shuttingDown = false;
  const recorder = new Recorder(store, logger, { recordRawAnswers: config.recording.answers === 'raw' });
  const flows = new Map<string, RequestFlow>();
  const queue = new ReviewQueue({
    updated: (flow) => events.emit('request.updated', queue.overlay(summaryOf(flow))),
    decided: (flow, decision) => recorder.decided(flow, decision),
    escalated: (flow, to) => events.emit('request.escalated', queue.overlay(summaryOf(flow)), to),
  });
  const httpClient = httpUpstreamClient();
  const demoClient = demoUpstreamClient();

  const guardrails = new Guardrails(config);
  const remembered = new RememberedRules(store.db, store.crypto);
  await remembered.load();

  const pipeline = new Pipeline({
    config,
    identities: store.identities,
    queue,
    recorder,
    logger,
    contains: guardrails.contains,
    admit: (flow) => guardrails.rateLimiter.admit(flow),
    remembered,
    intakePaused: () => intakePaused,
    shuttingDown: () => shuttingDown,
    hangUpGraceMs: opts.hangUpGraceMs ?? 2000,
    created(flow) {
      flows.set(flow.id, flow);
      flow.onStatus((f) => {
        const type = eventFor(f.status!);
        const listeners = events.listenerCount(type);
        if (listeners === 0) return;
        // Announced to someone who can decide: a console's feed or the desktop's notifier.
        if (f.status === 'pending') f.mark('notified', { detail: `${listeners} listener(s)` });
        events.emit(type, queue.overlay(summaryOf(f)));
      });
    },
    finished(flow) {
      flows.delete(flow.id);
    },
    forward: {
      client: (target) => (target.url === DEMO_URL ? demoClient : httpClient),
      resolve: (flow) => registry.resolve(flow.adapter.family),
      timeoutMs: config.server.upstreamTimeout,
      streamTransform: guardrails.streamTransform,
      bodyTransform: guardrails.bodyTransform,
      requestTransform: guardrails.requestTransform,
    },
  });

  const app = express();
  app.disable('x-powered-by');
  app.set('etag', false);
  app.get('/healthz', (_req, res) => {
    res.json({ ok: true, pending: queue.size });
  });
  // The store's status can trail a flow in progress by one write; the live flow is the truth.
  const overlay = (summary: RequestSummary): RequestSummary => {
    const flow = flows.get(summary.id);
    return queue.overlay(flow?.status ? { ...summary, status: flow.status, timeoutAt: flow.status === 'pending' ? summary.timeoutAt : null } : summary);
  };
  app.use('/api/v1', reviewerApi({ store, queue, overlay, events, remembered, liveFlow: (id) => flows.get(id), liveTimeline: (id) => flows.get(id)?.timeline.slice(), secureCookies: false }));
  const consoleDir = opts.consoleDir ?? DEFAULT_CONSOLE_DIR;
  app.use((_req, res, next) => {
    res.setHeader('content-security-policy', CSP);
    res.setHeader('x-content-type-options', 'nosniff');
    res.setHeader('referrer-policy', 'no-referrer');
    res.setHeader('x-frame-options', 'DENY');
    next();
  });
  if (existsSync(consoleDir)) {
    app.use(express.static(consoleDir, { index: 'index.html', maxAge: 0 }));
    app.get('/{*rest}', (_req, res) => res.sendFile(join(consoleDir, 'index.html')));
  } else {
    app.get('/', (_req, res) => res.type('text/plain').send('The Airlock console is not built yet: run `npm run build:renderer`.\n'));
  }
  app.use(apiErrors);

  const server = http.createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0];
    if (path === '/v1' || path.startsWith('/v1/')) {
      const adapter = findAdapter(req.method ?? 'GET', path, req.headers);
      if (adapter) {
        void pipeline.handle(req, res, adapter);
        return;
      }
      // No route, so no adapter: the family's main route stands in for the error's shape.
      const family = familyOf(req.headers, path);
      const stand = ADAPTERS.find((a) => a.family === family && a.method === 'POST')!;
      const reply = new CallerReply(res, stand, CODECS[family], newRequestId());
      req.resume();
      reply.fail(new AirlockError('not_found', { message: `Invalid URL (${req.method} ${path}): Airlock does not forward this route.` }));
      return;
    }
    app(req, res);
  });
  server.keepAliveTimeout = 65_000;
  server.requestTimeout = 0;
  server.headersTimeout = 60_000;

  await new Promise<void>((resolveListen, reject) => {
    server.once('error', (err: NodeJS.ErrnoException) => {
      reject(err.code === 'EADDRINUSE' ? new Error(`port ${opts.port ?? 8787} on ${opts.host ?? '127.0.0.1'} is already in use`) : err);
    });
    server.listen(opts.port ?? 8787, opts.host ?? '127.0.0.1', () => resolveListen());
  });
  const port = (server.address() as AddressInfo).port;
  const host = opts.host ?? '127.0.0.1';
  const url = `http://${host.includes(':') ? `[${host}]` : host}:${port}`;
  logger.info({ url, upstreams: registry.describe() }, 'airlock gateway ready');
  for (const warning of registry.warnings) logger.warn(warning);
  if (!['127.0.0.1', 'localhost', '::1'].includes(host)) {
    logger.warn(`serving on ${host} over plain HTTP: caller keys, reviewer tokens, prompts and answers cross the network unencrypted; put Airlock behind a TLS proxy, or keep --host 127.0.0.1`);
  }

  let stopping: Promise<void> | null = null;
  return {
    url,
    port,
    events,
    config,
    pendingCount: () => queue.size,
    get intakePaused() {
      return intakePaused;
    },
    setIntakePaused(paused) {
      intakePaused = paused;
    },
    issueReviewerToken: (name, role) => store.identities.addReviewer(name, role),
    issueCallerKey: (name, owner = null) => store.identities.addCaller(name, owner),
    async decide(id, decision) {
      await queue.decide(id, { ...decision, role: 'reviewer' });
    },
    async addKeyProtector(protector) {
      await addProtector(opts.dataDir, store.dataKey, protector);
    },
    stop() {
      stopping ??= (async () => {
        shuttingDown = true;
        queue.shutdown();
        for (const flow of pipeline.active) flow.abort.abort();
        // Let every flow answer its caller and finish its record.
        const deadline = Date.now() + 30_000;
        while (pipeline.active.size > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
        // Bounded: with SQLite held up elsewhere, what is left stays journaled and the next start applies it.
        await store.requests.settled(10_000);
        await store.requests.flushTerms().catch(() => undefined);
        server.closeIdleConnections();
        await new Promise<void>((r) => {
          server.close(() => r());
          setTimeout(() => {
            server.closeAllConnections();
            r();
          }, 1000).unref();
        });
        httpClient.close();
        try {
          await audit.stop();
          await store.requests.settled(10_000);
          journal.close();
          await store.close();
        } finally {
          lock.release(); // however the stop went, a later start in this process may have the data dir
        }
        logger.info('airlock gateway stopped');
      })();
      return stopping;
    },
  };
}
