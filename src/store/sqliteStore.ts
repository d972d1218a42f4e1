import Database from 'better-sqlite3';
import { LRUCache } from 'lru-cache';
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import type { Db, Dialect, Store } from './db.js';
import { type CheckpointProgress, SqliteCheckpointer } from './sqliteCheckpointer.js';
import { ThreadWriteLock } from './threadWriteLock.js';

type Statement = Database.Statement<unknown[], unknown>;

/**
 * How long the WAL may grow before this connection rewinds it. Between rewinds a page rewritten
 * by many commits (a gateway's counters, the tails of the busiest indexes) is copied into the
 * database file once, not once every few commits: ingest batches took a fifth to a quarter less
 * time, and slowed less as the tables grew (npm run bench; BENCHMARKS.md).
 */
const REWIND_WAL_AT_BYTES = 40 * 1024 * 1024;

/** How long a statement waits for another connection's lock (the checkpoint worker's). */
const BUSY_TIMEOUT_MS = 5000;

export interface SqliteStoreOptions {
  /** Told how long each transaction took, BEGIN to COMMIT or ROLLBACK (for metrics). */
  onTransaction?: (ms: number) => void;
  /**
   * Join the connection of another thread of this process to the same file: the buffer of its
   * `writeLock`. The joining connection leaves checkpoints and migrations to that one.
   */
  join?: SharedArrayBuffer;
}

/**
 * Prepared statements kept. The code has about 270 statement sites, most of fixed text, and they
 * stay cached; the rest are multi-row INSERTs and IN lists whose text changes with their length,
 * and those are what would grow without end. A prepared statement holds SQLite memory outside
 * the JS heap: about 5 KB for a small one, about 70 KB for a 100-row INSERT of 7 columns
 * (measured), so 500 is a few MB in practice and ~35 MB at worst. An evicted statement is
 * prepared again on next use (tens of microseconds) and finalised by the garbage collector.
 */
const CACHED_STATEMENTS = 500;

/**
 * The embedded engine: one better-sqlite3 connection in WAL mode. Statements are synchronous
 * underneath, so an async transaction must hold the connection for its whole callback: a small
 * lock serialises transactions, and plain statements wait while one is open.
 *
 * Another thread may open a second connection to the same file (`join`, the dispatcher's
 * thread): every write, a transaction or a single writing statement, then first takes the
 * `writeLock` the two share, so neither waits in SQLite's busy handler (ThreadWriteLock says why).
 */
export class SqliteStore implements Store {
  readonly engine = 'sqlite' as const;
  readonly dialect: Dialect = {
    lockRowsSkipLocked: '',
    lockRows: '',
    jsonTextList: 'SELECT value FROM json_each(?)',
    leaseNow: 'CAST(? AS INTEGER)',
    chainsWrites: false,
    recipientsVersion: 'SELECT version FROM recipients_version',
    shareMessageIdsLock: 'true',
    lockMessageIds: null,
  };
  private readonly conn: Database.Database;
  private readonly statements = new LRUCache<string, Statement>({ max: CACHED_STATEMENTS });
  private locked = false;
  private readonly waiters: Array<() => void> = [];
  private readonly listeners = new Set<() => void>();
  private readonly direct: Db;
  private readonly checkpointer: SqliteCheckpointer | undefined;
  private rewindPending = false;
  private rewindAtPages = Number.POSITIVE_INFINITY;
  private readonly onTransaction: ((ms: number) => void) | undefined;
  /** Taken by every write of this connection, and by those of the connections that join it. */
  readonly writeLock: ThreadWriteLock;
  /** Whether another thread can open this database too (`join`): not an in-memory one. */
  readonly shareable: boolean;

  constructor(file: string, options: SqliteStoreOptions = {}) {
    this.onTransaction = options.onTransaction;
    this.writeLock = new ThreadWriteLock(options.join);
    this.shareable = file !== ':memory:' && file !== '';
    if (file !== ':memory:') mkdirSync(dirname(file), { recursive: true });
    this.conn = new Database(file);
    this.conn.pragma('journal_mode = WAL');
    // NORMAL in WAL mode is durable against a process crash (the case we promise); only an OS
    // crash can lose the last commits. FULL costs an fsync per commit.
    this.conn.pragma('synchronous = NORMAL');
    this.conn.pragma(`busy_timeout = ${BUSY_TIMEOUT_MS}`);
    this.conn.pragma('foreign_keys = ON');
    if (this.shareable) {
      // Checkpoints are copied by a worker thread (see SqliteCheckpointer); SQLite's own, inside
      // COMMIT every 1,000 pages, come back if that worker fails. A joining connection's commits
      // run no checkpoint either: the connection it joined rewinds the WAL for both.
      this.conn.pragma('wal_autocheckpoint = 0');
      // A rewound WAL file is cut back to twice that (one that grew longer would keep its size).
      this.conn.pragma(`journal_size_limit = ${2 * REWIND_WAL_AT_BYTES}`);
    }
    if (this.shareable && !options.join) {
      this.rewindAtPages = Math.ceil(REWIND_WAL_AT_BYTES / Number(this.conn.pragma('page_size', { simple: true })));
      this.checkpointer = new SqliteCheckpointer(
        file,
        (progress) => this.maybeRewindWal(progress),
        () => this.conn.pragma('wal_autocheckpoint = 1000'),
      );
    }
    this.direct = {
      dialect: this.dialect,
      all: async (sql, params) => this.prepare(sql).all(toSqlite(params)) as never,
      get: async (sql, params) => this.prepare(sql).get(toSqlite(params)) as never,
      run: async (sql, params) => this.prepare(sql).run(toSqlite(params)).changes,
      transaction: (fn) => fn(this.direct), // nested: already inside the one transaction
    };
  }

  /** Runs plain SQL text (several statements), used by migrations. */
  exec(sql: string): void {
    this.conn.exec(sql);
  }

  /** Synchronous forms for migrations, which run before anything else uses the connection. */
  prepareGet(sql: string, params: unknown[]): unknown {
    return this.prepare(sql).get(toSqlite(params));
  }

  prepareRun(sql: string, params: unknown[]): void {
    this.prepare(sql).run(toSqlite(params));
  }

  async all<T>(sql: string, params?: readonly unknown[]): Promise<T[]> {
    while (this.locked) await this.waitUnlocked();
    const statement = this.prepare(sql);
    if (statement.readonly) return statement.all(toSqlite(params)) as T[];
    return this.exclusive(async () => statement.all(toSqlite(params)) as T[]);
  }

  async get<T>(sql: string, params?: readonly unknown[]): Promise<T | undefined> {
    while (this.locked) await this.waitUnlocked();
    const statement = this.prepare(sql);
    if (statement.readonly) return statement.get(toSqlite(params)) as T | undefined;
    return this.exclusive(async () => statement.get(toSqlite(params)) as T | undefined);
  }

  async run(sql: string, params?: readonly unknown[]): Promise<number> {
    while (this.locked) await this.waitUnlocked();
    const statement = this.prepare(sql);
    return this.exclusive(async () => statement.run(toSqlite(params)).changes);
  }

  async transaction<T>(fn: (tx: Db) => Promise<T>): Promise<T> {
    return this.exclusive(async () => {
      const started = performance.now();
      try {
        this.conn.exec('BEGIN IMMEDIATE');
        try {
          const result = await fn(this.direct);
          this.conn.exec('COMMIT');
          return result;
        } catch (err) {
          if (this.conn.inTransaction) this.conn.exec('ROLLBACK');
          throw err;
        }
      } finally {
        this.onTransaction?.(performance.now() - started);
      }
    });
  }

  /**
   * Runs `fn` holding this connection (other statements of this thread wait) and the write lock
   * shared with other threads' connections to the file. A WAL rewind asked for meanwhile runs
   * before the lock is let go.
   */
  private async exclusive<T>(fn: () => Promise<T>): Promise<T> {
    while (this.locked) await this.waitUnlocked();
    this.locked = true;
    try {
      await this.writeLock.acquire();
      try {
        return await fn();
      } finally {
        if (this.rewindPending) this.rewindWal();
        this.writeLock.release();
      }
    } finally {
      this.locked = false;
      this.waiters.shift()?.();
    }
  }

  notifyWork(): void {
    for (const listener of this.listeners) listener();
  }

  onWork(listener: () => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  async close(): Promise<void> {
    while (this.locked) await this.waitUnlocked();
    await this.checkpointer?.stop();
    this.conn.close();
  }

  /**
   * Rewinds a long WAL once the worker has copied all of it (then only the pages committed since
   * are left to copy here), or once it is four times too long whatever the worker managed.
   */
  private maybeRewindWal({ log, checkpointed }: CheckpointProgress): void {
    if (log < this.rewindAtPages || (checkpointed < log && log < 4 * this.rewindAtPages)) return;
    // Under the write lock, at the end of the write under way or on its own: a rewind holds
    // SQLite's write lock while it copies, and a joined connection must not meet it there.
    this.rewindPending = true;
    if (!this.locked) void this.exclusive(async () => {}).catch(() => {});
  }

  private rewindWal(): void {
    this.rewindPending = false;
    if (!this.conn.open) return;
    // Without waiting: if the worker has started its next checkpoint meanwhile, the WAL just
    // stays longer and its next report tries again (a busy wait here would stall every request).
    this.conn.pragma('busy_timeout = 0');
    try {
      this.conn.pragma('wal_checkpoint(RESTART)');
    } catch {
      // An I/O error here shows again in the next commit, which has a caller to tell.
    } finally {
      this.conn.pragma(`busy_timeout = ${BUSY_TIMEOUT_MS}`);
    }
  }

  private waitUnlocked(): Promise<void> {
    return new Promise((resolve) => {
      this.waiters.push(() => {
        resolve();
        // Everyone waiting for "unlocked" may go; a transaction among them re-checks the lock.
        if (!this.locked) this.waiters.shift()?.();
      });
    });
  }

  private prepare(sql: string): Statement {
    let statement = this.statements.get(sql);
    if (!statement) {
      statement = this.conn.prepare(sql);
      this.statements.set(sql, statement);
    }
    return statement;
  }
}

/**
 * better-sqlite3 takes no booleans or undefined; the shared dialect uses 0/1 and NULL. The array
 * is bound as one argument (better-sqlite3 flattens it), not spread onto the stack.
 */
function toSqlite(params: readonly unknown[] | undefined): readonly unknown[] {
  if (!params) return NO_PARAMS;
  // Most statements have neither: hand their array on as it is (multi-row inserts bind 1,800).
  if (!params.some((p) => p === undefined || typeof p === 'boolean')) return params;
  return params.map((p) => (p === undefined ? null : typeof p === 'boolean' ? (p ? 1 : 0) : p));
}

const NO_PARAMS: readonly unknown[] = [];
