/**
 * JSON Schemas of each event type's own fields, as the rules store them (`events.data`) and both
 * majors render them: at the top level in major 1, under `data` in major 2.
 *
 * No `additionalProperties: false`: receivers must ignore fields they do not know, because a
 * minor version may add some (DOMAIN.md, "Partner API facts"). The tests check the other way
 * round, that every field Hearthook renders is documented here.
 */
import { CONTRACT_STATUSES } from '../../domain/contracts.js';
import type { EventType } from '../../domain/eventTypes.js';

/** A JSON Schema object. */
export type JsonSchema = Record<string, unknown>;

/** The dialect of every published event schema: draft 2020-12, the one OpenAPI 3.1 uses. */
export const SCHEMA_DIALECT = 'https://json-schema.org/draft/2020-12/schema';

const contractStatus = { type: 'string', enum: [...CONTRACT_STATUSES] };

/** On test events only (`POST /v1/webhooks/{id}/test`): next to the type's fields. */
export const TEST_FLAG = { const: true, description: 'present only on test events, which come from gateway 000000000 with sequence 0' };

/** Per event type: its fields' properties and which of them are always present. */
export const EVENT_DATA: Record<EventType, { description: string; properties: Record<string, JsonSchema>; required: string[] }> = {
  CONNECTIVITY_STATUS: {
    description: 'The gateway went ONLINE or OFFLINE; sent only when it differs from the last status reported.',
    properties: { connectivityStatus: { type: 'string', enum: ['ONLINE', 'OFFLINE'] } },
    required: ['connectivityStatus'],
  },
  APPLIANCE_STATUS: {
    description: 'A fault (error or warning) became active, or was resolved. Transient faults are not sent.',
    properties: {
      status: { type: 'string', enum: ['ACTIVE', 'RESOLVED'] },
      severity: { type: 'string', enum: ['ERROR', 'WARNING', 'INFO'] },
      displayCode: { type: 'string', description: 'as the appliance shows it, e.g. A11' },
      causeCode: { type: ['string', 'integer'], description: 'e.g. 3061' },
      descriptions: {
        type: 'object',
        description: "The fault's description by language tag, in the company's languages (English when none is available).",
        additionalProperties: { type: 'string' },
      },
    },
    required: ['status', 'severity', 'displayCode', 'causeCode', 'descriptions'],
  },
  CONTRACT_STATUS: {
    description: "The company's contract for the gateway changed status.",
    properties: {
      previousStatus: { type: ['string', 'null'], enum: [...CONTRACT_STATUSES, null], description: 'null for a new contract' },
      status: contractStatus,
      companyId: { type: 'string' },
    },
    required: ['previousStatus', 'status', 'companyId'],
  },
  DATA_POINT: {
    description: 'A new value of a data point key: past its threshold, or changed (by the key\'s rule).',
    properties: {
      key: { type: 'string', description: 'e.g. hvac.emon.compressor.powerCurrent' },
      value: { type: ['number', 'string'] },
      unit: { type: ['string', 'null'], description: 'e.g. W, kWh, °C; null when the key has none' },
    },
    required: ['key', 'value', 'unit'],
  },
  DAILY_AGGREGATE: {
    description: 'Totals of one gateway-local day, sent once after the day ended.',
    properties: {
      date: { type: 'string', pattern: '^\\d{4}-\\d{2}-\\d{2}$', description: 'the local date, YYYY-MM-DD' },
      energyConsumption: {
        type: 'object',
        properties: { value: { type: 'number', minimum: 0 }, unit: { const: 'kWh' } },
        required: ['value', 'unit'],
      },
      numberOfStarts: {
        type: 'object',
        description: 'Compressor starts per domain (heating, domesticHotWater, cooling, pool) that reported any.',
        additionalProperties: { type: 'integer', minimum: 0 },
      },
      sampleCount: { type: 'integer', minimum: 0, description: 'data point samples the day gathered' },
    },
    required: ['date', 'energyConsumption', 'numberOfStarts', 'sampleCount'],
  },
};
