import type { Db } from '../../store/db.js';

/**
 * Returns deliveries whose lease ran out (their process died mid-delivery) to the queue, due
 * now. Their attempt was counted at claim, so a delivery that kills its worker cannot loop
 * forever: the schedule still runs out.
 */
export function reclaimExpiredLeases(db: Db, now: number): Promise<number> {
  return db.run(
    `UPDATE deliveries SET status = 'pending', next_attempt_at = ?, lease_until = NULL, updated_at = ?
      WHERE status = 'delivering' AND lease_until < ?`,
    [now, now, now],
  );
}
