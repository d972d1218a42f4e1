import type { Db } from '../../store/db.js';
import type { ClaimRef } from './claimGroups.js';

/**
 * Records a failed attempt: back in the queue at `nextAttemptAt` (status `failed`), or `dead`
 * when `nextAttemptAt` is null (the schedule is used up, or the endpoint is gone), with the API
 * major the attempt was rendered in (none when nothing was sent: the column keeps its value).
 * Only while `claim` still holds the row; returns false when it no longer does (stale outcome).
 * (The CAST is for PostgreSQL, which cannot infer a parameter's type from `? IS NULL` alone.)
 */
export async function failDelivery(
  db: Db,
  claim: ClaimRef,
  nextAttemptAt: number | null,
  statusCode: number | null,
  error: string,
  major: number | undefined,
  now: number,
): Promise<boolean> {
  const changed = await db.run(
    `UPDATE deliveries
        SET status = CASE WHEN CAST(? AS BIGINT) IS NULL THEN 'dead' ELSE 'failed' END,
            next_attempt_at = ?, lease_until = NULL, last_status_code = ?, last_error = ?,
            api_version = COALESCE(CAST(? AS INTEGER), api_version), updated_at = ?
      WHERE id = ? AND status = 'delivering' AND claim_token = ?`,
    [nextAttemptAt, nextAttemptAt, statusCode, error, major ?? null, now, claim.id, claim.claim_token],
  );
  return changed > 0;
}
