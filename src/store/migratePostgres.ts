import { loadMigrations } from './migrate.js';
import type { PostgresStore } from './postgresStore.js';

/**
 * Applies every migration in `migrations/postgres/` newer than the database, each in its own
 * transaction, while holding a session-level `pg_advisory_lock`: when several processes start
 * at once, one applies the files and the others wait, then find them applied and skip them.
 * With a `schema` option the schema is created first (under the same lock, so two processes
 * cannot race to create it). Returns the names applied.
 *
 * @example
 * const applied = await migratePostgres(store); // ['001_init.sql', ...] on a new database
 */
export async function migratePostgres(store: PostgresStore): Promise<string[]> {
  const client = await store.pool.connect();
  const applied: string[] = [];
  try {
    // One lock per schema: tests migrating their own schemas in parallel do not wait for each other.
    const key = `hearthook.migrate:${store.schema ?? ''}`;
    await client.query('SELECT pg_advisory_lock(hashtext($1))', [key]);
    try {
      if (store.schema) await client.query(`CREATE SCHEMA IF NOT EXISTS ${store.schema}`);
      await client.query(
        'CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at BIGINT NOT NULL)',
      );
      for (const migration of loadMigrations('postgres')) {
        await client.query('BEGIN');
        try {
          const done = await client.query('SELECT 1 FROM schema_migrations WHERE version = $1', [migration.version]);
          if (done.rowCount === 0) {
            await client.query(migration.sql);
            await client.query('INSERT INTO schema_migrations (version, name, applied_at) VALUES ($1, $2, $3)', [
              migration.version,
              migration.name,
              Date.now(),
            ]);
            applied.push(migration.name);
          }
          await client.query('COMMIT');
        } catch (err) {
          await client.query('ROLLBACK');
          throw new Error(`migration ${migration.name} failed: ${(err as Error).message}`);
        }
      }
    } finally {
      await client.query('SELECT pg_advisory_unlock(hashtext($1))', [key]);
    }
  } finally {
    client.release();
  }
  return applied;
}
