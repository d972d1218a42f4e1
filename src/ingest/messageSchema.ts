import type { ErrorObject } from 'ajv';
import type { FieldError } from '../api/httpError.js';
import { compileBodySchema } from '../api/validators.js';
import { TIMESTAMP_RULE } from '../util/timestamps.js';

/** The most messages one ingest request may carry. */
export const MAX_BATCH = 1000;

type Schema = Record<string, unknown> & {
  type?: string | string[];
  const?: unknown;
  enum?: unknown[];
  pattern?: string;
  minLength?: number;
  maxLength?: number;
  format?: string;
};

const common: Record<string, Schema> = {
  gatewayId: { type: 'string', pattern: '^[0-9]{1,32}$', description: 'The gateway id, a string of digits.', examples: ['101506113'] },
  messageId: {
    type: 'string',
    minLength: 1,
    maxLength: 128,
    description: 'Unique per gateway. A message resent with the same id is answered 202 again and changes nothing.',
  },
  sentAt: {
    type: 'string',
    format: 'date-time',
    description: "When the gateway sent it; becomes the events' occurredAt. The backend's clock sets their timestamp.",
  },
};

function kind(name: string, description: string, required: string[], properties: Record<string, Schema>) {
  return {
    type: 'object',
    title: name,
    description,
    required: ['kind', 'gatewayId', ...required],
    additionalProperties: false,
    properties: { kind: { type: 'string', const: name }, ...common, ...properties },
  } as const;
}

/** One schema per message kind, told apart by `kind`. */
const KINDS = [
  kind('heartbeat', 'The gateway is alive.', [], {}),
  kind('connection', "The gateway's connection changed (CONNECTED → ONLINE, DISCONNECTED → OFFLINE).", ['status'], {
    status: { type: 'string', enum: ['CONNECTED', 'DISCONNECTED'] },
  }),
  kind('fault', 'A fault of the appliance became active or cleared. INFO faults are not reported.', ['displayCode', 'causeCode', 'severity', 'active'], {
    displayCode: { type: 'string', minLength: 1, maxLength: 16, examples: ['A11'] },
    causeCode: { type: ['string', 'integer'], minLength: 1, maxLength: 16, examples: [3061] },
    severity: { type: 'string', enum: ['ERROR', 'WARNING', 'INFO'] },
    active: { type: 'boolean' },
  }),
  kind('datapoint', 'A measured or set value; 32767 and -32768 mean "not available".', ['key', 'value'], {
    key: { type: 'string', minLength: 1, maxLength: 200, examples: ['hvac.emon.compressor.powerCurrent'] },
    value: { type: ['number', 'string'], maxLength: 1000, examples: [1450] },
    unit: { type: 'string', maxLength: 32, examples: ['W'] },
  }),
];

/** The OpenAPI component name of each message kind's schema, e.g. `HeartbeatMessage`. */
const componentName = (k: (typeof KINDS)[number]) => `${k.title[0].toUpperCase()}${k.title.slice(1)}Message`.replace('Datapoint', 'DataPoint');

/**
 * The message kinds as named OpenAPI components (`components.schemas` of the app's document): a
 * discriminator can only select `$ref`ed schemas, and generated clients get a type per kind.
 */
export const messageComponents: Record<string, Record<string, unknown>> = Object.fromEntries(KINDS.map((k) => [componentName(k), k]));

/** A gateway message (JSON Schema, `kind` discriminator), as `checkIngestBody` checks it. */
const messageSchema = {
  type: 'object',
  required: ['kind'],
  discriminator: { propertyName: 'kind' },
  oneOf: KINDS,
};

/**
 * The same message as the OpenAPI document shows it: the kinds by `$ref` with a `mapping` (Ajv
 * reads neither, so the checker uses the inline form above; both are made from KINDS).
 */
const documentedMessageSchema = {
  type: 'object',
  required: ['kind'],
  discriminator: {
    propertyName: 'kind',
    mapping: Object.fromEntries(KINDS.map((k) => [k.title, `#/components/schemas/${componentName(k)}`])),
  },
  oneOf: KINDS.map((k) => ({ $ref: `#/components/schemas/${componentName(k)}` })),
};

/** The ingest request body as documented: one message or an array of up to 1000. */
export const ingestBodySchema = {
  anyOf: [documentedMessageSchema, { type: 'array', maxItems: MAX_BATCH, items: documentedMessageSchema }],
};

/** A message as it arrives, checked by `checkIngestBody`. */
export interface RawMessage {
  kind: 'heartbeat' | 'connection' | 'fault' | 'datapoint';
  gatewayId: string;
  messageId?: string;
  sentAt?: string;
  [field: string]: unknown;
}

const KIND_NAMES = KINDS.map((k) => k.properties.kind.const).join(', ');
const checkOne = compileBodySchema(messageSchema);
const checkMany = compileBodySchema({ type: 'array', items: messageSchema });

/**
 * Checks an ingest body against `ingestBodySchema` with Ajv (the API edge's strict JSON-body
 * instance: no type coercion, so a `value` of null stays an error instead of becoming 0) and
 * lists every problem as a JSON pointer with a plain message (`/body/3/value`: `must be number
 * or string`), one per field. A message of an unknown kind gets that one error, not one per field.
 */
export function checkIngestBody(body: unknown): FieldError[] {
  if (Array.isArray(body)) {
    if (body.length > MAX_BATCH) return [{ field: '/body', message: `must have at most ${MAX_BATCH} messages` }];
    return checkMany(body) ? [] : readErrors(checkMany.errors!, true);
  }
  if (typeof body !== 'object' || body === null) return [{ field: '/body', message: 'must be a message object or an array of messages' }];
  return checkOne(body) ? [] : readErrors(checkOne.errors!, false);
}

/** Ajv's errors in the words partners have always read (README "Ingest"). */
function readErrors(errors: readonly ErrorObject[], batch: boolean): FieldError[] {
  // The message a pointer is in: `/3` of `/3/value` in a batch, the root otherwise.
  const itemOf = (pointer: string) => (batch ? pointer.split('/', 2).join('/') : '');
  const badKind = new Set(errors.filter((e) => e.keyword === 'discriminator').map((e) => itemOf(e.instancePath)));
  const found: FieldError[] = [];
  const named = new Set<string>();
  for (const e of errors) {
    const item = itemOf(e.instancePath);
    if (badKind.has(item) && e.keyword !== 'discriminator') continue;
    // One problem per field, the first Ajv found (its type before its enum or length).
    if (e.instancePath !== item && named.has(e.instancePath)) continue;
    named.add(e.instancePath);
    const field = `/body${e.instancePath}`;
    const p = e.params as Record<string, unknown>;
    switch (e.keyword) {
      case 'discriminator':
        found.push({ field: `/body${item}/kind`, message: `must be one of ${KIND_NAMES}` });
        break;
      case 'required':
        found.push({ field: `${field}/${p.missingProperty}`, message: 'is required' });
        break;
      case 'additionalProperties':
        found.push({ field: `${field}/${p.additionalProperty}`, message: 'is not a known field' });
        break;
      case 'type':
        found.push({
          field,
          message: e.instancePath === item ? 'must be a message object' : `must be ${String(p.type).split(',').join(' or ')}`,
        });
        break;
      case 'enum':
        found.push({ field, message: `must be one of ${(p.allowedValues as unknown[]).join(', ')}` });
        break;
      case 'minLength':
        found.push({ field, message: `must have at least ${p.limit} characters` });
        break;
      case 'maxLength':
        found.push({ field, message: `must have at most ${p.limit} characters` });
        break;
      case 'pattern':
        found.push({ field, message: `must match ${p.pattern}` });
        break;
      case 'format':
        found.push({ field, message: TIMESTAMP_RULE });
        break;
      default:
        found.push({ field, message: e.message ?? e.keyword });
    }
  }
  return found;
}
