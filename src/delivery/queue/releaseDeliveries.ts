import type { Db } from '../../store/db.js';
import { byClaim, type ClaimRef } from './claimGroups.js';
import { placeholders } from './placeholders.js';

/**
 * Puts leased deliveries back in the queue untried, due at `dueAt`, giving back the attempt
 * the claim counted: for deliveries held past their start-by time, those of an endpoint whose
 * circuit is open, and what could not finish at shutdown. Only rows their claim still holds;
 * returns their ids.
 */
export async function releaseDeliveries(db: Db, claims: readonly ClaimRef[], dueAt: number, now: number): Promise<number[]> {
  const released: number[] = [];
  for (const [token, rows] of byClaim(claims)) {
    const changed = await db.all<{ id: number }>(
      `UPDATE deliveries
          SET status = CASE WHEN attempts > 1 THEN 'failed' ELSE 'pending' END,
              attempts = attempts - 1, next_attempt_at = ?, lease_until = NULL, updated_at = ?
        WHERE id IN (${placeholders(rows.length)}) AND status = 'delivering' AND claim_token = ?
    RETURNING id`,
      [dueAt, now, ...rows.map((r) => r.id), token],
    );
    for (const row of changed) released.push(row.id);
  }
  return released;
}
