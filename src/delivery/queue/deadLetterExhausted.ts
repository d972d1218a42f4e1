import type { Db } from '../../store/db.js';
import { ATTEMPT_CAP } from './claimDeliveries.js';
import { recordAttempts } from './recordAttempts.js';

export const ATTEMPTS_USED_UP = 'attempts used up: queued with no attempt left (the retry schedule was shortened or the attempt limit changed)';

/** Rows moved per run: an operator who shortens a long schedule under a big backlog is caught up over several runs. */
const ROWS_PER_RUN = 1000;

/**
 * Dead-letters queued deliveries whose attempts are used up: the claim skips them, so without
 * this they would wait forever (a retry schedule shortened by configuration, an attempt limit
 * changed by hand). Each gets an attempt record saying why. A row moves once it is due, when the
 * claim would have taken it: a schedule restored before then retries it instead. `attempts > 0`
 * matches the partial index `deliveries_retry_due` (rows waiting for a retry), so the scan never
 * walks the fresh backlog (a full scan of 200,000 due rows took ~50 ms on SQLite).
 * Returns how many rows it moved.
 *
 * @example const dead = await deadLetterExhausted(db, now, config.retrySchedule.length);
 */
export function deadLetterExhausted(db: Db, now: number, scheduleLength: number): Promise<number> {
  return db.transaction(async (tx) => {
    const exhausted = `next_attempt_at <= ? AND attempts > 0 AND attempts >= ${ATTEMPT_CAP}`;
    const rows = await tx.all<{ id: number }>(
      `UPDATE deliveries
          SET status = 'dead', next_attempt_at = NULL, last_error = ?, updated_at = ?
        WHERE id IN (SELECT id FROM deliveries WHERE ${exhausted} LIMIT ? ${tx.dialect.lockRowsSkipLocked})
          AND ${exhausted}
    RETURNING id`,
      [ATTEMPTS_USED_UP, now, now, scheduleLength, scheduleLength, ROWS_PER_RUN, now, scheduleLength, scheduleLength],
    );
    await recordAttempts(
      tx,
      rows.map((r) => ({ deliveryId: r.id, claimToken: null, attemptedAt: now, statusCode: null, durationMs: 0, responseBody: null, error: ATTEMPTS_USED_UP })),
    );
    return rows.length;
  });
}
