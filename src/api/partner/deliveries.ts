import type { FastifyInstance } from 'fastify';
import type { Runtime } from '../../runtime.js';
import type { Db } from '../../store/db.js';
import { type DeliveryIds, deliveryIdSchema, deliveryIds } from '../deliveryIds.js';
import { badRequest, notFound } from '../httpError.js';
import { DELIVERY_STATUSES, deliverySchema, iso, problems } from '../schemas.js';
import { type AttemptRow, type DeliveryRow, findOwnDelivery, listAttemptsOf, listDeliveries } from './deliveryQueries.js';
import { findOwnWebhook } from './webhooks.js';

interface DeliveryQuery {
  status?: (typeof DELIVERY_STATUSES)[number];
  limit: number;
  /** A nextCursor: the page after it (older deliveries), as every list of the API pages. */
  after?: string;
  /** Deprecated name of `after`, still honoured: partners page with it. */
  before?: string;
}

/**
 * A delivery as the API shows it everywhere (list, one delivery, retry's answer): its id public
 * (`dlv_…`), its attempt count and its HTTP attempts, oldest first.
 */
export function deliveryJson(row: DeliveryRow, ids: DeliveryIds, attempts: readonly AttemptRow[]) {
  return {
    id: ids.encode(row.id),
    eventId: row.event_id,
    webhookId: row.webhook_id,
    gatewayId: row.gateway_id,
    eventType: row.event_type,
    sequence: row.sequence,
    apiVersion: row.api_version,
    status: row.status,
    waitingFor: row.waiting_for === null || row.waiting_for === undefined ? null : ids.encode(Number(row.waiting_for)),
    attemptCount: row.attempts,
    attempts: attempts.map(attemptJson),
    nextAttemptAt: iso(row.next_attempt_at),
    lastStatusCode: row.last_status_code,
    lastError: row.last_error,
    createdAt: iso(row.created_at),
    updatedAt: iso(row.updated_at),
  };
}

function attemptJson(a: AttemptRow) {
  return {
    attemptedAt: iso(a.attempted_at),
    statusCode: a.status_code,
    durationMs: a.duration_ms,
    responseBody: a.response_body,
    error: a.error,
    url: a.url,
    apiKeyHeader: a.api_key_header,
  };
}

/** The deliveries as the API shows them, with their attempts (one query for all of them). */
export async function deliveriesJson(db: Db, rows: readonly DeliveryRow[], ids: DeliveryIds) {
  const attempts = await listAttemptsOf(db, rows.map((row) => row.id));
  return rows.map((row) => deliveryJson(row, ids, attempts.get(row.id) ?? []));
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
        description:
          "The webhook's deliveries, newest first, optionally of one status; each shows its attempt count and HTTP attempts, last status code and error. Page as every list does: `after` = the previous page's `nextCursor` (`before`/`nextBefore` are the same, deprecated names).",
        summary: "A webhook's deliveries, newest first; pass nextCursor as after for the next page",
        params: { type: 'object', properties: { id: { type: 'string' } }, required: ['id'] },
        querystring: {
          type: 'object',
          additionalProperties: false,
          properties: {
            status: { type: 'string', enum: [...DELIVERY_STATUSES] },
            limit: { type: 'integer', minimum: 1, maximum: 500, default: 100 },
            after: { ...deliveryIdSchema, description: 'the nextCursor of the previous page: the deliveries older than its last one' },
            before: { ...deliveryIdSchema, deprecated: true, description: 'deprecated: the same as after (the nextBefore of the previous page)' },
          },
        },
        response: {
          200: {
            type: 'object',
            properties: {
              data: { type: 'array', items: deliverySchema },
              nextCursor: { type: ['string', 'null'], description: 'pass as after for the next page; null on the last page' },
              nextBefore: { type: ['string', 'null'], deprecated: true, description: 'deprecated: the same as nextCursor' },
            },
            required: ['data', 'nextCursor'],
          },
          ...problems(404),
        },
      },
    },
    async (request) => {
      const webhook = await findOwnWebhook(rt.store, request.params.id, request.companyId);
      const { status, limit, after, before: alias } = request.query;
      if (after !== undefined && alias !== undefined && after !== alias) {
        throw badRequest('/querystring/before', 'is the deprecated name of after: give one of them');
      }
      const [field, text] = after !== undefined ? ['/querystring/after', after] : ['/querystring/before', alias];
      const ids = await deliveryIds(rt.store);
      const before = text === undefined ? undefined : ids.decode(text);
      if (text !== undefined && before === undefined) throw badRequest(field, 'is not a delivery id of this Hearthook');
      const rows = await listDeliveries(rt.store, { companyId: request.companyId, webhookId: webhook.id, status, before, limit });
      // A full page may have a next one; an empty next page is the price of not counting.
      const nextCursor = rows.length === limit ? ids.encode(rows[rows.length - 1].id) : null;
      return { data: await deliveriesJson(rt.store, rows, ids), nextCursor, nextBefore: nextCursor };
    },
  );

  app.get<{ Params: { id: string } }>(
    '/deliveries/:id',
    {
      schema: {
        tags,
        security,
        operationId: 'getDelivery',
        description: 'One delivery with every HTTP attempt: time, status code, duration, the first KiB of the answer and the error.',
        summary: 'One delivery with its HTTP attempts, oldest first',
        params: { type: 'object', properties: { id: deliveryIdSchema }, required: ['id'] },
        response: { 200: deliverySchema, ...problems(404) },
      },
    },
    async (request) => {
      // Owned through its webhook: another company's delivery id is not found.
      const ids = await deliveryIds(rt.store);
      const id = ids.decode(request.params.id);
      const row = id === undefined ? undefined : await findOwnDelivery(rt.store, id, request.companyId);
      if (!row) throw notFound('delivery');
      const [json] = await deliveriesJson(rt.store, [row], ids);
      return json;
    },
  );
}
