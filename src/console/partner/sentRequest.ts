import { buildRequest } from '../../delivery/buildRequest.js';
import type { WebhookRow } from '../../api/partner/webhooks.js';
import type { ApiVersion } from '../../versions/registry.js';
import type { StoredEvent } from '../../versions/renderEvent.js';

const REDACTED = '[redacted]';

/**
 * The request a delivery sent, rebuilt from the event the way the dispatcher built it (rendering
 * is deterministic: same event, major, sequence and languages, same body), with its secrets left
 * out: the webhook's API key and the signature are shown as `[redacted]`, and nothing is
 * decrypted to show them. `webhook-timestamp` differs per attempt.
 */
export function sentRequest(
  event: StoredEvent,
  webhook: WebhookRow,
  languages: string[],
  sequence: number,
  major: number,
  versions: readonly ApiVersion[],
): { url: string; headers: [string, string][]; body: string } {
  const target = {
    id: webhook.id,
    url: new URL(webhook.url),
    apiKeyName: webhook.api_key_name,
    apiKeyLocation: webhook.api_key_location,
    apiKey: REDACTED,
    signingKeys: [Buffer.alloc(32)],
    apiVersion: webhook.api_version,
    languages,
    updatedAt: webhook.updated_at,
  };
  const request = buildRequest(event, target, sequence, major, event.createdAt, versions);
  const headers = Object.entries(request.headers).map(([name, value]): [string, string] => {
    if (name === 'webhook-signature') return [name, `v1,${REDACTED}`];
    if (name === 'webhook-timestamp') return [name, 'the time of each attempt, in seconds'];
    return [name, value];
  });
  let body = request.body;
  try {
    body = JSON.stringify(JSON.parse(body), null, 2);
  } catch {}
  return { url: request.url.toString(), headers, body };
}
