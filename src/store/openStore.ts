import type { Store } from './db.js';
import { migrateSqlite } from './migrate.js';
import { SqliteStore } from './sqliteStore.js';

/**
 * Opens the database named by `HEARTHOOK_DATABASE`: a file path (or `:memory:`) for SQLite.
 * Migrations are applied on open, so `serve` works on a new file with no other step.
 */
export async function openStore(database: string): Promise<Store> {
  if (/^postgres(ql)?:\/\//.test(database)) {
    throw new Error('HEARTHOOK_DATABASE: PostgreSQL is not supported yet; give a SQLite file path');
  }
  const store = new SqliteStore(database);
  migrateSqlite(store);
  return store;
}
