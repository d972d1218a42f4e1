import type { Db } from '../store/db.js';

/**
 * Runs a bounded DELETE until it deletes fewer rows than its bound: each statement is its own
 * short write, so a retention job never holds the write lock (SQLite) or many row locks
 * (PostgreSQL) for long. `sql` ends in `LIMIT ?`, bound to `batch` after `params`.
 * Returns how many rows it deleted.
 *
 * @example
 * await deleteInBatches(db, 'DELETE FROM t WHERE id IN (SELECT id FROM t WHERE at < ? LIMIT ?)', [cutoff], 5000);
 */
export async function deleteInBatches(db: Db, sql: string, params: readonly unknown[], batch: number): Promise<number> {
  let deleted = 0;
  for (;;) {
    const n = await db.run(sql, [...params, batch]);
    deleted += n;
    if (n < batch) return deleted;
  }
}
