// Schema migrations, applied in order at open; `PRAGMA user_version` records how far a data dir has come.
import type { Database } from './db.js';

const MIGRATIONS: string[] = [
  `
  CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
  CREATE TABLE callers (
    name TEXT PRIMARY KEY,
    key_hash TEXT NOT NULL UNIQUE,
    owner TEXT,
    created_at INTEGER NOT NULL,
    revoked_at INTEGER
  );
  CREATE TABLE reviewers (
    name TEXT PRIMARY KEY,
    role TEXT NOT NULL,
    token_hash TEXT NOT NULL UNIQUE,
    created_at INTEGER NOT NULL,
    revoked_at INTEGER
  );
  CREATE TABLE console_sessions (
    id_hash TEXT PRIMARY KEY,
    reviewer TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    expires_at INTEGER NOT NULL
  );
  CREATE TABLE requests (
    id TEXT PRIMARY KEY,
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL,
    status TEXT NOT NULL,
    caller TEXT NOT NULL,
    protocol TEXT NOT NULL,
    path TEXT NOT NULL,
    model TEXT NOT NULL,
    stream INTEGER NOT NULL,
    policy TEXT,
    tokens INTEGER NOT NULL DEFAULT 0,
    timeout_at INTEGER,
    prev_id TEXT,
    conv_hash TEXT,
    session_key BLOB,
    body BLOB,
    edited_body BLOB,
    preview BLOB,
    response BLOB,
    timeline BLOB,
    error_code TEXT,
    error BLOB,
    decided_at INTEGER,
    upstream_status INTEGER,
    completed_at INTEGER
  );
  CREATE INDEX requests_created ON requests (created_at DESC);
  CREATE INDEX requests_status_created ON requests (status, created_at DESC);
  CREATE INDEX requests_caller_created ON requests (caller, created_at DESC);
  CREATE INDEX requests_conv ON requests (conv_hash);
  CREATE TABLE decisions (
    id INTEGER PRIMARY KEY,
    request_id TEXT NOT NULL REFERENCES requests (id) ON DELETE CASCADE,
    action TEXT NOT NULL,
    reviewer TEXT,
    reason BLOB,
    note BLOB,
    edited INTEGER NOT NULL DEFAULT 0,
    at INTEGER NOT NULL
  );
  CREATE INDEX decisions_request ON decisions (request_id);
  CREATE TABLE search_terms (
    term BLOB NOT NULL,
    request_id TEXT NOT NULL REFERENCES requests (id) ON DELETE CASCADE,
    PRIMARY KEY (term, request_id)
  ) WITHOUT ROWID;
  CREATE INDEX search_terms_request ON search_terms (request_id);
  `,
  `
  CREATE TABLE remembered_rules (
    id TEXT PRIMARY KEY,
    caller TEXT NOT NULL,
    model TEXT NOT NULL,
    template TEXT,
    conversation TEXT,
    scope TEXT NOT NULL,
    created_by TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    expires_at INTEGER,
    revoked_at INTEGER,
    revoked_by TEXT,
    source_request TEXT
  );
  `,
  // The audit chain (gateway/audit/chain.ts); its signing key and signed head live in `meta`.
  `
  CREATE TABLE audit_events (
    seq INTEGER PRIMARY KEY,
    at INTEGER NOT NULL,
    actor TEXT,
    type TEXT NOT NULL,
    request_id TEXT,
    digest TEXT NOT NULL,
    detail TEXT,
    prev_hash TEXT NOT NULL,
    hash TEXT NOT NULL
  );
  CREATE INDEX audit_events_request ON audit_events (request_id);
  CREATE INDEX audit_events_at ON audit_events (at);
  `,
];

export async function migrate(db: Database): Promise<void> {
  const row = await db.get<{ user_version: number }>('PRAGMA user_version');
  let version = row?.user_version ?? 0;
  while (version < MIGRATIONS.length) {
    const sql = MIGRATIONS[version];
    await db.transaction(async () => {
      await db.exec(sql);
      await db.exec(`PRAGMA user_version = ${version + 1}`);
    });
    version++;
  }
}

export const SCHEMA_VERSION = MIGRATIONS.length;
