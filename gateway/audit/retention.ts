// Retention and crypto-shredding: both remove what a session said, and both leave a signed mark in the chain,
// so the store (and any later export) still verifies.
import type { SessionStore } from '../store/index.js';
import type { EventRef } from './chain.js';
import { sha256 } from './digest.js';

/** Still in the gateway's hands: never deleted or shredded under it. */
const IN_FLIGHT = ['pending', 'approved', 'forwarding'];

export interface RetentionResult {
  deleted: number;
  checkpoint: EventRef | null;
  /** Chain events dropped with the sessions they were about (their hash is kept in the checkpoint). */
  pruned: number;
}

/**
 * Deletes sessions created before `now - maxAgeMs`, and the chain's prefix that only concerns what is gone; the
 * checkpoint it appends names the cut-off and the hash the remaining chain continues from.
 */
export async function applyRetention(store: SessionStore, maxAgeMs: number, now = Date.now()): Promise<RetentionResult> {
  const { db } = store;
  const before = now - maxAgeMs;
  await store.requests.settledForRead();
  await store.requests.flushTerms(); // queued search terms first, so none land after their session is gone
  // The journal must not keep what is deleted here: its entries so far leave the disk once they are in SQLite.
  store.requests.sealJournal();
  return store.requests.audit.write(async (chain) => {
    const rows = await db.all<{ id: string }>(
      `SELECT id FROM requests WHERE created_at < ? AND NOT (status IN (${IN_FLIGHT.map(() => '?').join(',')}) AND completed_at IS NULL) ORDER BY id`,
      [before, ...IN_FLIGHT],
    );
    if (rows.length === 0) return { deleted: 0, checkpoint: null, pruned: 0 };
    const ids = rows.map((r) => r.id);
    for (let i = 0; i < ids.length; i += 500) {
      const batch = ids.slice(i, i + 500);
      // Decisions and search terms go with their request (ON DELETE CASCADE).
      await db.run(`DELETE FROM requests WHERE id IN (${batch.map(() => '?').join(',')})`, batch);
    }
    const keepFrom = await db.get<{ seq: number | null }>(
      'SELECT MIN(seq) AS seq FROM audit_events WHERE at >= ? OR request_id IN (SELECT id FROM requests)',
      [before],
    );
    const bounds = await db.get<{ first: number | null; last: number | null }>('SELECT MIN(seq) AS first, MAX(seq) AS last FROM audit_events');
    const through = (keepFrom?.seq ?? (bounds?.last ?? 0) + 1) - 1;
    let pruned: { through: number; hash: string } | null = null;
    let count = 0;
    if (bounds?.first !== null && bounds?.first !== undefined && through >= bounds.first) {
      const anchor = await db.get<{ hash: string }>('SELECT hash FROM audit_events WHERE seq = ?', [through]);
      count = (await db.run('DELETE FROM audit_events WHERE seq <= ?', [through])).changes;
      pruned = { through, hash: anchor!.hash };
    }
    const checkpoint = await chain.action('retention', 'retention.checkpoint', {
      before: new Date(before).toISOString(),
      deleted: ids.length,
      ids: sha256(ids.join('\n')),
      pruned,
    });
    return { deleted: ids.length, checkpoint, pruned: count };
  });
}

/** Destroys one session's key: its text can never be read again. Its metadata and its place in the chain stay. */
export async function shredSession(store: SessionStore, id: string, actor: string): Promise<EventRef> {
  const { db } = store;
  await store.requests.settledForRead();
  await store.requests.flushTerms(); // queued search terms first, so none land after the shredding deletes them
  store.requests.sealJournal(); // its wrapped key must not outlive the shredding in the journal
  return store.requests.audit.write(async (chain) => {
    const row = await db.get<{ status: string; session_key: Buffer | null; completed_at: number | null }>('SELECT status, session_key, completed_at FROM requests WHERE id = ?', [id]);
    if (!row) throw new Error(`no session ${id}`);
    if (row.session_key === null) throw new Error(`session ${id} is already shredded`);
    if (IN_FLIGHT.includes(row.status) && row.completed_at === null) throw new Error(`session ${id} is still ${row.status}; shred it once it has finished`);
    // The conversation hash and the search terms are keyed hashes of its text: they go too.
    await db.run('UPDATE requests SET session_key = NULL, conv_hash = NULL WHERE id = ?', [id]);
    await db.run('DELETE FROM search_terms WHERE request_id = ?', [id]);
    return chain.recordRequest('session.shredded', id, { actor, withStatus: row.completed_at !== null || row.status === 'interrupted' });
  });
}
