// "Approve and remember": a reviewer's decision that also approves what comes next from the same caller and model,
// for this conversation, for a while, or always (a rule an admin sees and can revoke).
import { randomBytes } from 'node:crypto';
import type { RequestFlow } from '../flow/request-flow.js';
import { conversationHashes } from '../flow/conversation.js';
import type { Database } from '../store/db.js';
import type { SessionCrypto } from '../store/session-crypto.js';

import type { RememberedRule, RememberScope as ApiScope } from '../api/types.js';

export type RememberScope = Exclude<ApiScope, 'request'>;

interface RuleRow {
  id: string;
  caller: string;
  model: string;
  template: string | null;
  conversation: string | null;
  scope: RememberScope;
  created_by: string;
  created_at: number;
  expires_at: number | null;
  revoked_at: number | null;
  revoked_by: string | null;
  source_request: string | null;
}

const DURATION: Partial<Record<RememberScope, number>> = { '15m': 15 * 60_000, '1h': 3_600_000, conversation: 24 * 3_600_000 };

export class RememberedRules {
  private active: RuleRow[] = [];

  constructor(
    private readonly db: Database,
    private readonly crypto: SessionCrypto,
  ) {}

  async load(): Promise<void> {
    this.active = await this.db.all<RuleRow>('SELECT * FROM remembered_rules WHERE revoked_at IS NULL AND (expires_at IS NULL OR expires_at > ?)', [Date.now()]);
  }

  /** The prompt template: who the model is told to be and which tools it has, as a keyed hash. */
  template(flow: Pick<RequestFlow, 'prompt' | 'body'>): string {
    const tools = Array.isArray(flow.body.tools) ? (flow.body.tools as { name?: string; function?: { name?: string } }[]).map((t) => t.function?.name ?? t.name ?? '').sort() : [];
    return this.crypto.hmac(`template\0${flow.prompt.system}\0${tools.join(',')}`).toString('base64url');
  }

  async remember(flow: RequestFlow, scope: RememberScope, reviewer: string): Promise<RememberedRule> {
    const now = Date.now();
    const row: RuleRow = {
      id: `rule_${randomBytes(6).toString('hex')}`,
      caller: flow.caller.name,
      model: flow.model,
      template: scope === 'conversation' ? null : this.template(flow),
      conversation: scope === 'conversation' ? conversationHashes(this.crypto, flow).full : null,
      scope,
      created_by: reviewer,
      created_at: now,
      expires_at: DURATION[scope] !== undefined ? now + DURATION[scope]! : null,
      revoked_at: null,
      revoked_by: null,
      source_request: flow.id,
    };
    await this.db.run(
      `INSERT INTO remembered_rules (id, caller, model, template, conversation, scope, created_by, created_at, expires_at, source_request) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      [row.id, row.caller, row.model, row.template, row.conversation, row.scope, row.created_by, row.created_at, row.expires_at, row.source_request],
    );
    this.active.push(row);
    return toRule(row);
  }

  /** The remembered rule that approves `flow`, if any. A conversation rule follows the conversation as it grows. */
  match(flow: RequestFlow): RememberedRule | null {
    if (this.active.length === 0) return null;
    const now = Date.now();
    this.active = this.active.filter((r) => r.expires_at === null || r.expires_at > now);
    let template: string | undefined;
    let hashes: ReturnType<typeof conversationHashes> | undefined;
    for (const rule of this.active) {
      if (rule.caller !== flow.caller.name || rule.model !== flow.model) continue;
      if (rule.template) {
        template ??= this.template(flow);
        if (rule.template === template) return toRule(rule);
      } else if (rule.conversation) {
        hashes ??= conversationHashes(this.crypto, flow);
        if (hashes.prefixes.includes(rule.conversation)) {
          // Follow the conversation: the next turn extends this one.
          rule.conversation = hashes.full;
          void this.db.run('UPDATE remembered_rules SET conversation = ? WHERE id = ?', [hashes.full, rule.id]);
          return toRule(rule);
        }
      }
    }
    return null;
  }

  async list(): Promise<RememberedRule[]> {
    const rows = await this.db.all<RuleRow>('SELECT * FROM remembered_rules ORDER BY created_at DESC LIMIT 500');
    return rows.map(toRule);
  }

  async revoke(id: string, by: string): Promise<boolean> {
    const { changes } = await this.db.run('UPDATE remembered_rules SET revoked_at = ?, revoked_by = ? WHERE id = ? AND revoked_at IS NULL', [Date.now(), by, id]);
    this.active = this.active.filter((r) => r.id !== id);
    return changes > 0;
  }
}

function toRule(r: RuleRow): RememberedRule {
  return {
    id: r.id,
    caller: r.caller,
    model: r.model,
    scope: r.scope,
    createdBy: r.created_by,
    createdAt: new Date(r.created_at).toISOString(),
    expiresAt: r.expires_at ? new Date(r.expires_at).toISOString() : null,
    revokedAt: r.revoked_at ? new Date(r.revoked_at).toISOString() : null,
    revokedBy: r.revoked_by,
    sourceRequest: r.source_request,
  };
}
