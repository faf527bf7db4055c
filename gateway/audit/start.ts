// The audit side of a running gateway: the signing key on first run, the chain's adoption of rows written before it
// existed (once), and retention on a schedule (at start, then hourly).
import type { Logger } from 'pino';
import type { SessionStore } from '../store/index.js';
import { applyRetention } from './retention.js';

const META_ADOPTED = 'audit.adopted';
const HOUR = 3_600_000;

export interface AuditService {
  /** Runs retention now (also what the timer does); resolves with how many sessions it deleted. */
  runRetention(): Promise<number>;
  stop(): Promise<void>;
}

export async function startAudit(opts: { store: SessionStore; retentionMs?: number; logger: Logger }): Promise<AuditService> {
  const { store, logger } = opts;
  const key = await store.requests.audit.signingKey();
  await adoptUnchained(store, logger);
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

/** Rows from before the chain existed get one `adopted` event each, once: later rows outside the chain are findings. */
async function adoptUnchained(store: SessionStore, logger: Logger): Promise<void> {
  const { db } = store;
  if (await db.get('SELECT 1 AS done FROM meta WHERE key = ?', [META_ADOPTED])) return;
  const adopted = await store.requests.audit.write(async (chain) => {
    const rows = await db.all<{ id: string; caller: string; created_at: number; completed_at: number | null; status: string }>(
      `SELECT id, caller, created_at, completed_at, status FROM requests r
       WHERE NOT EXISTS (SELECT 1 FROM audit_events e WHERE e.request_id = r.id) ORDER BY created_at, id`,
    );
    for (const r of rows) {
      await chain.recordRequest('request.adopted', r.id, { actor: r.caller, at: r.created_at, withStatus: r.completed_at !== null || r.status === 'interrupted' });
    }
    const decisions = await db.all<{ id: number }>(
      `SELECT d.id FROM decisions d WHERE NOT EXISTS (
         SELECT 1 FROM audit_events e WHERE e.request_id = d.request_id AND e.type IN ('request.decided', 'decision.adopted') AND json_extract(e.detail, '$.decision') = d.id)
       ORDER BY d.id`,
    );
    for (const d of decisions) await chain.recordDecision(d.id, { type: 'decision.adopted' });
    await db.run('INSERT INTO meta (key, value) VALUES (?, ?)', [META_ADOPTED, new Date().toISOString()]);
    return rows.length + decisions.length;
  });
  if (adopted > 0) logger.info({ adopted }, 'audit chain: adopted rows recorded before the chain existed');
}
