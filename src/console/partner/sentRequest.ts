import type { WebhookRow } from '../../api/partner/webhooks.js';
import { type AttemptTarget, attemptTarget, REDACTED } from '../../delivery/attemptTarget.js';
import { buildRequest } from '../../delivery/buildRequest.js';
import type { ApiVersion } from '../../versions/registry.js';
import type { StoredEvent } from '../../versions/renderEvent.js';

export interface SentRequest {
  url: string;
  headers: [string, string][];
  body: string;
}

/**
 * The request an attempt sent, rebuilt from the event the way the dispatcher built it (rendering
 * is deterministic: same event, major, sequence and languages, same body) and from where the
 * attempt recorded it went (`to`: its URL with the key already `[redacted]`, the key's header),
 * with its secrets left out: the API key and the signature are shown as `[redacted]`, and nothing
 * is decrypted to show them. `webhook-timestamp` differs per attempt.
 */
export function sentRequest(event: StoredEvent, to: AttemptTarget, sequence: number, major: number, versions: readonly ApiVersion[]): SentRequest {
  const target = {
    id: '',
    url: new URL(to.url),
    apiKeyName: '',
    apiKeyLocation: 'HEADER' as const,
    apiKey: '', // the recorded URL already has its placement; the header is added below
    signingKeys: [Buffer.alloc(32)],
    apiVersion: major,
    languages: JSON.parse(to.languages) as string[],
    updatedAt: 0,
  };
  const request = buildRequest(event, target, sequence, major, event.createdAt, versions);
  const headers = Object.entries(request.headers).map(([name, value]): [string, string] => {
    if (name === 'webhook-signature') return [name, `v1,${REDACTED}`];
    if (name === 'webhook-timestamp') return [name, 'the time of each attempt, in seconds'];
    return [name, value];
  });
  if (to.apiKeyHeader) headers.push([to.apiKeyHeader, REDACTED]);
  let body = request.body;
  try {
    body = JSON.stringify(JSON.parse(body), null, 2);
  } catch {}
  // The recorded URL as it was written (URL would re-encode its [redacted]).
  return { url: to.url, headers, body };
}

/**
 * Where a request to the webhook as it is now would go: for attempts made before their target
 * was recorded (migration 026), and deliveries not yet attempted. The page says so.
 */
export function currentTarget(webhook: WebhookRow, languages: string[]): AttemptTarget {
  return attemptTarget({
    id: webhook.id,
    url: new URL(webhook.url),
    apiKeyName: webhook.api_key_name,
    apiKeyLocation: webhook.api_key_location,
    apiKey: REDACTED,
    signingKeys: [],
    apiVersion: webhook.api_version,
    languages,
    updatedAt: webhook.updated_at,
  });
}
