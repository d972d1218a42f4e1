/**
 * What a partner may send to register or change a webhook: the reference page's registration
 * object (`url`, `apiKeyName`, `apiKeyLocation`, `apiKey`) plus the event types wanted.
 */
import { isIP } from 'node:net';
import { type AddressPolicy, DESTINATION_NOT_ALLOWED } from '../../delivery/addressPolicy.js';
import type { EventType } from '../../domain/eventTypes.js';
import { badRequest } from '../httpError.js';
import { apiVersionSchema, eventTypeSchema, orderingSchema, type WebhookOrdering } from '../schemas.js';

export interface WebhookFields {
  url: string;
  apiKeyName: string;
  apiKeyLocation: 'HEADER' | 'QUERY';
  apiKey: string;
  eventTypes: EventType[];
  description?: string | null;
  enabled?: boolean;
  ordering?: WebhookOrdering;
}

export interface CreateWebhookBody extends WebhookFields {
  apiVersion?: number;
}

/** Every field a PATCH may change; at least one must be present. */
export type PatchWebhookBody = Partial<WebhookFields>;

/**
 * Header names an API key may not take: the ones every delivery sets (`content-type`,
 * `user-agent`, `x-api-version`, the Standard Webhooks `webhook-*`), the ones the HTTP client
 * owns (`host`, `content-length`, `transfer-encoding`, `expect`, `upgrade`) and the hop-by-hop
 * ones (RFC 9110 §7.6.1). Refused whatever `apiKeyLocation` says, so a later PATCH of the
 * location alone can never turn a query parameter into a protocol header.
 */
const RESERVED_HEADERS = [
  'host',
  'content-type',
  'content-length',
  'transfer-encoding',
  'connection',
  'keep-alive',
  'upgrade',
  'expect',
  'te',
  'trailer',
  'user-agent',
  'x-api-version',
  'proxy-connection',
] as const;
const RESERVED_LIST = [...RESERVED_HEADERS, 'webhook-*'].join(', ');

const fieldSchemas = {
  url: { type: 'string', minLength: 1, maxLength: 2048, description: 'absolute https URL of the endpoint' },
  // An HTTP token (RFC 9110): valid both as a header name and as a query parameter name.
  apiKeyName: {
    type: 'string',
    pattern: "^[A-Za-z0-9!#$%&'*+.^_`|~-]{1,128}$",
    description: `e.g. x-api-key or authorization; not a header Hearthook sets or HTTP reserves (${RESERVED_LIST})`,
  },
  apiKeyLocation: { type: 'string', enum: ['HEADER', 'QUERY'] },
  // Visible ASCII and inner spaces (`Bearer abc`), so it can be sent as a header value as is:
  // no CR, LF or NUL, and no space at either end (HTTP trims those, the key would not match).
  apiKey: {
    type: 'string',
    pattern: '^[\\x21-\\x7E](?:[\\x20-\\x7E]{0,1022}[\\x21-\\x7E])?$',
    description: 'sent to the endpoint, e.g. "Bearer abc"; stored encrypted, never shown again',
  },
  eventTypes: { type: 'array', minItems: 1, uniqueItems: true, items: eventTypeSchema },
  description: { type: ['string', 'null'], maxLength: 500 },
  enabled: { type: 'boolean' },
  ordering: orderingSchema,
} as const;

export const createWebhookBodySchema = {
  type: 'object',
  additionalProperties: false,
  required: ['url', 'apiKeyName', 'apiKeyLocation', 'apiKey', 'eventTypes'],
  properties: {
    ...fieldSchemas,
    apiVersion: { ...apiVersionSchema, description: 'API major the events are rendered in; the current one by default' },
  },
} as const;

export const patchWebhookBodySchema = {
  type: 'object',
  additionalProperties: false,
  minProperties: 1,
  properties: fieldSchemas,
} as const;

/**
 * Checks the API key's name against the reserved headers (case-insensitively, as HTTP does).
 *
 * @example checkApiKeyName('Webhook-Signature'); // throws a 400 naming /body/apiKeyName
 */
export function checkApiKeyName(name: string): string {
  const lower = name.toLowerCase();
  if ((RESERVED_HEADERS as readonly string[]).includes(lower) || lower.startsWith('webhook-')) {
    throw badRequest('/body/apiKeyName', `"${name}" is a header Hearthook sets or HTTP reserves (${RESERVED_LIST})`);
  }
  return name;
}

/**
 * Checks a webhook URL and returns it normalised. It must be absolute, https (http only when the
 * operator allows it, for development), and carry no credentials: those belong in `apiKey`,
 * which is stored encrypted, while URLs are shown and logged. A literal address the policy
 * refuses is refused here already; a host name is resolved and checked at connect time, where
 * the address the request will use is known.
 */
export function checkWebhookUrl(text: string, allowHttp: boolean, policy: AddressPolicy): string {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw badRequest('/body/url', `"${text}" is not an absolute URL`);
  }
  if (url.protocol !== 'https:' && !(allowHttp && url.protocol === 'http:')) {
    throw badRequest('/body/url', allowHttp ? 'must be an http or https URL' : 'must be an https URL');
  }
  if (url.username || url.password) {
    throw badRequest('/body/url', 'must not contain credentials; send them as apiKeyName and apiKey');
  }
  // The WHATWG parser has already turned `[::127.0.0.1]` into `[::7f00:1]` and `2130706433` into `127.0.0.1`.
  const literal = url.hostname.replace(/^\[|\]$/g, '');
  if (isIP(literal) && policy.refusal(literal)) throw badRequest('/body/url', DESTINATION_NOT_ALLOWED);
  return url.href;
}
