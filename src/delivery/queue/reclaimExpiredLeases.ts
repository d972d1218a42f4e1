import type { Db } from '../../store/db.js';
import { ATTEMPT_CAP } from './claimDeliveries.js';
import { recordAttempts } from './recordAttempts.js';

export const LEASE_EXPIRED = 'lease expired: the worker was lost';

/**
 * Takes back deliveries whose lease ran out (their worker died or stalled mid-delivery): due
 * now when attempts are left, else dead. Either way the lost attempt (counted at claim) is
 * recorded, so the log shows it and a delivery that kills its worker cannot loop forever. The
 * former holder's claim no longer holds the row: anything it writes later changes nothing.
 * Returns how many it took back and how many of those are dead.
 *
 * @example const { reclaimed, dead } = await reclaimExpiredLeases(db, now, config.retrySchedule.length);
 */
export function reclaimExpiredLeases(db: Db, now: number, scheduleLength: number): Promise<{ reclaimed: number; dead: number }> {
  return db.transaction(async (tx) => {
    const rows = await tx.all<{ id: number; status: string; claim_token: string | null }>(
      `UPDATE deliveries
          SET status = CASE WHEN attempts >= ${ATTEMPT_CAP} THEN 'dead' ELSE 'pending' END,
              next_attempt_at = CASE WHEN attempts >= ${ATTEMPT_CAP} THEN NULL ELSE CAST(? AS BIGINT) END,
              lease_until = NULL, last_error = ?, updated_at = ?
        WHERE status = 'delivering' AND lease_until < ${tx.dialect.leaseNow}
    RETURNING id, status, claim_token`,
      [scheduleLength, scheduleLength, scheduleLength, scheduleLength, now, LEASE_EXPIRED, now, now],
    );
    await recordAttempts(
      tx,
      rows.map((r) => ({ deliveryId: r.id, claimToken: r.claim_token, attemptedAt: now, statusCode: null, durationMs: 0, responseBody: null, error: LEASE_EXPIRED })),
    );
    return { reclaimed: rows.length, dead: rows.filter((r) => r.status === 'dead').length };
  });
}
