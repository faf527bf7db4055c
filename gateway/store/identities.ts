// Callers (programs with a caller key) and reviewers (people with a token): stored only as hashes of their secrets.
import { createHash, randomBytes } from 'node:crypto';
import { statSync, writeFileSync } from 'node:fs';
import type { ReviewerRole } from '../api/types.js';
import type { Database, SqlValue } from './db.js';

export interface CallerRecord {
  name: string;
  owner: string | null;
  createdAt: string;
  revoked: boolean;
}

export interface ReviewerRecord {
  name: string;
  role: ReviewerRole;
  createdAt: string;
  revoked: boolean;
}

export function hashSecret(secret: string): string {
  return createHash('sha256').update(secret).digest('hex');
}

function newSecret(prefix: string): string {
  return `${prefix}${randomBytes(24).toString('base64url')}`;
}

type CallerIdentity = { name: string; owner: string | null };

/**
 * Caller keys are checked on every request, so they are cached; any process that changes an identity
 * (the CLI beside a running server, too) rewrites the version file, and a changed file empties the cache.
 */
export class IdentityStore {
  private readonly callers = new Map<string, CallerIdentity | null>();
  private seenVersion = '';

  constructor(
    private readonly db: Database,
    private readonly versionFile?: string,
  ) {}

  private currentVersion(): string {
    if (!this.versionFile) return '';
    try {
      const st = statSync(this.versionFile, { bigint: true });
      return `${st.mtimeNs}:${st.size}:${st.ino}`;
    } catch {
      return 'none';
    }
  }

  private changed(): void {
    this.callers.clear();
    if (this.versionFile) writeFileSync(this.versionFile, `${Date.now()} ${randomBytes(4).toString('hex')}\n`, { mode: 0o600 });
  }

  /** Creates a caller, or gives an existing one a new key (the gateway's issueCallerKey; the CLI uses createCaller). Returns the key, shown only now. */
  async addCaller(name: string, owner: string | null = null): Promise<string> {
    return (await this.upsertCaller(name, owner, false))!;
  }

  /**
   * Creates a caller but never replaces an active one, whose key a program may be using: undefined when an active
   * caller has the name. A revoked caller of that name is made anew. Returns the key, shown only now.
   */
  createCaller(name: string, owner: string | null): Promise<string | undefined> {
    return this.upsertCaller(name, owner, true);
  }

  /** `fresh`: only a new name or a revoked one is (re)made, as new; else an existing caller also gets the new key. */
  private async upsertCaller(name: string, owner: string | null, fresh: boolean): Promise<string | undefined> {
    const key = newSecret('alk_');
    const { changes } = await this.db.run(
      `INSERT INTO callers (name, key_hash, owner, created_at) VALUES (?, ?, ?, ?)
       ON CONFLICT (name) DO UPDATE SET key_hash = excluded.key_hash, owner = excluded.owner, revoked_at = NULL${fresh ? ', created_at = excluded.created_at WHERE callers.revoked_at IS NOT NULL' : ''}`,
      [name, hashSecret(key), owner, Date.now()],
    );
    if (changes === 0) return undefined;
    this.changed();
    return key;
  }

  /** Gives an active caller a new key; the old one stops working at once. Undefined when no active caller has the name. */
  async rotateCallerKey(name: string): Promise<string | undefined> {
    const key = newSecret('alk_');
    const { changes } = await this.db.run('UPDATE callers SET key_hash = ? WHERE name = ? AND revoked_at IS NULL', [hashSecret(key), name]);
    if (changes === 0) return undefined;
    this.changed();
    return key;
  }

  /** One caller by name, active or revoked. */
  async caller(name: string): Promise<CallerRecord | undefined> {
    return (await this.selectCallers('WHERE name = ?', [name]))[0];
  }

  async listCallers(): Promise<CallerRecord[]> {
    return this.selectCallers('', []);
  }

  private async selectCallers(where: string, params: SqlValue[]): Promise<CallerRecord[]> {
    const rows = await this.db.all<{ name: string; owner: string | null; created_at: number; revoked_at: number | null }>(`SELECT name, owner, created_at, revoked_at FROM callers ${where} ORDER BY name`, params);
    return rows.map((r) => ({ name: r.name, owner: r.owner, createdAt: new Date(r.created_at).toISOString(), revoked: r.revoked_at !== null }));
  }

  async revokeCaller(name: string): Promise<boolean> {
    const { changes } = await this.db.run('UPDATE callers SET revoked_at = ? WHERE name = ? AND revoked_at IS NULL', [Date.now(), name]);
    this.changed();
    return changes > 0;
  }

  async callerByKey(key: string): Promise<CallerIdentity | undefined> {
    const version = this.currentVersion();
    if (version !== this.seenVersion) {
      this.callers.clear();
      this.seenVersion = version;
    }
    const hash = hashSecret(key);
    const cached = this.callers.get(hash);
    if (cached !== undefined) return cached ?? undefined;
    const row = await this.db.getPrepared<CallerIdentity>('SELECT name, owner FROM callers WHERE key_hash = ? AND revoked_at IS NULL', [hash]);
    if (this.callers.size > 10_000) this.callers.clear();
    this.callers.set(hash, row ?? null);
    return row;
  }

  /** Creates a reviewer, or gives an existing one a new token and this role (the gateway's issueReviewerToken; the CLI uses createReviewer). */
  async addReviewer(name: string, role: ReviewerRole): Promise<string> {
    return (await this.upsertReviewer(name, role, false))!;
  }

  /** Creates a reviewer but never replaces an active one: undefined when an active reviewer has the name. A revoked one is made anew. */
  createReviewer(name: string, role: ReviewerRole): Promise<string | undefined> {
    return this.upsertReviewer(name, role, true);
  }

  /** `fresh`: only a new name or a revoked one is (re)made, as new; else an existing reviewer also gets the new token and role. */
  private async upsertReviewer(name: string, role: ReviewerRole, fresh: boolean): Promise<string | undefined> {
    const token = newSecret('alr_');
    const { changes } = await this.db.run(
      `INSERT INTO reviewers (name, role, token_hash, created_at) VALUES (?, ?, ?, ?)
       ON CONFLICT (name) DO UPDATE SET role = excluded.role, token_hash = excluded.token_hash, revoked_at = NULL${fresh ? ', created_at = excluded.created_at WHERE reviewers.revoked_at IS NOT NULL' : ''}`,
      [name, role, hashSecret(token), Date.now()],
    );
    if (changes === 0) return undefined;
    this.changed();
    return token;
  }

  /**
   * Gives an active reviewer a new token; the old one stops working at once, and so do the console logins made with
   * it (a token is rotated because it may have leaked). Undefined when no active reviewer has the name.
   */
  async rotateReviewerToken(name: string): Promise<string | undefined> {
    const token = newSecret('alr_');
    const { changes } = await this.db.run('UPDATE reviewers SET token_hash = ? WHERE name = ? AND revoked_at IS NULL', [hashSecret(token), name]);
    if (changes === 0) return undefined;
    await this.db.run('DELETE FROM console_sessions WHERE reviewer = ?', [name]);
    this.changed();
    return token;
  }

  /** One reviewer by name, active or revoked. */
  async reviewer(name: string): Promise<ReviewerRecord | undefined> {
    return (await this.selectReviewers('WHERE name = ?', [name]))[0];
  }

  async listReviewers(): Promise<ReviewerRecord[]> {
    return this.selectReviewers('', []);
  }

  private async selectReviewers(where: string, params: SqlValue[]): Promise<ReviewerRecord[]> {
    const rows = await this.db.all<{ name: string; role: ReviewerRole; created_at: number; revoked_at: number | null }>(`SELECT name, role, created_at, revoked_at FROM reviewers ${where} ORDER BY name`, params);
    return rows.map((r) => ({ name: r.name, role: r.role, createdAt: new Date(r.created_at).toISOString(), revoked: r.revoked_at !== null }));
  }

  async revokeReviewer(name: string): Promise<boolean> {
    const { changes } = await this.db.run('UPDATE reviewers SET revoked_at = ? WHERE name = ? AND revoked_at IS NULL', [Date.now(), name]);
    await this.db.run('DELETE FROM console_sessions WHERE reviewer = ?', [name]);
    this.changed();
    return changes > 0;
  }

  async countReviewers(): Promise<number> {
    const row = await this.db.get<{ n: number }>('SELECT COUNT(*) AS n FROM reviewers WHERE revoked_at IS NULL');
    return row?.n ?? 0;
  }

  async reviewerByToken(token: string): Promise<{ name: string; role: ReviewerRole } | undefined> {
    return this.db.get('SELECT name, role FROM reviewers WHERE token_hash = ? AND revoked_at IS NULL', [hashSecret(token)]);
  }

  /** A console login: a random session id for an HttpOnly cookie; only its hash is stored. */
  async openConsoleSession(reviewer: string, ttlMs: number): Promise<string> {
    const id = newSecret('als_');
    const now = Date.now();
    await this.db.run('DELETE FROM console_sessions WHERE expires_at < ?', [now]);
    await this.db.run('INSERT INTO console_sessions (id_hash, reviewer, created_at, expires_at) VALUES (?, ?, ?, ?)', [hashSecret(id), reviewer, now, now + ttlMs]);
    return id;
  }

  async reviewerBySession(id: string): Promise<{ name: string; role: ReviewerRole } | undefined> {
    return this.db.get(
      `SELECT r.name, r.role FROM console_sessions s JOIN reviewers r ON r.name = s.reviewer
       WHERE s.id_hash = ? AND s.expires_at > ? AND r.revoked_at IS NULL`,
      [hashSecret(id), Date.now()],
    );
  }

  async closeConsoleSession(id: string): Promise<void> {
    await this.db.run('DELETE FROM console_sessions WHERE id_hash = ?', [hashSecret(id)]);
  }
}
