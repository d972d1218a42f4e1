import { EVENT_TYPES, type EventType } from '../../domain/eventTypes.js';
import { EVENT_DATA, type JsonSchema, SCHEMA_DIALECT, TEST_FLAG } from './eventData.js';

/**
 * Major 1 (`renderV1`): the flat shape partners of the manufacturer parse today, the type's
 * fields next to `eventType`, `gatewayId` and `timestamp`.
 */
export function v1Schema(type: EventType): JsonSchema {
  const data = EVENT_DATA[type];
  return {
    $schema: SCHEMA_DIALECT,
    title: `${type} (API version 1)`,
    description: data.description,
    type: 'object',
    properties: {
      eventType: { const: type },
      gatewayId: { type: 'string', pattern: '^[0-9]+$' },
      timestamp: { type: 'string', format: 'date-time', description: 'when the backend decided to send it (not when it happened)' },
      ...data.properties,
      test: TEST_FLAG,
    },
    required: ['eventType', 'gatewayId', 'timestamp', ...data.required],
  };
}

/** Major 1's schema of every event type. */
export const V1_SCHEMAS = Object.fromEntries(EVENT_TYPES.map((t) => [t, v1Schema(t)])) as Record<EventType, JsonSchema>;
