import type { AttemptRow } from '../../api/partner/deliveryQueries.js';
import type { WebhookRow } from '../../api/partner/webhooks.js';
import type { AttemptTarget } from '../../delivery/attemptTarget.js';
import type { ApiVersion } from '../../versions/registry.js';
import type { StoredEvent } from '../../versions/renderEvent.js';
import { currentTarget, type SentRequest, sentRequest } from './sentRequest.js';

/** The "Request as sent" section of a delivery's page. */
export interface RequestAsSent extends SentRequest {
  /** The attempt (1-based) whose recorded target it shows; undefined when rebuilt from the webhook as it is now. */
  attempt?: number;
  /** Earlier attempts went elsewhere (another URL or key header): the Attempts table shows where. */
  targetsDiffer: boolean;
}

/** Where an attempt went, when its row recorded it (migration 026). */
export function recordedTarget(a: AttemptRow): AttemptTarget | undefined {
  return a.url === null ? undefined : { url: a.url, apiKeyHeader: a.api_key_header, languages: a.languages ?? '["en"]' };
}

/**
 * The request of the latest attempt that recorded where it went, in the major the delivery was
 * last rendered in (`deliveries.api_version`: the latest attempt's). With no such attempt (all
 * made before migration 026, or none made yet) it is rebuilt from the webhook as it is now, and
 * the page says so: the URL and key header shown may then not be the ones used.
 */
export function requestAsSent(
  event: StoredEvent,
  attempts: readonly AttemptRow[],
  webhook: WebhookRow,
  languages: string[],
  sequence: number,
  major: number,
  versions: readonly ApiVersion[],
): RequestAsSent {
  const recorded = attempts.map(recordedTarget);
  let latest = recorded.length - 1;
  while (latest >= 0 && recorded[latest] === undefined) latest--;
  if (latest < 0) return { ...sentRequest(event, currentTarget(webhook, languages), sequence, major, versions), targetsDiffer: false };
  const to = recorded[latest] as AttemptTarget;
  const targetsDiffer = recorded.some((t) => t !== undefined && (t.url !== to.url || t.apiKeyHeader !== to.apiKeyHeader));
  return { ...sentRequest(event, to, sequence, major, versions), attempt: latest + 1, targetsDiffer };
}
