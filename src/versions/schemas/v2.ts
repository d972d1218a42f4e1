import { EVENT_TYPES, type EventType } from '../../domain/eventTypes.js';
import { EVENT_DATA, type JsonSchema, SCHEMA_DIALECT, TEST_FLAG } from './eventData.js';

/**
 * Major 2 (`renderV2`): the envelope. `id` de-duplicates (it is also `webhook-id`), `sequence`
 * orders and shows gaps per (webhook, gateway), `data` holds the type's fields.
 */
export function v2Schema(type: EventType): JsonSchema {
  const data = EVENT_DATA[type];
  return {
    $schema: SCHEMA_DIALECT,
    title: `${type} (API version 2)`,
    description: data.description,
    type: 'object',
    properties: {
      id: { type: 'string', description: 'unique per event; the same in every delivery and retry of it' },
      type: { const: type },
      timestamp: { type: 'string', format: 'date-time', description: 'when the backend decided to send it' },
      occurredAt: { type: ['string', 'null'], format: 'date-time', description: 'when the gateway said it happened, if it said' },
      gatewayId: { type: 'string', pattern: '^[0-9]+$' },
      sequence: { type: 'integer', minimum: 0, description: 'gap-free per webhook and gateway from 1: a jump means missed events; 0 on test events' },
      data: { type: 'object', properties: { ...data.properties, test: TEST_FLAG }, required: data.required },
    },
    required: ['id', 'type', 'timestamp', 'occurredAt', 'gatewayId', 'sequence', 'data'],
  };
}

/** Major 2's schema of every event type. */
export const V2_SCHEMAS = Object.fromEntries(EVENT_TYPES.map((t) => [t, v2Schema(t)])) as Record<EventType, JsonSchema>;
