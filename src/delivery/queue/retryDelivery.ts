import type { Db } from '../../store/db.js';

/**
 * Puts one failed or dead delivery of `companyId`'s webhooks back in the queue, due `now`.
 * `attempts` is left alone: a manual retry continues the delivery's schedule instead of starting
 * a new one, so if this attempt fails and the schedule is used up the delivery is dead again.
 * `attempt_limit` grants that one more try (the claim skips deliveries whose attempts are used up).
 * `ordered` = 1 puts it in its line's index (migration 022): a dead delivery may have died under
 * NONE, before a switch to GATEWAY that lined up only unfinished rows. Set whatever the ordering,
 * so a switch committing meanwhile cannot miss it; for a NONE webhook it costs one index entry.
 * Returns false when no such delivery is failed or dead (the caller tells 404 from 409).
 *
 * @example if (!(await retryDelivery(db, 42, companyId, now))) throw conflict;
 */
export async function retryDelivery(db: Db, id: number, companyId: string, now: number): Promise<boolean> {
  const changed = await db.run(
    `UPDATE deliveries
        SET status = CASE WHEN attempts > 0 THEN 'failed' ELSE 'pending' END, next_attempt_at = ?,
            attempt_limit = attempts + 1, ordered = 1, updated_at = ?
      WHERE id = ? AND status IN ('failed', 'dead')
        AND webhook_id IN (SELECT id FROM webhooks WHERE company_id = ?)`,
    [now, now, id, companyId],
  );
  return changed > 0;
}
