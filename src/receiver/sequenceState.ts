/** Where a `SequenceTracker` stands for one (webhook, gateway). Plain JSON, so any store can keep it. */
export interface SequenceState<T> {
  /** The next sequence to apply. */
  next: number;
  /** The id of the last event applied (a gap is filled from the catch-up API after it). */
  lastId: string | null;
  /** Events that arrived ahead of a gap, by sequence, with when they arrived (ms). */
  held: Array<{ event: T; heldAt: number }>;
  /** Sequences given up after the time limit (the last 100 ranges): one arriving later is applied once. */
  skipped: Array<[number, number]>;
}

/**
 * Keeps trackers' states by key. Small on purpose: implement it on any database. Calls for one
 * key never overlap (the tracker queues them).
 */
export interface SequenceStateStore<T> {
  load(key: string): Promise<SequenceState<T> | undefined> | SequenceState<T> | undefined;
  save(key: string, state: SequenceState<T>): Promise<void> | void;
  /** The keys whose state holds events, so their time limit is kept after a restart too. */
  keysHolding(): Promise<string[]> | string[];
}

/** States in memory: lost with the process (then duplicates and gaps of the past go unnoticed). */
export class MemorySequenceStore<T> implements SequenceStateStore<T> {
  private readonly states = new Map<string, string>();

  load(key: string): SequenceState<T> | undefined {
    const text = this.states.get(key);
    return text === undefined ? undefined : (JSON.parse(text) as SequenceState<T>);
  }

  save(key: string, state: SequenceState<T>): void {
    this.states.set(key, JSON.stringify(state));
  }

  keysHolding(): string[] {
    return [...this.states].filter(([, text]) => !text.includes('"held":[]')).map(([key]) => key);
  }
}

/** What `SqliteSequenceStore` needs of a database handle: better-sqlite3's and node:sqlite's both fit. */
export interface SqliteHandle {
  exec(sql: string): unknown;
  prepare(sql: string): {
    get(...params: unknown[]): unknown;
    all(...params: unknown[]): unknown[];
    run(...params: unknown[]): unknown;
  };
}

/**
 * States in a SQLite table (created if missing) of a database the caller opened, so this SDK
 * needs no SQLite driver of its own and the states can share the receiver's database and
 * transactions.
 *
 * @example
 * import Database from 'better-sqlite3';
 * const store = new SqliteSequenceStore(new Database('receiver.db'));
 */
export class SqliteSequenceStore<T> implements SequenceStateStore<T> {
  constructor(
    private readonly db: SqliteHandle,
    private readonly table = 'hearthook_sequences',
  ) {
    if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(table)) throw new TypeError(`bad table name ${table}`);
    db.exec(`CREATE TABLE IF NOT EXISTS ${table} (key TEXT PRIMARY KEY, state TEXT NOT NULL, holding INTEGER NOT NULL)`);
  }

  load(key: string): SequenceState<T> | undefined {
    const row = this.db.prepare(`SELECT state FROM ${this.table} WHERE key = ?`).get(key) as { state: string } | undefined;
    return row ? (JSON.parse(row.state) as SequenceState<T>) : undefined;
  }

  save(key: string, state: SequenceState<T>): void {
    this.db
      .prepare(`INSERT INTO ${this.table} (key, state, holding) VALUES (?, ?, ?) ON CONFLICT (key) DO UPDATE SET state = excluded.state, holding = excluded.holding`)
      .run(key, JSON.stringify(state), state.held.length > 0 ? 1 : 0);
  }

  keysHolding(): string[] {
    return (this.db.prepare(`SELECT key FROM ${this.table} WHERE holding = 1`).all() as Array<{ key: string }>).map((r) => r.key);
  }
}
