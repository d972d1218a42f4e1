import type { Db } from '../../store/db.js';

export interface ClaimedDelivery {
  id: number;
  event_id: string;
  webhook_id: string;
  gateway_id: string;
  sequence: number;
  /** Including this attempt: counted at claim, so a crash mid-delivery still counts. */
  attempts: number;
  api_version: number | null;
}

/**
 * Takes up to `limit` due deliveries of enabled webhooks, oldest due first, and leases them
 * until `leaseUntil`. `skipWebhooks`: endpoints this dispatcher cannot send to now (open
 * circuit, in-flight limit reached), left in the queue untouched.
 * One statement: the inner SELECT skips rows other nodes hold locked (where the engine can).
 */
export function claimDeliveries(
  db: Db,
  now: number,
  leaseUntil: number,
  limit: number,
  skipWebhooks: readonly string[] = [],
): Promise<ClaimedDelivery[]> {
  return db.all<ClaimedDelivery>(
    `UPDATE deliveries
        SET status = 'delivering', attempts = attempts + 1, next_attempt_at = NULL, lease_until = ?, updated_at = ?
      WHERE id IN (SELECT id FROM deliveries
                    WHERE next_attempt_at <= ?
                      AND webhook_id NOT IN (SELECT id FROM webhooks WHERE enabled = 0)
                      AND webhook_id NOT IN (${db.dialect.jsonTextList})
                    ORDER BY next_attempt_at
                    LIMIT ? ${db.dialect.lockRowsSkipLocked})
  RETURNING id, event_id, webhook_id, gateway_id, sequence, attempts, api_version`,
    [leaseUntil, now, now, JSON.stringify(skipWebhooks), limit],
  );
}
