import type { Db } from '../../store/db.js';

/** What one batch of outcomes says about its webhooks' endpoints. */
export interface WebhookHealthChanges {
  /** A delivery succeeded: the failing run (and any broken flag) ends. */
  succeeded: ReadonlySet<string>;
  /** Deliveries failed and none succeeded: a failing run starts where none is running. */
  failing: ReadonlySet<string>;
  /** The endpoint answered 410 Gone: the webhook is disabled. */
  gone: ReadonlySet<string>;
  /** Deliveries could not be built (configuration error): flagged for operators, with why. */
  broken: ReadonlyMap<string, string>;
}

/**
 * Writes the endpoint health a batch of outcomes reports, one statement per kind of change, not
 * per delivery: `failing_since` (read by the disable job), `broken_at` (GET
 * /v1/admin/webhooks?status=broken) and the 410 disable.
 *
 * @example await recordWebhookHealth(tx, { succeeded: new Set(['wh_1']), failing: new Set(), gone: new Set(), broken: new Map() }, now);
 */
export async function recordWebhookHealth(db: Db, changes: WebhookHealthChanges, now: number): Promise<void> {
  const list = db.dialect.jsonTextList;
  if (changes.succeeded.size) {
    await db.run(
      `UPDATE webhooks SET failing_since = NULL, broken_at = NULL, broken_reason = NULL
        WHERE (failing_since IS NOT NULL OR broken_at IS NOT NULL) AND id IN (${list})`,
      [JSON.stringify([...changes.succeeded])],
    );
  }
  if (changes.failing.size) {
    await db.run(`UPDATE webhooks SET failing_since = ? WHERE failing_since IS NULL AND id IN (${list})`, [now, JSON.stringify([...changes.failing])]);
  }
  for (const [webhookId, reason] of changes.broken) {
    await db.run('UPDATE webhooks SET broken_at = COALESCE(broken_at, ?), broken_reason = ? WHERE id = ?', [now, reason, webhookId]);
  }
  for (const webhookId of changes.gone) {
    await db.run(
      "UPDATE webhooks SET enabled = 0, disabled_at = ?, disabled_reason = 'the endpoint answered 410 Gone', updated_at = ? WHERE id = ?",
      [now, now, webhookId],
    );
  }
}
