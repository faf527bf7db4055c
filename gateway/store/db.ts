// A promise wrapper around one sqlite3 connection, opened in WAL mode so the CLI and the server can share a data dir.
import { AsyncLocalStorage } from 'node:async_hooks';
import { chmodSync } from 'node:fs';
import sqlite3 from 'sqlite3';

export type SqlValue = string | number | bigint | Buffer | null;
export type Row = Record<string, SqlValue>;

export class Database {
  /** One connection has one transaction at a time: writes outside it wait until it ends. */
  private writeLock: Promise<void> = Promise.resolve();
  private inTransaction = false;
  private readonly txScope = new AsyncLocalStorage<true>();
  /** Hot statements are prepared once and reused (sqlite3 otherwise prepares and finalizes on every call). */
  private readonly statements = new Map<string, sqlite3.Statement>();

  private closed = false;

  private constructor(private readonly db: sqlite3.Database) {
    // A statement that fails is reported through its own callback; an unhandled 'error' event must not end the process.
    db.on('error', () => undefined);
  }

  /** True inside a transaction() callback on this connection. */
  get inTransactionScope(): boolean {
    return this.txScope.getStore() === true;
  }

  get isClosed(): boolean {
    return this.closed;
  }

  static open(file: string): Promise<Database> {
    return new Promise((resolve, reject) => {
      const db = new sqlite3.Database(file, sqlite3.OPEN_READWRITE | sqlite3.OPEN_CREATE, (err) => {
        if (err) return reject(err);
        // Owner only, like the data dir: SQLite creates its -wal and -shm files with the database file's mode.
        for (const path of [file, `${file}-wal`, `${file}-shm`]) {
          try {
            chmodSync(path, 0o600);
          } catch {
            // not there (yet), or a file system without modes
          }
        }
        resolve(new Database(db));
      });
    });
  }

  async init(): Promise<void> {
    this.db.configure('busyTimeout', 5000);
    await this.exec('PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL; PRAGMA foreign_keys = ON;');
  }

  exec(sql: string): Promise<void> {
    if (this.closed) return Promise.reject(new Error('the store is closed'));
    if (this.inTransaction && !this.txScope.getStore()) return this.writeLock.then(() => this.exec(sql));
    return new Promise((resolve, reject) => this.db.exec(sql, (err) => (err ? reject(err) : resolve())));
  }

  run(sql: string, params: SqlValue[] = []): Promise<{ changes: number; lastID: number }> {
    if (this.closed) return Promise.reject(new Error('the store is closed'));
    if (this.inTransaction && !this.txScope.getStore()) return this.writeLock.then(() => this.run(sql, params));
    return this.runNow(sql, params);
  }

  private statement(sql: string): sqlite3.Statement {
    let stmt = this.statements.get(sql);
    if (!stmt) {
      stmt = this.db.prepare(sql);
      this.statements.set(sql, stmt);
    }
    return stmt;
  }

  /** Like run(), with the statement kept prepared: for the statements of every request. */
  runPrepared(sql: string, params: SqlValue[]): Promise<{ changes: number; lastID: number }> {
    if (this.closed) return Promise.reject(new Error('the store is closed'));
    if (this.inTransaction && !this.txScope.getStore()) return this.writeLock.then(() => this.runPrepared(sql, params));
    return new Promise((resolve, reject) =>
      this.statement(sql).run(params, function (this: sqlite3.RunResult, err: Error | null) {
        if (err) reject(err);
        else resolve({ changes: this.changes, lastID: this.lastID });
      }),
    );
  }

  getPrepared<T = Row>(sql: string, params: SqlValue[]): Promise<T | undefined> {
    if (this.closed) return Promise.reject(new Error('the store is closed'));
    return new Promise((resolve, reject) => {
      const statement = this.statement(sql);
      statement.get(params, (err, row) => (err ? reject(err) : resolve(row as T | undefined)));
      // get() leaves the statement on its row, and with it a read transaction that pins this connection to an old
      // snapshot (writes by the CLI stay unseen, the WAL cannot be checkpointed); reset ends it.
      statement.reset();
    });
  }

  private runNow(sql: string, params: SqlValue[]): Promise<{ changes: number; lastID: number }> {
    return new Promise((resolve, reject) =>
      this.db.run(sql, params, function (this: sqlite3.RunResult, err: Error | null) {
        if (err) reject(err);
        else resolve({ changes: this.changes, lastID: this.lastID });
      }),
    );
  }

  get<T = Row>(sql: string, params: SqlValue[] = []): Promise<T | undefined> {
    if (this.closed) return Promise.reject(new Error('the store is closed'));
    return new Promise((resolve, reject) => this.db.get(sql, params, (err, row) => (err ? reject(err) : resolve(row as T | undefined))));
  }

  all<T = Row>(sql: string, params: SqlValue[] = []): Promise<T[]> {
    if (this.closed) return Promise.reject(new Error('the store is closed'));
    return new Promise((resolve, reject) => this.db.all(sql, params, (err, rows) => (err ? reject(err) : resolve(rows as T[]))));
  }

  /** Runs fn inside one transaction; statements are serialized on this connection. */
  async transaction<T>(fn: () => Promise<T>): Promise<T> {
    if (this.txScope.getStore()) return fn(); // nested: part of the outer transaction
    const previous = this.writeLock;
    let release!: () => void;
    this.writeLock = new Promise<void>((r) => (release = r));
    await previous;
    this.inTransaction = true;
    try {
      return await this.txScope.run(true, async () => {
        await this.exec('BEGIN IMMEDIATE');
        try {
          const result = await fn();
          await this.exec('COMMIT');
          return result;
        } catch (err) {
          await this.exec('ROLLBACK').catch(() => undefined);
          throw err;
        }
      });
    } finally {
      this.inTransaction = false;
      release();
    }
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await Promise.all([...this.statements.values()].map((stmt) => new Promise<void>((r) => stmt.finalize(() => r()))));
    this.statements.clear();
    return new Promise((resolve, reject) => this.db.close((err) => (err ? reject(err) : resolve())));
  }
}

/**
 * A value as an SQL literal, for statements batched into one `exec` (one thread-pool round trip instead of one per
 * statement). Strings are quoted with SQLite's only escape (a doubled quote); a string holding a NUL, which would end
 * the statement text early, goes as hex cast to text; blobs go as X'hex'.
 */
export function sqlLiteral(value: SqlValue | boolean | undefined): string {
  if (value === null || value === undefined) return 'NULL';
  if (typeof value === 'number') {
    if (!Number.isFinite(value)) throw new Error(`cannot write ${value} to SQLite`);
    return String(value);
  }
  if (typeof value === 'bigint') return value.toString();
  if (typeof value === 'boolean') return value ? '1' : '0';
  if (Buffer.isBuffer(value)) return `X'${value.toString('hex')}'`;
  if (value.includes('\0')) return `CAST(X'${Buffer.from(value, 'utf8').toString('hex')}' AS TEXT)`;
  return `'${value.replaceAll("'", "''")}'`;
}

/** `INSERT INTO table (columns) VALUES (literals)` for exec. */
export function insertSql(table: string, row: Row, verb = 'INSERT'): string {
  const columns = Object.keys(row);
  return `${verb} INTO ${table} (${columns.join(', ')}) VALUES (${columns.map((c) => sqlLiteral(row[c])).join(', ')})`;
}
