import type { EventType } from '../../domain/eventTypes.js';
import type { JsonSchema } from './eventData.js';
import { V1_SCHEMAS } from './v1.js';
import { V2_SCHEMAS } from './v2.js';

export { type JsonSchema, SCHEMA_DIALECT } from './eventData.js';

/** Per major, the JSON Schema of each event type's body. A major needs an entry here and a renderer. */
const SCHEMAS: Record<number, Record<EventType, JsonSchema>> = { 1: V1_SCHEMAS, 2: V2_SCHEMAS };

/**
 * The published schemas of a major's event bodies (undefined for a major Hearthook cannot render),
 * as served at `GET /v1/versions/{major}/schemas` and in the OpenAPI document's `webhooks`.
 *
 * @example
 * new Ajv2020().compile(eventSchemas(2)!.DATA_POINT)(JSON.parse(body)) // true
 */
export function eventSchemas(major: number): Record<EventType, JsonSchema> | undefined {
  return SCHEMAS[major];
}
