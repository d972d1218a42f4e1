import type { FieldError } from '../api/httpError.js';
import { isTimestamp, TIMESTAMP_RULE } from '../util/timestamps.js';

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

/** A gateway message (JSON Schema, `kind` discriminator), as the OpenAPI document shows it. */
export const messageSchema = {
  type: 'object',
  required: ['kind'],
  discriminator: {
    propertyName: 'kind',
    mapping: Object.fromEntries(KINDS.map((k) => [k.title, `#/components/schemas/${componentName(k)}`])),
  },
  oneOf: KINDS.map((k) => ({ $ref: `#/components/schemas/${componentName(k)}` })),
};

/** The ingest request body: one message or an array of up to 1000. */
export const ingestBodySchema = {
  anyOf: [messageSchema, { type: 'array', maxItems: MAX_BATCH, items: messageSchema }],
};

/** A message as it arrives, checked by `checkIngestBody`. */
export interface RawMessage {
  kind: 'heartbeat' | 'connection' | 'fault' | 'datapoint';
  gatewayId: string;
  messageId?: string;
  sentAt?: string;
  [field: string]: unknown;
}

const BY_KIND = new Map<unknown, (typeof KINDS)[number]>(KINDS.map((k) => [k.properties.kind.const, k]));
const KIND_NAMES = KINDS.map((k) => k.properties.kind.const).join(', ');
const PATTERNS = new Map<string, RegExp>();

/**
 * Checks an ingest body against `ingestBodySchema` and lists every problem as a JSON pointer
 * (`/body/3/value`). Done here rather than by the app's Ajv because Ajv there coerces types:
 * it would turn a `value` of null into 0 and an `active` of null into false, silently changing
 * what a gateway said. This checker implements exactly the keywords the schema above uses.
 */
export function checkIngestBody(body: unknown): FieldError[] {
  const errors: FieldError[] = [];
  if (Array.isArray(body)) {
    if (body.length > MAX_BATCH) errors.push({ field: '/body', message: `must have at most ${MAX_BATCH} messages` });
    else for (let i = 0; i < body.length; i++) checkMessage(body[i], `/body/${i}`, errors);
  } else if (isObject(body)) {
    checkMessage(body, '/body', errors);
  } else {
    errors.push({ field: '/body', message: 'must be a message object or an array of messages' });
  }
  return errors;
}

function checkMessage(item: unknown, path: string, errors: FieldError[]): void {
  if (!isObject(item)) {
    errors.push({ field: path, message: 'must be a message object' });
    return;
  }
  const schema = BY_KIND.get(item.kind);
  if (!schema) {
    errors.push({ field: `${path}/kind`, message: `must be one of ${KIND_NAMES}` });
    return;
  }
  const properties = schema.properties as Record<string, Schema>;
  for (const field of schema.required) {
    if (!(field in item)) errors.push({ field: `${path}/${field}`, message: 'is required' });
  }
  for (const [field, value] of Object.entries(item)) {
    const property = properties[field];
    const problem = property ? checkValue(property, value) : 'is not a known field';
    if (problem) errors.push({ field: `${path}/${field}`, message: problem });
  }
}

function checkValue(schema: Schema, value: unknown): string | undefined {
  if (schema.type !== undefined) {
    const types = Array.isArray(schema.type) ? schema.type : [schema.type];
    if (!types.some((t) => hasType(t, value))) return `must be ${types.join(' or ')}`;
  }
  if ('const' in schema && value !== schema.const) return `must be ${JSON.stringify(schema.const)}`;
  if (schema.enum && !schema.enum.includes(value)) return `must be one of ${schema.enum.join(', ')}`;
  if (typeof value === 'string') {
    if (schema.minLength !== undefined && value.length < schema.minLength) return `must have at least ${schema.minLength} characters`;
    if (schema.maxLength !== undefined && value.length > schema.maxLength) return `must have at most ${schema.maxLength} characters`;
    if (schema.pattern !== undefined && !pattern(schema.pattern).test(value)) return `must match ${schema.pattern}`;
    if (schema.format === 'date-time' && !isTimestamp(value)) return TIMESTAMP_RULE;
  }
  return undefined;
}

function hasType(type: string, value: unknown): boolean {
  switch (type) {
    case 'string':
      return typeof value === 'string';
    case 'number':
      return typeof value === 'number' && Number.isFinite(value);
    case 'integer':
      return Number.isInteger(value);
    case 'boolean':
      return typeof value === 'boolean';
    default:
      return false;
  }
}

function pattern(source: string): RegExp {
  let regex = PATTERNS.get(source);
  if (!regex) {
    regex = new RegExp(source);
    PATTERNS.set(source, regex);
  }
  return regex;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
