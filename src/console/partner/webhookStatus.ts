import type { WebhookRow } from '../../api/partner/webhooks.js';
import { formatAgo } from '../render.js';

/** Endpoint health columns (migration 004) next to what the API's WebhookRow names. */
export type WebhookHealthRow = WebhookRow & {
  failing_since: number | null;
  disabled_at: number | null;
  disabled_reason: string | null;
  broken_at?: number | null;
  broken_reason?: string | null;
};

export interface WebhookStatus {
  /** For the badge's colour. */
  kind: 'ok' | 'warn' | 'bad' | 'off';
  label: string;
  detail?: string;
}

/** What a webhook's badge says: enabled, failing since (and whether its circuit is open), disabled and why, or broken. */
export function webhookStatus(row: WebhookHealthRow, now: number): WebhookStatus {
  if (row.enabled !== 1) return { kind: 'off', label: 'disabled', detail: row.disabled_reason ?? undefined };
  if (row.broken_at) return { kind: 'bad', label: 'broken', detail: row.broken_reason ?? undefined };
  if (row.failing_since !== null) {
    const open = row.circuit_open_until && row.circuit_open_until > now ? `; circuit open, next try ${formatAgo(row.circuit_open_until, now)}` : '';
    return { kind: 'warn', label: 'failing', detail: `since ${formatAgo(row.failing_since, now)}${open}` };
  }
  return { kind: 'ok', label: 'enabled' };
}
