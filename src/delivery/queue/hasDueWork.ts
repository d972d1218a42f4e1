import type { Db } from '../../store/db.js';

/**
 * Whether any enabled webhook outside `skipWebhooks` has a due delivery: for each webhook, its
 * earliest `next_attempt_at`, the first entry of its run in the (webhook_id, next_attempt_at)
 * due index. The claim answers the same question by walking the due rows in order, which costs
 * every due row of the skipped webhooks when they hold the queue (46 ms at 100,000 rows; npm run
 * bench, backlog).
 *
 * The statement leaves PostgreSQL's planner one good plan whatever its statistics say. The
 * earlier `EXISTS (… webhook_id = w.id AND next_attempt_at <= ?)` was planned, after a backlog's
 * ANALYZE had seen every row due, on the (webhook_id, id) index, walking every delivered row of
 * the webhook before the first due one (372 → 14,317 buffers per probe over a 100,000-row drain,
 * half of the database's CPU per delivery; BENCHMARKS.md, capacity model). With `webhook_id =
 * w.id` and ORDER BY next_attempt_at it chose the (next_attempt_at) index instead, walking the
 * other webhooks' due rows: the skipped ones' too, which is what the probe is for avoiding. A
 * range on webhook_id (one value, written as a range so the planner keeps it in the order) and
 * ORDER BY webhook_id, next_attempt_at can only be served in order by the composite index.
 */
/**
 * The earliest `next_attempt_at` of the webhook `w` (a row of `webhooks w` in the outer query):
 * the first entry of its run in the (webhook_id, next_attempt_at) index, written as below for
 * the planner's sake. `oldestDueAgeMs` (metrics) asks it of every enabled webhook too.
 */
export const FIRST_DUE_OF_WEBHOOK = `(SELECT d.next_attempt_at FROM deliveries d
    WHERE d.webhook_id >= w.id AND d.webhook_id <= w.id AND d.next_attempt_at IS NOT NULL
    ORDER BY d.webhook_id, d.next_attempt_at LIMIT 1)`;

export async function hasDueWork(db: Db, now: number, skipWebhooks: readonly string[]): Promise<boolean> {
  const row = await db.get(
    `SELECT 1 AS due FROM webhooks w
      WHERE w.enabled = 1 AND w.id NOT IN (${db.dialect.jsonTextList}) AND ${FIRST_DUE_OF_WEBHOOK} <= ?
      LIMIT 1`,
    [JSON.stringify(skipWebhooks), now],
  );
  return row !== undefined;
}
