import type { Db } from '../../store/db.js';

/**
 * Makes the queued deliveries behind delivery `id` in its (webhook, gateway) line due `now`,
 * undoing what deferHeldDeliveries moved: called when a partner retries a delivery, so the
 * line moves as soon as that one is delivered, not when its old retry would have come. They
 * stay held (the claim skips them) until it is delivered or dead. One of them waiting for a
 * retry of its own (tried before it was held, e.g. under NONE) is made due too: the partner asked
 * the line to move, and it goes right after. Only for GATEWAY webhooks; attempts are untouched.
 * One seek into deliveries_unfinished_sequence, the line's rows after `id` (`ordered = 1 AND status
 * NOT IN …` is that index's predicate: a GATEWAY webhook's queued rows all have the flag, migration
 * 022), not a walk of every delivery waiting for a retry.
 * Returns how many it moved.
 *
 * @example await advanceHeldDeliveries(tx, 42, now);
 */
export function advanceHeldDeliveries(db: Db, id: number, now: number): Promise<number> {
  return db.run(
    `UPDATE deliveries SET next_attempt_at = ?, updated_at = ?
      WHERE webhook_id = (SELECT r.webhook_id FROM deliveries r JOIN webhooks w ON w.id = r.webhook_id
                           WHERE r.id = ? AND w.ordering = 'GATEWAY')
        AND gateway_id = (SELECT gateway_id FROM deliveries WHERE id = ?)
        AND sequence > (SELECT sequence FROM deliveries WHERE id = ?)
        AND ordered = 1 AND status NOT IN ('delivered', 'dead') AND status IN ('pending', 'failed') AND next_attempt_at > ?`,
    [now, now, id, id, id, now],
  );
}
