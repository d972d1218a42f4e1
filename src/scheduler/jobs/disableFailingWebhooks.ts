import type { WebhookRow } from '../../api/partner/webhooks.js';
import { formatDuration } from '../../config/duration.js';
import type { Runtime } from '../../runtime.js';

type DisabledRow = Pick<WebhookRow, 'id' | 'company_id' | 'url'> & { failing_since: number };

/**
 * Disables every enabled webhook whose endpoint has failed without a single success for
 * `disableAfterMs` (DESIGN.md: 5 days by default), so a dead endpoint stops piling up retries,
 * and tells operators in the log; `GET /v1/admin/webhooks?status=disabled` lists them. Their
 * queued deliveries stay queued (the claim skips disabled webhooks) and go out once the partner
 * re-enables the webhook with `PATCH /v1/webhooks/{id}` `{"enabled": true}`.
 * One statement; returns how many it disabled.
 *
 * @example jobList: { name: 'disable-failing-webhooks', intervalMs: 60_000, run: disableFailingWebhooks }
 */
export async function disableFailingWebhooks(rt: Runtime): Promise<number> {
  const now = rt.clock.now();
  const { disableAfterMs } = rt.config;
  const reason = `its endpoint failed continuously for ${formatDuration(disableAfterMs)}`;
  const disabled = await rt.store.all<DisabledRow>(
    `UPDATE webhooks SET enabled = 0, disabled_at = ?, disabled_reason = ?, updated_at = ?
      WHERE enabled = 1 AND failing_since IS NOT NULL AND failing_since <= ?
  RETURNING id, company_id, url, failing_since`,
    [now, reason, now, now - disableAfterMs],
  );
  for (const w of disabled) {
    rt.log.warn(
      { webhookId: w.id, companyId: w.company_id, url: w.url, failingSince: new Date(w.failing_since).toISOString() },
      `webhook ${w.id} of company ${w.company_id} disabled: ${reason}`,
    );
  }
  return disabled.length;
}
