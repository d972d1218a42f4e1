import { randomBytes } from 'node:crypto';
import { LRUCache } from 'lru-cache';
import pg from 'pg';
import type { Db, Dialect, Store } from './db.js';
import { toNumberedPlaceholders } from './postgresPlaceholders.js';
import { WorkListener } from './postgresWorkListener.js';

/**
 * The channel `notifyWork` announces on and every process's `onWork` listens on; with a `schema`
 * option, `hearthook_work_<schema>`, so installations sharing a database do not wake each other.
 */
export function workChannel(schema?: string): string {
  return schema ? `hearthook_work_${schema}` : 'hearthook_work';
}

/**
 * At most one NOTIFY per this many ms per process. A NOTIFY is a commit (0.35 ms each here:
 * 1000 in 349 ms on the 2-core test VM) and wakes every dispatcher of every node for one claim;
 * an ingest of 1000 small batches a second would send 1000 of them. 50 ms keeps the wake-up
 * latency far below the 1 s poll and bounds the chatter at 20 NOTIFYs a second per node.
 */
const NOTIFY_THROTTLE_MS = 50;

export interface PostgresOptions {
  /** `postgres://user@host:port/database` (any form `pg` accepts). */
  connectionString: string;
  /**
   * A schema to keep all tables in (created by the migrations if missing): sets `search_path`
   * on every pooled connection. Used to give each test its own schema in one database.
   */
  schema?: string;
  /** Pooled connections at most (default 10). */
  max?: number;
  /** Told about connection errors that do not belong to a query (e.g. the server restarted). */
  onError?: (err: Error) => void;
  /** Told how long each transaction took, BEGIN to COMMIT or ROLLBACK (for metrics). */
  onTransaction?: (ms: number) => void;
}

/**
 * int8 (COUNT, SUM, BIGINT columns) and numeric come back as strings by default; the seam uses
 * numbers, as SQLite gives them (exact below 2^53: ids, counts and millisecond times are).
 */
const INT8 = 20;
const NUMERIC = 1700;
const types: pg.CustomTypesConfig = {
  getTypeParser: ((oid: number, format?: string) => {
    if (oid === INT8 || oid === NUMERIC) return (text: string) => Number(text);
    return pg.types.getTypeParser(oid, format as 'text');
  }) as pg.CustomTypesConfig['getTypeParser'],
};

/**
 * The scale-out engine: a `pg` connection pool shared by any number of Hearthook processes.
 * A transaction holds one pooled client from BEGIN to COMMIT; statements outside one take any
 * client. Dispatchers claim with `FOR UPDATE SKIP LOCKED` and are woken by `NOTIFY`.
 *
 * @example
 * const store = new PostgresStore({ connectionString: 'postgres://postgres@127.0.0.1/hearthook' });
 * await migratePostgres(store);
 */
/** The resend guard's advisory lock (Dialect.shareMessageIdsLock), one per schema like the tables. */
const MESSAGE_IDS_LOCK = "hashtext('hearthook.message_ids'), hashtext(current_schema())";

export class PostgresStore implements Store {
  readonly engine = 'postgres' as const;
  readonly dialect: Dialect = {
    lockRowsSkipLocked: 'FOR UPDATE SKIP LOCKED',
    lockRows: 'FOR UPDATE',
    jsonTextList: 'SELECT jsonb_array_elements_text(CAST(? AS jsonb))',
    leaseNow: 'COALESCE(CAST(EXTRACT(EPOCH FROM clock_timestamp()) * 1000 AS BIGINT), CAST(? AS BIGINT))',
    chainsWrites: true,
    recipientsVersion: 'SELECT recipients_version_locked() AS version',
    // One evaluation per statement (an uncorrelated subquery), before the first row is read.
    shareMessageIdsLock: `(SELECT true FROM (SELECT pg_advisory_xact_lock_shared(${MESSAGE_IDS_LOCK})) AS l)`,
    lockMessageIds: `SELECT pg_advisory_xact_lock(${MESSAGE_IDS_LOCK})`,
  };
  readonly schema: string | undefined;
  /** The pool, for migrations and tests that need a client of their own. */
  readonly pool: pg.Pool;
  private readonly config: pg.ClientConfig;
  /** Numbered-placeholder texts, bounded: IN lists of every length make many texts; rebuilding one costs microseconds. */
  private readonly sqlCache = new LRUCache<string, { text: string; name: string | undefined }>({ max: 2000 });
  /** Each named text's name (at most NAMED_STATEMENTS, kept for the store's life: a name is never reused). */
  private readonly names = new Map<string, string>();
  private named = 0;
  private readonly listeners = new Set<() => void>();
  /** Tells our own NOTIFYs (which we also receive) from other processes'. */
  private readonly instance = randomBytes(8).toString('hex');
  private listener: WorkListener | undefined;
  private lastNotify = 0;
  private notifyTimer: NodeJS.Timeout | undefined;
  private closed = false;

  constructor(private readonly options: PostgresOptions) {
    if (options.schema !== undefined && !/^[a-z_][a-z0-9_]{0,47}$/.test(options.schema)) {
      throw new Error(`PostgreSQL schema "${options.schema}": use at most 48 lower-case letters, digits and _`);
    }
    this.schema = options.schema;
    this.config = {
      connectionString: options.connectionString,
      types,
      application_name: 'hearthook',
      // search_path as a startup option: set on every connection before its first query.
      ...(options.schema ? { options: `-c search_path=${options.schema}` } : {}),
    };
    this.pool = new pg.Pool({ ...this.config, max: options.max ?? 10 });
    this.pool.on('error', (err) => options.onError?.(err));
  }

  async all<T>(sql: string, params?: readonly unknown[]): Promise<T[]> {
    return (await this.pool.query(this.statement(sql, params))).rows as T[];
  }

  async get<T>(sql: string, params?: readonly unknown[]): Promise<T | undefined> {
    return (await this.all<T>(sql, params))[0];
  }

  async run(sql: string, params?: readonly unknown[]): Promise<number> {
    return (await this.pool.query(this.statement(sql, params))).rowCount ?? 0;
  }

  async transaction<T>(fn: (tx: Db) => Promise<T>): Promise<T> {
    const client = await this.pool.connect();
    const tx: Db = {
      dialect: this.dialect,
      all: async (sql, params) => (await client.query(this.statement(sql, params))).rows as never,
      get: async (sql, params) => (await client.query(this.statement(sql, params))).rows[0] as never,
      run: async (sql, params) => (await client.query(this.statement(sql, params))).rowCount ?? 0,
      transaction: (inner) => inner(tx), // nested: already inside the one transaction, as on SQLite
    };
    let broken = false;
    // While checked out, a client's errors between two queries (the server went away) are ours
    // to catch: unheard, they would crash the process. The next query then fails and rolls back.
    const onError = (err: Error) => {
      broken = true;
      this.options.onError?.(err);
    };
    client.on('error', onError);
    const started = performance.now();
    try {
      await client.query('BEGIN');
      try {
        const result = await fn(tx);
        await client.query('COMMIT');
        return result;
      } catch (err) {
        await client.query('ROLLBACK').catch(() => {
          broken = true; // the connection itself failed: do not hand it out again
        });
        throw err;
      }
    } finally {
      this.options.onTransaction?.(performance.now() - started);
      client.off('error', onError);
      client.release(broken);
    }
  }

  notifyWork(): void {
    for (const listener of this.listeners) listener();
    if (this.closed || this.notifyTimer) return;
    const wait = this.lastNotify + NOTIFY_THROTTLE_MS - Date.now();
    if (wait <= 0) this.sendNotify();
    // Within the window: one trailing NOTIFY covers every call made meanwhile.
    else this.notifyTimer = setTimeout(() => this.sendNotify(), wait);
  }

  onWork(listener: () => void): () => void {
    this.listeners.add(listener);
    if (!this.listener && !this.closed) {
      this.listener = new WorkListener(this.config, workChannel(this.schema), (payload) => {
        if (payload === this.instance) return; // ours: local listeners were called already
        for (const l of this.listeners) l();
      });
      this.listener.start();
    }
    return () => {
      this.listeners.delete(listener);
      if (this.listeners.size === 0) {
        void this.listener?.stop();
        this.listener = undefined;
      }
    };
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    clearTimeout(this.notifyTimer);
    await this.listener?.stop();
    await this.pool.end();
  }

  private sendNotify(): void {
    this.notifyTimer = undefined;
    if (this.closed) return;
    this.lastNotify = Date.now();
    // Best effort: polling finds the work anyway.
    this.pool.query('SELECT pg_notify($1, $2)', [workChannel(this.schema), this.instance]).catch((err) => this.options.onError?.(err));
  }

  /**
   * The query `pg` sends for `sql`: numbered placeholders and, for the statements worth it, a
   * name, so each connection parses and plans it once and then only binds and executes it. The
   * hot path's chained statements (claimForSending, completeAndLogDeliveries) cost our PostgreSQL
   * backends 16% more CPU per delivery when planned on every call (110 vs 131 µs, alternated;
   * BENCHMARKS.md, "PostgreSQL per batch"). Named: texts with parameters, short (long ones are
   * multi-row VALUES lists, cheap to plan and of many lengths), and without a `*` select list (a
   * prepared `SELECT *` fails on every running node once a migration adds a column). At most
   * NAMED_STATEMENTS names per store, never reused, so what each connection keeps is bounded.
   */
  private statement(sql: string, params: readonly unknown[] | undefined): pg.QueryConfig {
    let prepared = this.sqlCache.get(sql);
    if (prepared === undefined) {
      const text = toNumberedPlaceholders(sql);
      const nameable = text.length <= NAMEABLE_LENGTH && !STAR_SELECT.test(text) && this.named < NAMED_STATEMENTS;
      prepared = { text, name: nameable ? (this.names.get(text) ?? this.nameFor(text)) : undefined };
      this.sqlCache.set(sql, prepared);
    }
    const values = toPostgres(params);
    // Without parameters `pg` sends a simple query (which may hold several commands): left so.
    return prepared.name && values.length > 0 ? { text: prepared.text, name: prepared.name, values } : { text: prepared.text, values };
  }

  private nameFor(text: string): string {
    const name = `hh${++this.named}`;
    this.names.set(text, name);
    return name;
  }

}

/** Statements named at most per store: what each pooled connection keeps prepared. */
const NAMED_STATEMENTS = 500;
/** Longer texts are multi-row VALUES lists: planned cheaply, and of as many lengths as batches. */
const NAMEABLE_LENGTH = 4000;
/** A `*` select list (`SELECT *`, `SELECT t.*`, `RETURNING *`), whose columns a migration can change. */
const STAR_SELECT = /(?:SELECT|RETURNING|,)\s+(?:\w+\.)?\*/i;

/** The shared dialect uses 0/1 for booleans (columns are integers) and NULL for undefined. */
function toPostgres(params: readonly unknown[] | undefined): unknown[] {
  if (!params) return [];
  return params.map((p) => (p === undefined ? null : typeof p === 'boolean' ? (p ? 1 : 0) : p));
}
