import type { Db } from '../../store/db.js';

/**
 * Moves a webhook's queued deliveries that are due before `until` to `until`, without touching
 * their attempts: used when its circuit opens, so the claim does not wade through them.
 */
export function deferWebhookDeliveries(db: Db, webhookId: string, until: number, now: number): Promise<number> {
  return db.run(
    `UPDATE deliveries SET next_attempt_at = ?, updated_at = ?
      WHERE webhook_id = ? AND next_attempt_at IS NOT NULL AND next_attempt_at < ?`,
    [until, now, webhookId, until],
  );
}
