import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { packageRoot } from '../util/packageRoot.js';
import type { SqliteStore } from './sqliteStore.js';

export interface Migration {
  version: number;
  name: string;
  sql: string;
}

/** Numbered plain-SQL files, `NNN_name.sql`, in `migrations/<engine>/`. */
export function loadMigrations(engine: string): Migration[] {
  const dir = join(packageRoot, 'migrations', engine);
  return readdirSync(dir)
    .filter((f) => /^\d+_.+\.sql$/.test(f))
    .sort()
    .map((f) => ({ version: Number.parseInt(f, 10), name: f, sql: readFileSync(join(dir, f), 'utf8') }));
}

/**
 * Applies every migration newer than the database, each in its own transaction. SQLite's
 * `BEGIN IMMEDIATE` takes the write lock first, so two processes starting at once apply each
 * file once: the second sees the first's version row and skips it.
 * Returns the names applied.
 */
export function migrateSqlite(store: SqliteStore): string[] {
  store.exec('CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at INTEGER NOT NULL)');
  const applied: string[] = [];
  for (const migration of loadMigrations('sqlite')) {
    store.exec('BEGIN IMMEDIATE');
    try {
      const done = store.prepareGet('SELECT 1 FROM schema_migrations WHERE version = ?', [migration.version]);
      if (!done) {
        store.exec(migration.sql);
        store.prepareRun('INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)', [
          migration.version,
          migration.name,
          Date.now(),
        ]);
        applied.push(migration.name);
      }
      store.exec('COMMIT');
    } catch (err) {
      store.exec('ROLLBACK');
      throw new Error(`migration ${migration.name} failed: ${(err as Error).message}`);
    }
  }
  return applied;
}
