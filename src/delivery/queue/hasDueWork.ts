import type { Db } from '../../store/db.js';

/**
 * Whether any enabled webhook outside `skipWebhooks` has a due delivery: one probe of the
 * (webhook_id, next_attempt_at) index per webhook. The claim answers the same question by
 * walking the due rows in order, which costs every due row of the skipped webhooks when they
 * hold the queue (46 ms at 100,000 rows; npm run bench, backlog).
 */
export async function hasDueWork(db: Db, now: number, skipWebhooks: readonly string[]): Promise<boolean> {
  const row = await db.get(
    `SELECT 1 AS due FROM webhooks w
      WHERE w.enabled = 1 AND w.id NOT IN (${db.dialect.jsonTextList})
        AND EXISTS (SELECT 1 FROM deliveries d WHERE d.webhook_id = w.id AND d.next_attempt_at <= ?)
      LIMIT 1`,
    [JSON.stringify(skipWebhooks), now],
  );
  return row !== undefined;
}
