import type { Db } from '../../store/db.js';

/**
 * Whether any enabled webhook outside `skipWebhooks` has a due delivery: for each webhook, its
 * earliest `next_attempt_at`, read as the first entry of the (webhook_id, next_attempt_at) due
 * index. The claim answers the same question by walking the due rows in order, which costs
 * every due row of the skipped webhooks when they hold the queue (46 ms at 100,000 rows; npm run
 * bench, backlog).
 *
 * Written as "the earliest, then compare" (ORDER BY … LIMIT 1), not `EXISTS (… next_attempt_at <=
 * ?)`: PostgreSQL planned that EXISTS on the (webhook_id, id) index whenever its statistics said
 * most rows were due (as after a backlog was seeded), and then walked every delivered row of the
 * webhook before the first due one: 372 → 14,317 buffers per probe over a 100,000-row drain,
 * half of the database's CPU per delivery (BENCHMARKS.md, capacity model).
 */
export async function hasDueWork(db: Db, now: number, skipWebhooks: readonly string[]): Promise<boolean> {
  const row = await db.get(
    `SELECT 1 AS due FROM webhooks w
      WHERE w.enabled = 1 AND w.id NOT IN (${db.dialect.jsonTextList})
        AND (SELECT d.next_attempt_at FROM deliveries d
              WHERE d.webhook_id = w.id AND d.next_attempt_at IS NOT NULL
              ORDER BY d.webhook_id, d.next_attempt_at LIMIT 1) <= ?
      LIMIT 1`,
    [JSON.stringify(skipWebhooks), now],
  );
  return row !== undefined;
}
