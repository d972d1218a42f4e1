import type { Db } from '../../store/db.js';
import { placeholders } from './placeholders.js';

/** Marks leased deliveries delivered, in one statement per batch. */
export function completeDeliveries(db: Db, ids: readonly number[], statusCode: number[], now: number): Promise<number> {
  // Status codes differ per row only in rare cases (201 vs 200); keep one statement by
  // storing them through a CASE only when they are not all the same.
  const same = statusCode.every((c) => c === statusCode[0]);
  if (same) {
    return db.run(
      `UPDATE deliveries SET status = 'delivered', lease_until = NULL, last_status_code = ?, last_error = NULL, updated_at = ?
        WHERE id IN (${placeholders(ids.length)}) AND status = 'delivering'`,
      [statusCode[0], now, ...ids],
    );
  }
  const cases = ids.map(() => 'WHEN ? THEN ?').join(' ');
  return db.run(
    `UPDATE deliveries SET status = 'delivered', lease_until = NULL, last_error = NULL, updated_at = ?,
            last_status_code = CASE id ${cases} END
      WHERE id IN (${placeholders(ids.length)}) AND status = 'delivering'`,
    [now, ...ids.flatMap((id, i) => [id, statusCode[i]]), ...ids],
  );
}
