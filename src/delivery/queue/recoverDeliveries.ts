import type { Db } from '../../store/db.js';

/**
 * Re-queues every dead delivery of a webhook created at or after `since`, due `now`, in one
 * statement. Like a manual retry it keeps `attempts`: each recovered delivery gets one more try
 * (more if its schedule had steps left) and is dead again if that fails. Sets `ordered` as
 * retryDelivery does, for the same reason.
 * Returns how many it re-queued.
 *
 * @example const recovered = await recoverDeliveries(db, webhookId, Date.parse('2026-06-01T00:00:00Z'), now);
 */
export function recoverDeliveries(db: Db, webhookId: string, since: number, now: number): Promise<number> {
  return db.run(
    `UPDATE deliveries
        SET status = CASE WHEN attempts > 0 THEN 'failed' ELSE 'pending' END, next_attempt_at = ?,
            attempt_limit = attempts + 1, ordered = 1, updated_at = ?
      WHERE webhook_id = ? AND status = 'dead' AND created_at >= ?`,
    [now, now, webhookId, since],
  );
}
