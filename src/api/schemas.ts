/**
 * JSON Schemas shared by the management routes. Fastify validates requests with them and
 * serialises responses through them (so a field not listed here, such as a webhook's API key,
 * can never leak into a response), and @fastify/swagger turns them into `/openapi.json`.
 */
import { CONTRACT_STATUSES, PARTNER_ACTIONS } from '../domain/contracts.js';
import { CONSENTS, EVENT_TYPES } from '../domain/eventTypes.js';
import { API_VERSIONS } from '../versions/registry.js';

const isoTime = { type: 'string', format: 'date-time' } as const;
const nullable = <T extends { type: string }>(schema: T) => ({ ...schema, type: [schema.type, 'null'] });

export const eventTypeSchema = { type: 'string', enum: [...EVENT_TYPES] } as const;
export const consentSchema = { type: 'string', enum: [...CONSENTS] } as const;
export const contractStatusSchema = { type: 'string', enum: [...CONTRACT_STATUSES] } as const;
export const partnerActionSchema = { type: 'string', enum: [...PARTNER_ACTIONS] } as const;
export const apiVersionSchema = { type: 'integer', enum: API_VERSIONS.map((v) => v.major) } as const;

export const WEBHOOK_ORDERINGS = ['NONE', 'GATEWAY'] as const;
export type WebhookOrdering = (typeof WEBHOOK_ORDERINGS)[number];
/** A webhook's `ordering`, as requests and answers carry it. */
export const orderingSchema = {
  type: 'string',
  enum: [...WEBHOOK_ORDERINGS],
  description:
    'NONE (the default): due deliveries go out concurrently, so two events of one gateway can arrive reversed. ' +
    'GATEWAY: one gateway\'s deliveries to this webhook go out one at a time in `sequence` order; a delivery waits ' +
    '(status pending, `waitingFor` naming the earlier one) while an earlier one is pending, in flight or waiting for a retry, ' +
    'and goes once that one is delivered or dead. Other gateways are not held. A change applies to deliveries sent after it.',
} as const;

/** A gateway id is a digit string (`101506113`). */
export const gatewayIdSchema = { type: 'string', pattern: '^[0-9]{1,20}$', description: 'digits, e.g. 101506113' } as const;

/** RFC 9457 problem details, as the error handler renders them. */
export const problemSchema = {
  type: 'object',
  properties: {
    type: { type: 'string' },
    title: { type: 'string' },
    status: { type: 'integer' },
    errors: {
      type: 'array',
      items: {
        type: 'object',
        properties: {
          field: { type: 'string', description: 'JSON pointer into the request, e.g. /body/url' },
          message: { type: 'string' },
        },
      },
    },
  },
} as const;

const PROBLEM_DESCRIPTIONS: Record<number, string> = {
  400: 'invalid request; `errors` names each field',
  401: 'missing or invalid credentials',
  404: 'not found (or not yours)',
  409: 'conflicts with the current state (or a cap reached: the title names it)',
  429: 'too many requests: a rate limit or too many failed authentications; see Retry-After, RateLimit and RateLimit-Policy',
};

/**
 * Response entries for the given error statuses and those every authenticated route can answer
 * (400, 401, 429), documented as `application/problem+json`.
 */
export function problems(...statuses: number[]): Record<number, unknown> {
  return Object.fromEntries(
    [...new Set([400, 401, 429, ...statuses])].map((status) => [
      status,
      { description: PROBLEM_DESCRIPTIONS[status] ?? 'error', content: { 'application/problem+json': { schema: problemSchema } } },
    ]),
  );
}

export const contractSchema = {
  type: 'object',
  properties: {
    gatewayId: { type: 'string' },
    companyId: { type: 'string' },
    status: contractStatusSchema,
    consent: consentSchema,
    createdAt: isoTime,
    updatedAt: isoTime,
  },
  required: ['gatewayId', 'companyId', 'status', 'consent', 'createdAt', 'updatedAt'],
} as const;

const webhookProperties = {
  id: { type: 'string' },
  url: { type: 'string' },
  apiKeyName: { type: 'string' },
  apiKeyLocation: { type: 'string', enum: ['HEADER', 'QUERY'] },
  eventTypes: { type: 'array', items: eventTypeSchema },
  description: nullable({ type: 'string' }),
  enabled: { type: 'boolean' },
  apiVersion: { type: 'integer', description: 'the API major events are rendered in' },
  ordering: orderingSchema,
  autoUpgradedAt: { ...nullable(isoTime), description: 'when Hearthook moved the webhook off a major past its end of support' },
  autoUpgradedFrom: { ...nullable({ type: 'integer' }), description: 'the major it was moved off then' },
  createdAt: isoTime,
  updatedAt: isoTime,
} as const;

/** A webhook as every endpoint shows it: never with its API key, and without its secret. */
export const webhookSchema = {
  type: 'object',
  properties: webhookProperties,
  required: Object.keys(webhookProperties),
} as const;

/** The webhook as `POST /v1/webhooks` answers it: the only time the signing secret is shown. */
export const createdWebhookSchema = {
  type: 'object',
  properties: { ...webhookProperties, secret: { type: 'string', description: 'whsec_ signing secret; shown only once' } },
  required: [...Object.keys(webhookProperties), 'secret'],
} as const;

export const DELIVERY_STATUSES = ['pending', 'delivering', 'delivered', 'failed', 'dead'] as const;

/** One HTTP attempt of a delivery. */
export const attemptSchema = {
  type: 'object',
  properties: {
    attemptedAt: isoTime,
    statusCode: nullable({ type: 'integer' }),
    durationMs: { type: 'integer' },
    responseBody: nullable({ type: 'string' }),
    error: nullable({ type: 'string' }),
    url: {
      ...nullable({ type: 'string' }),
      description:
        'the URL this attempt was sent to, as it was then, the API key in its query shown as `[redacted]`; null when no request was made ' +
        '(the event or webhook was gone, its secrets could not be read, the worker was lost) or the attempt predates recording it',
    },
    apiKeyHeader: {
      ...nullable({ type: 'string' }),
      description: 'the header that carried the API key in this attempt (lower case); null when the key went in the query, or url is null',
    },
  },
} as const;

const deliveryProperties = {
  id: { type: 'string', description: 'opaque delivery id, e.g. dlv_Qm9vT3R0aGVyV2lzZUtleQ' },
  eventId: { type: 'string' },
  webhookId: { type: 'string' },
  gatewayId: { type: 'string' },
  eventType: eventTypeSchema,
  sequence: { type: 'integer', description: 'gap-free per (webhook, gateway)' },
  apiVersion: nullable({ type: 'integer', description: 'the API major of the latest attempt; null before the first' }),
  status: { type: 'string', enum: [...DELIVERY_STATUSES] },
  waitingFor: {
    ...nullable({ type: 'string' }),
    description:
      'with ordering GATEWAY, the delivery (dlv_ id) this one waits for: the earliest unfinished delivery of the same gateway to this webhook ' +
      '(pending, in flight or waiting for a retry). Retrying it, or its going dead after its last attempt, lets this one go. null when not held.',
  },
  attemptCount: {
    type: 'integer',
    description: 'attempts counted so far (a claim counts before its attempt is logged, so it can be one more than the attempts listed)',
  },
  attempts: { type: 'array', items: attemptSchema, description: 'its HTTP attempts, oldest first: the same in a list and in one delivery' },
  nextAttemptAt: nullable(isoTime),
  lastStatusCode: nullable({ type: 'integer' }),
  lastError: nullable({ type: 'string' }),
  createdAt: isoTime,
  updatedAt: isoTime,
} as const;

export const deliverySchema = { type: 'object', properties: deliveryProperties } as const;

/** ms since the epoch → ISO string; null stays null. */
export function iso(ms: number): string;
export function iso(ms: number | null): string | null;
export function iso(ms: number | null): string | null {
  return ms === null ? null : new Date(ms).toISOString();
}
