import type { FastifyInstance } from 'fastify';
import type { Runtime } from '../../runtime.js';
import { cursorPage, integerCursor } from '../cursorPages.js';
import { gatewayIdSchema, iso, problems } from '../schemas.js';

interface Row {
  id: number | string;
  received_at: number | string;
  topic: string;
  gateway_id: string | null;
  reason: string;
  errors: string;
  payload: string;
}

interface RejectedQuery {
  after?: string;
  gatewayId?: string;
  limit: number;
}

const REASONS = ['invalid-json', 'unknown-kind', 'invalid-message', 'gateway-mismatch', 'unknown-gateway'];

const rejectedSchema = {
  type: 'object',
  properties: {
    id: { type: 'string', description: 'opaque' },
    receivedAt: { type: 'string', format: 'date-time' },
    topic: { type: 'string', description: 'the MQTT topic it was published to' },
    gatewayId: { type: ['string', 'null'], description: 'the gateway of the topic, if the topic names one' },
    reason: { type: 'string', enum: REASONS },
    errors: {
      type: 'array',
      description: 'what was wrong, as JSON pointers into the payload (`/payload/0/kind`) or `/topic`',
      items: { type: 'object', properties: { field: { type: 'string' }, message: { type: 'string' } }, required: ['field', 'message'] },
    },
    payload: { type: 'string', description: 'the payload as text (its first 4096 characters; invalid UTF-8 shown as U+FFFD)' },
  },
  required: ['id', 'receivedAt', 'topic', 'gatewayId', 'reason', 'errors', 'payload'],
} as const;

const cursors = integerCursor('r');

/**
 * `GET /v1/admin/rejected-messages`: the MQTT messages Hearthook acknowledged without taking them
 * in (invalid JSON, unknown kind, an invalid field, a payload naming another gateway than its
 * topic, an unknown gateway), newest first, with the reason and the payload. Pages with
 * `after=<nextCursor>`.
 *
 * @example
 * curl -H 'Authorization: Bearer hha_…' "$H/v1/admin/rejected-messages?limit=50"
 * # → {"data":[{"id":"cjE","reason":"invalid-json","topic":"hearthook/gateways/101506113/messages",…}],"nextCursor":"cjE","hasMore":false}
 */
export function rejectedMessageRoutes(app: FastifyInstance, rt: Runtime): void {
  app.get<{ Querystring: RejectedQuery }>(
    '/rejected-messages',
    {
      schema: {
        operationId: 'listRejectedMessages',
        tags: ['Operator'],
        security: [{ adminToken: [] }],
        summary: 'MQTT messages acknowledged but not taken in, newest first',
        description:
          'Every MQTT message Hearthook acknowledged without taking it in, with the reason and its payload, so nothing disappears without a trace. Newest first; pass nextCursor as after for older ones.',
        querystring: {
          type: 'object',
          additionalProperties: false,
          properties: {
            after: { type: 'string', maxLength: 64, description: 'a nextCursor from an earlier page' },
            gatewayId: gatewayIdSchema,
            limit: { type: 'integer', minimum: 1, maximum: 1000, default: 100 },
          },
        },
        response: {
          200: {
            type: 'object',
            properties: {
              data: { type: 'array', items: rejectedSchema },
              nextCursor: { type: ['string', 'null'], description: 'pass as after for the next (older) page; null when this page is empty' },
              hasMore: { type: 'boolean' },
            },
            required: ['data', 'nextCursor', 'hasMore'],
          },
          ...problems(),
        },
      },
    },
    async (request) => {
      const { after, gatewayId, limit } = request.query;
      const before = cursors.read(after, Number.MAX_SAFE_INTEGER);
      const rows = await rt.store.all<Row>(
        `SELECT id, received_at, topic, gateway_id, reason, errors, payload FROM rejected_messages
          WHERE id < ? ${gatewayId === undefined ? '' : 'AND gateway_id = ?'}
          ORDER BY id DESC LIMIT ?`,
        gatewayId === undefined ? [before, limit + 1] : [before, gatewayId, limit + 1],
      );
      const id = (r: Row) => cursors.encode(Number(r.id));
      return cursorPage(
        rows,
        limit,
        id,
        (r) => ({
          id: id(r),
          receivedAt: iso(Number(r.received_at)),
          topic: r.topic,
          gatewayId: r.gateway_id,
          reason: r.reason,
          errors: JSON.parse(r.errors),
          payload: r.payload,
        }),
        null,
      );
    },
  );
}
