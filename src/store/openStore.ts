import type { Store } from './db.js';
import { migrateSqlite } from './migrate.js';
import { migratePostgres } from './migratePostgres.js';
import { PostgresStore } from './postgresStore.js';
import { SqliteStore } from './sqliteStore.js';

/**
 * Opens the database named by `HEARTHOOK_DATABASE`: a file path (or `:memory:`) for SQLite, or a
 * `postgres://` URL for PostgreSQL. A `schema` query parameter keeps Hearthook's tables in that
 * schema (`postgres://db.internal/fleet?schema=hearthook`). Migrations are applied on open, so
 * `serve` works on a new database with no other step.
 *
 * @example
 * const store = await openStore('postgres://postgres@127.0.0.1:5432/hearthook');
 */
export async function openStore(database: string, options: StoreOptions = {}): Promise<Store> {
  try {
    return await openEngine(database, options);
  } catch (err) {
    // "ECONNREFUSED" or "unable to open database file" alone do not say which setting to fix.
    throw new Error(`cannot open the database ${describeDatabase(database)} (HEARTHOOK_DATABASE): ${(err as Error).message}`, { cause: err });
  }
}

interface StoreOptions {
  onError?: (err: Error) => void;
  onTransaction?: (ms: number) => void;
  /**
   * SQLite: the write lock of a store another thread of this process opened on the same file
   * (`SqliteStore.writeLock.buffer`); that store migrated the database. PostgreSQL ignores it.
   */
  joinSqlite?: SharedArrayBuffer;
}

async function openEngine(database: string, options: StoreOptions): Promise<Store> {
  if (/^postgres(ql)?:\/\//.test(database)) {
    const { connectionString, schema } = splitSchema(database);
    const store = new PostgresStore({ connectionString, schema, onError: options.onError, onTransaction: options.onTransaction });
    try {
      await migratePostgres(store);
    } catch (err) {
      await store.close();
      throw err;
    }
    return store;
  }
  const store = new SqliteStore(database, { onTransaction: options.onTransaction, join: options.joinSqlite });
  if (options.joinSqlite) return store;
  try {
    migrateSqlite(store);
  } catch (err) {
    await store.close();
    throw err;
  }
  return store;
}

/** Takes our own `schema` parameter out of the URL; `pg` gets the rest. */
function splitSchema(url: string): { connectionString: string; schema?: string } {
  const parsed = new URL(url);
  const schema = parsed.searchParams.get('schema') ?? undefined;
  if (schema === undefined) return { connectionString: url };
  parsed.searchParams.delete('schema');
  return { connectionString: parsed.toString(), schema };
}

/**
 * The database setting as it may be logged: a URL's password is replaced by `***`.
 *
 * @example
 * describeDatabase('postgres://hh:secret@db/hearthook'); // 'postgres://hh:***@db/hearthook'
 */
export function describeDatabase(database: string): string {
  if (!/^postgres(ql)?:\/\//.test(database)) return database;
  try {
    const url = new URL(database);
    if (url.password) url.password = '***';
    return url.toString();
  } catch {
    return 'postgres://(unparsable URL)';
  }
}
