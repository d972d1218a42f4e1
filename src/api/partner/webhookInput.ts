/**
 * What a partner may send to register or change a webhook: the reference page's registration
 * object (`url`, `apiKeyName`, `apiKeyLocation`, `apiKey`) plus the event types wanted.
 */
import type { EventType } from '../../domain/eventTypes.js';
import { badRequest } from '../httpError.js';
import { apiVersionSchema, eventTypeSchema } from '../schemas.js';

export interface WebhookFields {
  url: string;
  apiKeyName: string;
  apiKeyLocation: 'HEADER' | 'QUERY';
  apiKey: string;
  eventTypes: EventType[];
  description?: string | null;
  enabled?: boolean;
}

export interface CreateWebhookBody extends WebhookFields {
  apiVersion?: number;
}

/** Every field a PATCH may change; at least one must be present. */
export type PatchWebhookBody = Partial<WebhookFields>;

const fieldSchemas = {
  url: { type: 'string', minLength: 1, maxLength: 2048, description: 'absolute https URL of the endpoint' },
  // An HTTP token (RFC 9110): valid both as a header name and as a query parameter name.
  apiKeyName: { type: 'string', pattern: "^[A-Za-z0-9!#$%&'*+.^_`|~-]{1,128}$", description: 'e.g. x-api-key' },
  apiKeyLocation: { type: 'string', enum: ['HEADER', 'QUERY'] },
  // Visible ASCII only, so it can be sent as a header value as is; never returned by the API.
  apiKey: { type: 'string', pattern: '^[\\x21-\\x7E]{1,1024}$', description: 'sent to the endpoint; stored encrypted, never shown again' },
  eventTypes: { type: 'array', minItems: 1, uniqueItems: true, items: eventTypeSchema },
  description: { type: ['string', 'null'], maxLength: 500 },
  enabled: { type: 'boolean' },
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
 * Checks a webhook URL and returns it normalised. It must be absolute, https (http only when the
 * operator allows it, for development), and carry no credentials: those belong in `apiKey`,
 * which is stored encrypted, while URLs are shown and logged. Private addresses are refused at
 * connect time, where the resolved address is known.
 */
export function checkWebhookUrl(text: string, allowHttp: boolean): string {
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
  return url.href;
}
