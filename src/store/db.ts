/**
 * The seam between Hearthook and its database engines: a few async methods, one SQL dialect
 * (`?` placeholders, integer-millisecond times, 0/1 booleans, JSON as text) and capability
 * strings for the few clauses that differ. Code above this seam never asks which engine it has.
 *
 * @example
 * const webhook = await db.get<WebhookRow>('SELECT * FROM webhooks WHERE id = ?', [id]);
 * await db.transaction(async (tx) => { await tx.run('UPDATE ...', [...]); });
 */
export interface Db {
  /** Rows of a query. */
  all<T>(sql: string, params?: readonly unknown[]): Promise<T[]>;
  /** The first row of a query, or undefined. */
  get<T>(sql: string, params?: readonly unknown[]): Promise<T | undefined>;
  /** A statement without rows; returns how many rows it changed. */
  run(sql: string, params?: readonly unknown[]): Promise<number>;
  /**
   * Runs `fn` in one transaction: committed when it resolves, rolled back when it throws.
   * Inside, use only the `tx` handed in.
   */
  transaction<T>(fn: (tx: Db) => Promise<T>): Promise<T>;
  /** Clauses that differ between engines, spliced into otherwise shared SQL. */
  readonly dialect: Dialect;
}

export interface Dialect {
  /** Appended to a claim's inner SELECT: `FOR UPDATE SKIP LOCKED` where rows can be locked. */
  readonly lockRowsSkipLocked: string;
  /**
   * Appended to a SELECT whose rows the transaction will change from what it read (`FOR UPDATE`
   * where rows can be locked), so two nodes never act on one row at once. SQLite needs none: its
   * transactions are serialised.
   */
  readonly lockRows: string;
  /** A subquery over the strings of one parameter given as a JSON array: `x IN (<this>)`. */
  readonly jsonTextList: string;
  /**
   * The time leases are measured by, in ms, taking one parameter: this process's clock. SQLite
   * (one process) uses it as is; PostgreSQL ignores it and reads the server's clock, which every
   * node shares, so a node whose clock runs behind cannot hold a lease past its end.
   */
  readonly leaseNow: string;
  /**
   * Whether one statement can chain writes in WITH clauses (`WITH a AS (UPDATE … RETURNING …)
   * INSERT … SELECT … FROM a`): PostgreSQL can, SQLite cannot. Where a round trip per statement is
   * the cost (PostgreSQL), a queue move and what follows from it are then one statement.
   */
  readonly chainsWrites: boolean;
  /**
   * Reads `recipients_version` for a fan-out (src/fanout/recipientCache.ts). PostgreSQL's also
   * takes the ordering lock shared (migration 022), so a switch to ordering GATEWAY on another
   * node sees this fan-out's deliveries or this fan-out sees the switch; SQLite's transactions
   * are serialised, so a plain read.
   */
  readonly recipientsVersion: string;
  /**
   * Added (`AND …`) to the WHERE of ingest's gateway lock: PostgreSQL's takes the resend guard's
   * lock shared until the batch commits, and a move of recent message ids takes it exclusive
   * (`lockMessageIds`), so a batch never checks the kept ids as they were before a move that
   * commits while the batch inserts (src/ingest/recentMessageIds.ts). SQLite's transactions are
   * serialised: `true`, and no lock for the move.
   */
  readonly shareMessageIdsLock: string;
  readonly lockMessageIds: string | null;
}

/** A database connection that can be closed, and can wake waiting dispatchers. */
export interface Store extends Db {
  readonly engine: 'sqlite' | 'postgres';
  /** Tells dispatchers (in this process, or in others where the engine can) that work is due. */
  notifyWork(): void;
  /** Calls `listener` whenever work may be due. */
  onWork(listener: () => void): () => void;
  close(): Promise<void>;
}
