import { packageVersion } from '../util/packageVersion.js';
import { RENDERERS, type StoredEvent } from '../versions/renderEvent.js';
import { API_VERSIONS, type ApiVersion, versionHeader } from '../versions/registry.js';
import type { Target } from './loadDeliveryTargets.js';
import { signPayload } from './signPayload.js';

const USER_AGENT = `Hearthook/${packageVersion} (+webhooks)`;

export interface WebhookRequest {
  url: URL;
  headers: Record<string, string>;
  body: string;
}

/**
 * The POST a partner endpoint receives for one event (DESIGN.md, "Delivery contract"): the body
 * in the given major, the partner's API key in a header or the query, `x-api-version`, and the
 * Standard Webhooks headers signed with every current signing key of the webhook.
 */
export function buildRequest(
  event: StoredEvent,
  target: Target,
  sequence: number,
  major: number,
  nowMs: number,
  versions: readonly ApiVersion[] = API_VERSIONS,
): WebhookRequest {
  const render = RENDERERS[major];
  if (!render) throw new Error(`no renderer for API major ${major}`);
  const body = render(event, { sequence, languages: target.languages });
  const timestamp = Math.floor(nowMs / 1000);
  const headers: Record<string, string> = {
    'content-type': 'application/json',
    'user-agent': USER_AGENT,
    'x-api-version': versionHeader(major, versions),
    'webhook-id': event.id,
    'webhook-timestamp': String(timestamp),
    'webhook-signature': signPayload(target.signingKeys, event.id, timestamp, body),
    'webhook-sequence': String(sequence),
  };
  let url = target.url;
  // Webhooks always have a key; `hearthook listen` forwards without one unless given one.
  if (target.apiKey === '') return { url, headers, body };
  if (target.apiKeyLocation === 'HEADER') headers[target.apiKeyName.toLowerCase()] = target.apiKey;
  else {
    url = new URL(target.url);
    url.searchParams.set(target.apiKeyName, target.apiKey);
  }
  return { url, headers, body };
}
