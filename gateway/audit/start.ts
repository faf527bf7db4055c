// The audit side of a running gateway: the signing key on first run, and retention on a schedule (at start, then hourly).
import type { Logger } from 'pino';
import type { SessionStore } from '../store/index.js';
import { applyRetention } from './retention.js';

const HOUR = 3_600_000;

export interface AuditService {
  /** Runs retention now (also what the timer does); resolves with how many sessions it deleted. */
  runRetention(): Promise<number>;
  stop(): Promise<void>;
}

export async function startAudit(opts: { store: SessionStore; retentionMs?: number; logger: Logger }): Promise<AuditService> {
  const { store, logger } = opts;
  // Made on first run, with the chain's genesis (which adopts rows from before the chain).
  const key = await store.requests.audit.signingKey();
  logger.debug({ gatewayId: key.gatewayId }, 'audit chain ready');

  let running: Promise<number> | null = null;
  const runRetention = (): Promise<number> => {
    if (!opts.retentionMs) return Promise.resolve(0);
    running ??= applyRetention(store, opts.retentionMs)
      .then((r) => {
        if (r.deleted > 0) logger.info({ deleted: r.deleted, pruned: r.pruned, checkpoint: r.checkpoint?.seq }, 'retention: deleted old sessions');
        return r.deleted;
      })
      .catch((err) => {
        logger.error({ err }, 'retention failed; it runs again in an hour');
        return 0;
      })
      .finally(() => {
        running = null;
      });
    return running;
  };
  let timer: NodeJS.Timeout | undefined;
  if (opts.retentionMs) {
    await runRetention();
    timer = setInterval(() => void runRetention(), HOUR);
    timer.unref();
  }
  return {
    runRetention,
    async stop() {
      clearInterval(timer);
      await running;
    },
  };
}
