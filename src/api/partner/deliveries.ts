import type { FastifyInstance } from 'fastify';
import type { Runtime } from '../../runtime.js';
import { notFound } from '../httpError.js';
import { DELIVERY_STATUSES, deliverySchema, deliveryWithAttemptsSchema, iso, problems } from '../schemas.js';
import { type DeliveryRow, findOwnDelivery, listAttempts, listDeliveries } from './deliveryQueries.js';
import { findOwnWebhook } from './webhooks.js';

interface DeliveryQuery {
  status?: (typeof DELIVERY_STATUSES)[number];
  limit: number;
  before?: number;
}

/** A delivery row as the API shows it. */
export function deliveryJson(row: DeliveryRow) {
  return {
    id: row.id,
    eventId: row.event_id,
    webhookId: row.webhook_id,
    gatewayId: row.gateway_id,
    eventType: row.event_type,
    sequence: row.sequence,
    apiVersion: row.api_version,
    status: row.status,
    attempts: row.attempts,
    nextAttemptAt: iso(row.next_attempt_at),
    lastStatusCode: row.last_status_code,
    lastError: row.last_error,
    createdAt: iso(row.created_at),
    updatedAt: iso(row.updated_at),
  };
}

const security = [{ partnerKey: [] }];
const tags = ['Deliveries'];

/** `GET /v1/webhooks/{id}/deliveries` (newest first, paged by id) and `GET /v1/deliveries/{id}`. */
export function deliveryRoutes(app: FastifyInstance, rt: Runtime): void {
  app.get<{ Params: { id: string }; Querystring: DeliveryQuery }>(
    '/webhooks/:id/deliveries',
    {
      schema: {
        tags,
        security,
        operationId: 'listDeliveries',
        description: 'The webhook\'s deliveries, newest first, optionally of one status; each shows its attempts count, last status code and error. Page with `before`.',
        summary: "A webhook's deliveries, newest first; pass nextBefore as before for the next page",
        params: { type: 'object', properties: { id: { type: 'string' } }, required: ['id'] },
        querystring: {
          type: 'object',
          additionalProperties: false,
          properties: {
            status: { type: 'string', enum: [...DELIVERY_STATUSES] },
            limit: { type: 'integer', minimum: 1, maximum: 500, default: 100 },
            before: { type: 'integer', minimum: 1, description: 'only deliveries with a smaller id' },
          },
        },
        response: {
          200: {
            type: 'object',
            properties: {
              data: { type: 'array', items: deliverySchema },
              nextBefore: { type: ['integer', 'null'], description: 'null on the last page' },
            },
          },
          ...problems(404),
        },
      },
    },
    async (request) => {
      const webhook = await findOwnWebhook(rt.store, request.params.id, request.companyId);
      const { status, limit, before } = request.query;
      const rows = await listDeliveries(rt.store, { companyId: request.companyId, webhookId: webhook.id, status, before, limit });
      // A full page may have a next one; an empty next page is the price of not counting.
      const nextBefore = rows.length === limit ? rows[rows.length - 1].id : null;
      return { data: rows.map(deliveryJson), nextBefore };
    },
  );

  app.get<{ Params: { id: number } }>(
    '/deliveries/:id',
    {
      schema: {
        tags,
        security,
        operationId: 'getDelivery',
        description: 'One delivery with every HTTP attempt: time, status code, duration, the first KiB of the answer and the error.',
        summary: 'One delivery with its HTTP attempts, oldest first',
        params: { type: 'object', properties: { id: { type: 'integer', minimum: 1 } }, required: ['id'] },
        response: { 200: deliveryWithAttemptsSchema, ...problems(404) },
      },
    },
    async (request) => {
      // Owned through its webhook: another company's delivery id is not found.
      const row = await findOwnDelivery(rt.store, request.params.id, request.companyId);
      if (!row) throw notFound('delivery');
      const attempts = await listAttempts(rt.store, row.id);
      return {
        ...deliveryJson(row),
        attemptCount: row.attempts,
        attempts: attempts.map((a) => ({
          attemptedAt: iso(a.attempted_at),
          statusCode: a.status_code,
          durationMs: a.duration_ms,
          responseBody: a.response_body,
          error: a.error,
        })),
      };
    },
  );
}
