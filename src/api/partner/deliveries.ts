import type { FastifyInstance } from 'fastify';
import type { Runtime } from '../../runtime.js';
import { type DeliveryIds, deliveryIdSchema, deliveryIds } from '../deliveryIds.js';
import { badRequest, notFound } from '../httpError.js';
import { DELIVERY_STATUSES, deliverySchema, deliveryWithAttemptsSchema, iso, problems } from '../schemas.js';
import { findOwnWebhook } from './webhooks.js';

interface DeliveryRow {
  id: number;
  event_id: string;
  webhook_id: string;
  gateway_id: string;
  event_type: string;
  sequence: number;
  api_version: number | null;
  status: string;
  attempts: number;
  next_attempt_at: number | null;
  last_status_code: number | null;
  last_error: string | null;
  created_at: number;
  updated_at: number;
}

interface AttemptRow {
  attempted_at: number;
  status_code: number | null;
  duration_ms: number;
  response_body: string | null;
  error: string | null;
}

interface DeliveryQuery {
  status?: (typeof DELIVERY_STATUSES)[number];
  limit: number;
  before?: string;
}

const SELECT_DELIVERY = `SELECT d.id, d.event_id, d.webhook_id, d.gateway_id, e.type AS event_type, d.sequence, d.api_version, d.status,
       d.attempts, d.next_attempt_at, d.last_status_code, d.last_error, d.created_at, d.updated_at
  FROM deliveries d JOIN events e ON e.id = d.event_id`;

/** A delivery row as the API shows it: its id public (`dlv_…`). */
export function deliveryJson(row: DeliveryRow, ids: DeliveryIds) {
  return {
    id: ids.encode(row.id),
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
        summary: "A webhook's deliveries, newest first; pass nextBefore as before for the next page",
        params: { type: 'object', properties: { id: { type: 'string' } }, required: ['id'] },
        querystring: {
          type: 'object',
          additionalProperties: false,
          properties: {
            status: { type: 'string', enum: [...DELIVERY_STATUSES] },
            limit: { type: 'integer', minimum: 1, maximum: 500, default: 100 },
            before: { ...deliveryIdSchema, description: 'only deliveries older than this one (the nextBefore of the previous page)' },
          },
        },
        response: {
          200: {
            type: 'object',
            properties: {
              data: { type: 'array', items: deliverySchema },
              nextBefore: { type: ['string', 'null'], description: 'a delivery id to pass as before; null on the last page' },
            },
          },
          ...problems(404),
        },
      },
    },
    async (request) => {
      const webhook = await findOwnWebhook(rt.store, request.params.id, request.companyId);
      const { status, limit, before } = request.query;
      const ids = await deliveryIds(rt.store);
      const where = ['d.webhook_id = ?'];
      const args: unknown[] = [webhook.id];
      if (status) {
        where.push('d.status = ?');
        args.push(status);
      }
      if (before !== undefined) {
        const beforeId = ids.decode(before);
        if (beforeId === undefined) throw badRequest('/querystring/before', 'is not a delivery id of this Hearthook');
        where.push('d.id < ?');
        args.push(beforeId);
      }
      const rows = await rt.store.all<DeliveryRow>(`${SELECT_DELIVERY} WHERE ${where.join(' AND ')} ORDER BY d.id DESC LIMIT ?`, [
        ...args,
        limit,
      ]);
      // A full page may have a next one; an empty next page is the price of not counting.
      const nextBefore = rows.length === limit ? ids.encode(rows[rows.length - 1].id) : null;
      return { data: rows.map((row) => deliveryJson(row, ids)), nextBefore };
    },
  );

  app.get<{ Params: { id: string } }>(
    '/deliveries/:id',
    {
      schema: {
        tags,
        security,
        summary: 'One delivery with its HTTP attempts, oldest first',
        params: { type: 'object', properties: { id: deliveryIdSchema }, required: ['id'] },
        response: { 200: deliveryWithAttemptsSchema, ...problems(404) },
      },
    },
    async (request) => {
      // Owned through its webhook: another company's delivery id is not found.
      const ids = await deliveryIds(rt.store);
      const id = ids.decode(request.params.id);
      const row =
        id === undefined
          ? undefined
          : await rt.store.get<DeliveryRow>(`${SELECT_DELIVERY} JOIN webhooks w ON w.id = d.webhook_id WHERE d.id = ? AND w.company_id = ?`, [
              id,
              request.companyId,
            ]);
      if (!row) throw notFound('delivery');
      const attempts = await rt.store.all<AttemptRow>(
        'SELECT attempted_at, status_code, duration_ms, response_body, error FROM delivery_attempts WHERE delivery_id = ? ORDER BY attempted_at, id',
        [row.id],
      );
      return {
        ...deliveryJson(row, ids),
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
