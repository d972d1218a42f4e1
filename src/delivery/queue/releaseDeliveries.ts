import type { Db } from '../../store/db.js';
import { placeholders } from './placeholders.js';

/**
 * Puts leased deliveries back in the queue untried, due at `dueAt`, giving back the attempt
 * the claim counted: used at shutdown for what could not finish.
 */
export function releaseDeliveries(db: Db, ids: readonly number[], dueAt: number, now: number): Promise<number> {
  if (ids.length === 0) return Promise.resolve(0);
  return db.run(
    `UPDATE deliveries
        SET status = CASE WHEN attempts > 1 THEN 'failed' ELSE 'pending' END,
            attempts = attempts - 1, next_attempt_at = ?, lease_until = NULL, updated_at = ?
      WHERE id IN (${placeholders(ids.length)}) AND status = 'delivering'`,
    [dueAt, now, ...ids],
  );
}
