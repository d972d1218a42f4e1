import type { FastifyInstance } from 'fastify';
import { type Consent, consentCovers } from '../../domain/eventTypes.js';
import { CONNECTIVITY_KEY } from '../../rules/connectivity.js';
import { dataPointKey } from '../../rules/dataPoints.js';
import { FAULTS_KEY, type OpenFault } from '../../rules/faults.js';
import type { Runtime } from '../../runtime.js';
import { pickLanguages } from '../../versions/renderEvent.js';
import { notFound } from '../httpError.js';
import { gatewayIdSchema, iso, problems } from '../schemas.js';

/** The data point whose last reported value is the appliance's operation status. */
export const OPERATION_STATUS_KEY = 'hvac.emon.compressor.operationStatus';

const DP_PREFIX = dataPointKey('');
const isoTime = { type: 'string', format: 'date-time' } as const;
const nullableIso = { type: ['string', 'null'], format: 'date-time' } as const;
const reportedValue = {
  type: 'object',
  properties: {
    key: { type: 'string' },
    value: { type: ['number', 'string'] },
    unit: { type: ['string', 'null'] },
    timestamp: { ...isoTime, description: 'when this value was reported (its DATA_POINT event)' },
  },
  required: ['key', 'value', 'unit', 'timestamp'],
} as const;

const statusSchema = {
  type: 'object',
  properties: {
    gatewayId: { type: 'string' },
    consent: { type: 'string', description: 'what the owner granted: it decides which fields are present' },
    connectivity: {
      type: ['object', 'null'],
      description: 'the last reported CONNECTIVITY_STATUS; null until the gateway has reported',
      properties: {
        status: { type: 'string', enum: ['ONLINE', 'OFFLINE'] },
        since: { ...isoTime, description: 'when this status was reported' },
        lastSeenAt: { ...nullableIso, description: 'when the gateway last sent anything' },
      },
    },
    faults: {
      type: 'array',
      description: 'faults reported ACTIVE and not yet resolved (transient ones never appear)',
      items: {
        type: 'object',
        properties: {
          displayCode: { type: 'string' },
          causeCode: { type: ['string', 'integer'] },
          severity: { type: 'string' },
          since: { ...isoTime, description: 'when Hearthook saw it become active' },
          occurredAt: { ...nullableIso, description: "the gateway's time of it, if it sent one" },
          descriptions: { type: 'object', additionalProperties: { type: 'string' }, description: "in the company's languages" },
        },
      },
    },
    operationStatus: { ...reportedValue, type: ['object', 'null'], description: 'MONITOR_AND_CONTROL only' },
    dataPoints: {
      type: 'array',
      items: reportedValue,
      description: 'MONITOR_AND_CONTROL only: the last reported value of each key (thresholds apply, as to the events)',
    },
  },
  required: ['gatewayId', 'consent', 'connectivity', 'faults'],
} as const;

interface AccessRow {
  consent: Consent;
  languages: string;
  last_seen_at: number | null;
}

interface StateRow {
  key: string;
  value: string;
  updated_at: number;
}

/**
 * `GET /v1/hvacs/{gatewayId}/status`: the latest state of a gateway the calling company has an
 * ACTIVE contract for, as the events told it (reported values, not raw readings): connectivity
 * and active faults for every consent; operation status and data points only with
 * MONITOR_AND_CONTROL, as for the events themselves. Without such a contract: 404.
 *
 * @example
 * curl -s $H/v1/hvacs/101506113/status -H "x-api-key: $KEY"
 * # → {"gatewayId":"101506113","consent":"ERROR_NOTIFICATIONS","connectivity":{"status":"ONLINE",…},"faults":[]}
 */
export function hvacStatusRoutes(app: FastifyInstance, rt: Runtime): void {
  app.get<{ Params: { gatewayId: string } }>(
    '/hvacs/:gatewayId/status',
    {
      schema: {
        tags: ['HVACs'],
        security: [{ partnerKey: [] }],
        operationId: 'getHvacStatus',
        description: 'The gateway\'s last reported connectivity and active faults, and with MONITOR_AND_CONTROL consent its operation status and last data points: what a receiver that applied every event knows. 404 without an ACTIVE contract.',
        summary: 'The latest connectivity, faults, operation status and data points of a contracted gateway',
        params: { type: 'object', properties: { gatewayId: gatewayIdSchema }, required: ['gatewayId'] },
        response: { 200: statusSchema, ...problems(404) },
      },
    },
    async (request) => {
      const { gatewayId } = request.params;
      const access = await rt.store.get<AccessRow>(
        `SELECT c.consent, co.languages, g.last_seen_at
           FROM contracts c JOIN companies co ON co.id = c.company_id JOIN gateways g ON g.id = c.gateway_id
          WHERE c.gateway_id = ? AND c.company_id = ? AND c.status = 'ACTIVE'`,
        [gatewayId, request.companyId],
      );
      // Another company's gateway, or one without an ACTIVE contract, does not exist for this caller.
      if (!access) throw notFound('gateway');
      const rows = await rt.store.all<StateRow>('SELECT key, value, updated_at FROM gateway_state WHERE gateway_id = ?', [
        gatewayId,
      ]);
      const state = new Map(rows.map((r) => [r.key, r]));
      const languages = JSON.parse(access.languages) as string[];

      // A state row is written only when its value changes, so its updated_at is when it was reported.
      const connectivity = state.get(CONNECTIVITY_KEY);
      const faults = Object.values(parse<Record<string, OpenFault>>(state.get(FAULTS_KEY)) ?? {})
        .filter((f) => f.reported)
        .sort((a, b) => a.since - b.since)
        .map((f) => ({
          displayCode: f.displayCode,
          causeCode: f.causeCode,
          severity: f.severity,
          since: iso(f.since),
          occurredAt: f.sentAt === undefined ? null : iso(f.sentAt),
          descriptions: pickLanguages(rt.rules.describeFault(f.displayCode, f.causeCode), languages),
        }));
      const status: Record<string, unknown> = {
        gatewayId,
        consent: access.consent,
        connectivity: connectivity
          ? {
              status: parse<{ status: string }>(connectivity)!.status,
              since: iso(connectivity.updated_at),
              lastSeenAt: iso(access.last_seen_at),
            }
          : null,
        faults,
      };
      if (consentCovers(access.consent, 'DATA_POINT')) {
        const dataPoints = rows
          .filter((r) => r.key.startsWith(DP_PREFIX))
          .map((r) => {
            const key = r.key.slice(DP_PREFIX.length);
            const { value } = JSON.parse(r.value) as { value: number | string };
            return { key, value, unit: rt.rules.ruleFor(key).unit ?? null, timestamp: iso(r.updated_at) };
          })
          .sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
        status.operationStatus = dataPoints.find((d) => d.key === OPERATION_STATUS_KEY) ?? null;
        status.dataPoints = dataPoints;
      }
      return status;
    },
  );
}

function parse<T>(row: StateRow | undefined): T | undefined {
  return row ? (JSON.parse(row.value) as T) : undefined;
}
