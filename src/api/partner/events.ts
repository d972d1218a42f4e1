import type { FastifyInstance } from 'fastify';
import type { EventType } from '../../domain/eventTypes.js';
import type { EventRow } from '../../fanout/fanOut.js';
import { capReached } from '../../limits/caps.js';
import type { Runtime } from '../../runtime.js';
import type { Db } from '../../store/db.js';
import { renderV2 } from '../../versions/renderEvent.js';
import { badRequest } from '../httpError.js';
import { eventTypeSchema, gatewayIdSchema, problems } from '../schemas.js';

/** A position in one company's stream of events: after the recipient row (tx_order, id). */
export interface Cursor {
  txOrder: number;
  id: number;
}

interface EventQuery {
  after?: string;
  gatewayId?: string;
  type?: EventType;
  limit?: number;
}

/** An event with its place in the company's catch-up order (its `event_recipients` row). */
type Row = EventRow & { recipient_id: number; tx_order: number };

/**
 * How long a catch-up read waits for transactions older than the newest committed event of the
 * company to finish (PostgreSQL only; see migrations/postgres/007): ingest transactions take
 * milliseconds, so this is a bound, not a delay anyone should see. Wall-clock time on purpose:
 * it bounds a real wait, whatever clock the runtime was given.
 */
const SETTLE_TIMEOUT_MS = 2000;
const SETTLE_POLL_MS = 10;

const envelopeSchema = {
  type: 'object',
  properties: {
    id: { type: 'string', description: 'the event id, as in webhook-id' },
    type: eventTypeSchema,
    timestamp: { type: 'string', format: 'date-time', description: "the backend's time of the event" },
    occurredAt: { type: ['string', 'null'], format: 'date-time', description: "the gateway's time, if it sent one" },
    gatewayId: { type: 'string' },
    data: { type: 'object', additionalProperties: true, description: 'type-specific, as in API major 2' },
  },
  required: ['id', 'type', 'timestamp', 'occurredAt', 'gatewayId', 'data'],
} as const;

/** The cursor as the API shows it: opaque, so its layout can change without breaking anyone. */
export function encodeCursor(cursor: Cursor): string {
  return Buffer.from(`${cursor.txOrder}.${cursor.id}`).toString('base64url');
}

/** A cursor from the API, or undefined when it is not one of ours. */
export function decodeCursor(text: string): Cursor | undefined {
  const match = /^(\d{1,15})\.(\d{1,15})$/.exec(Buffer.from(text, 'base64url').toString());
  if (!match || encodeCursor({ txOrder: Number(match[1]), id: Number(match[2]) }) !== text) return undefined;
  return { txOrder: Number(match[1]), id: Number(match[2]) };
}

/**
 * `GET /v1/events`: the events the calling company was entitled to when they happened (its own
 * fan-out, whether or not a webhook took them), oldest first, in the API major 2 envelope without
 * `sequence` (a sequence belongs to a webhook's deliveries). Pages with `after=<nextCursor>`:
 * stable, without gaps or repeats, on every engine. Kept for `HEARTHOOK_RETENTION`.
 *
 * @example
 * curl -s "$H/v1/events?limit=2" -H "x-api-key: $KEY"
 * # → {"data":[{"id":"evt_…","type":"CONNECTIVITY_STATUS",…}, …],"nextCursor":"MC4y","hasMore":true}
 * curl -s "$H/v1/events?after=MC4y&type=DATA_POINT&gatewayId=101506113" -H "x-api-key: $KEY"
 */
export function eventRoutes(app: FastifyInstance, rt: Runtime): void {
  app.get<{ Querystring: EventQuery }>(
    '/events',
    {
      schema: {
        tags: ['Events'],
        security: [{ partnerKey: [] }],
        operationId: 'listEvents',
        description: 'Every event the caller was entitled to when it happened (ACTIVE contracts and consent), whether or not a webhook took it, oldest first, in the major 2 envelope without `sequence`. Pages never skip or repeat an event; keep `nextCursor` and ask again later for new ones.',
        summary: 'Catch up: the events the caller was entitled to, oldest first; pass nextCursor as after for more',
        querystring: {
          type: 'object',
          additionalProperties: false,
          properties: {
            after: { type: 'string', maxLength: 64, description: 'a nextCursor from an earlier page; omit to start at the oldest kept event' },
            gatewayId: gatewayIdSchema,
            type: eventTypeSchema,
            limit: {
              type: 'integer',
              minimum: 1,
              maximum: 1000,
              description: 'events per page: 100 (or HEARTHOOK_MAX_PAGE_SIZE when smaller) unless given; above HEARTHOOK_MAX_PAGE_SIZE is a 409',
            },
          },
        },
        response: {
          200: {
            type: 'object',
            properties: {
              data: { type: 'array', items: envelopeSchema },
              nextCursor: {
                type: ['string', 'null'],
                description: 'where the next page starts (also when this one is empty: poll with it later); null only before the first event',
              },
              hasMore: { type: 'boolean', description: 'more events follow right away' },
            },
            required: ['data', 'nextCursor', 'hasMore'],
          },
          ...problems(409),
        },
      },
    },
    async (request) => {
      const { after, gatewayId, type } = request.query;
      const cap = rt.config.maxPageSize;
      const limit = request.query.limit ?? Math.min(100, cap);
      if (limit > cap) throw capReached('catch-up page size', 'HEARTHOOK_MAX_PAGE_SIZE', cap, '/querystring/limit');
      const cursor = after === undefined ? START : decodeCursor(after);
      if (!cursor) throw badRequest('/querystring/after', 'is not a cursor this API gave out (use nextCursor of a page)');
      const page = await readEvents(rt, request.companyId, cursor, { gatewayId, type }, limit);
      return {
        data: page.events.map((e) => e.event),
        nextCursor: page.events.at(-1)?.cursor ?? after ?? null,
        hasMore: page.hasMore,
      };
    },
  );
}

/** Before the first event. */
export const START: Cursor = { txOrder: -1, id: 0 };

/**
 * The cursor just past the company's newest settled event: what "from now on" starts after.
 * With no event yet it is (0, 0), which is START in a form the API can give out (tx_order is
 * never negative and row ids start at 1).
 */
export async function latestCursor(rt: Runtime, companyId: string): Promise<Cursor> {
  const horizon = await settledHorizon(rt.store, companyId);
  const row = await rt.store.get<{ tx_order: number; id: number }>(
    `SELECT tx_order, id FROM event_recipients WHERE company_id = ? AND tx_order < ?
      ORDER BY tx_order DESC, id DESC LIMIT 1`,
    [companyId, horizon],
  );
  return row ? { txOrder: Number(row.tx_order), id: Number(row.id) } : { txOrder: 0, id: 0 };
}

/** One page of a company's events after `cursor`, each with the cursor just past it. */
export async function readEvents(
  rt: Runtime,
  companyId: string,
  cursor: Cursor,
  filters: { gatewayId?: string; type?: EventType },
  limit: number,
): Promise<{ events: Array<{ cursor: string; event: Record<string, unknown> }>; hasMore: boolean }> {
  const horizon = await settledHorizon(rt.store, companyId);
  const where: string[] = [];
  const args: unknown[] = [companyId, cursor.txOrder, cursor.id, companyId, cursor.txOrder, horizon];
  if (filters.gatewayId !== undefined) {
    where.push('e.gateway_id = ?');
    args.push(filters.gatewayId);
  }
  if (filters.type !== undefined) {
    where.push('e.type = ?');
    args.push(filters.type);
  }
  // "After (tx_order, id)" as two index ranges merged in order: the rest of the cursor's
  // transaction (committed whole: it was below the horizon when the cursor was given out),
  // then later transactions below the horizon. A row-value comparison says the
  // same, but SQLite then scans the company's rows from the start (30 ms at 200k rows, 0.3
  // ms like this). One row more than asked for tells whether another page follows.
  const rows = await rt.store.all<Row>(
    `SELECT r.recipient_id, r.tx_order, e.id, e.type, e.gateway_id, e.data, e.occurred_at, e.created_at
       FROM (SELECT id AS recipient_id, tx_order, event_id FROM event_recipients
              WHERE company_id = ? AND tx_order = ? AND id > ?
             UNION ALL
             SELECT id AS recipient_id, tx_order, event_id FROM event_recipients
              WHERE company_id = ? AND tx_order > ? AND tx_order < ?) r
       JOIN events e ON e.id = r.event_id
      ${where.length ? `WHERE ${where.join(' AND ')}` : ''}
      ORDER BY r.tx_order, r.recipient_id
      LIMIT ?`,
    [...args, limit + 1],
  );
  const page = rows.slice(0, limit);
  const languages = page.length > 0 ? await companyLanguages(rt.store, companyId) : [];
  return {
    events: page.map((row) => ({ cursor: encodeCursor({ txOrder: row.tx_order, id: row.recipient_id }), event: envelope(row, languages) })),
    hasMore: rows.length > limit,
  };
}

/**
 * The event in the major 2 envelope, rendered by the same renderer deliveries use (so fault
 * descriptions come in the company's languages), minus `sequence`.
 */
function envelope(row: Row, languages: readonly string[]): Record<string, unknown> {
  const rendered = renderV2(
    { id: row.id, type: row.type, gatewayId: row.gateway_id, dataJson: row.data, occurredAt: row.occurred_at, createdAt: row.created_at },
    { sequence: 0, languages },
  );
  const { sequence: _sequence, ...rest } = JSON.parse(rendered) as Record<string, unknown>;
  return rest;
}

async function companyLanguages(db: Db, companyId: string): Promise<string[]> {
  const row = await db.get<{ languages: string }>('SELECT languages FROM companies WHERE id = ?', [companyId]);
  return row ? (JSON.parse(row.languages) as string[]) : [];
}

/**
 * The horizon below which the company's rows are settled, once every row committed before this
 * read is below it: a partner that just saw its gateway's ingest answered 202 finds the event.
 * On SQLite the horizon is above every row at once; on PostgreSQL it passes a row as soon as
 * the transactions that began before that row's have finished.
 */
async function settledHorizon(db: Db, companyId: string): Promise<number> {
  const newest = await db.get<{ tx_order: number | null }>(
    'SELECT MAX(tx_order) AS tx_order FROM event_recipients WHERE company_id = ?',
    [companyId],
  );
  const deadline = Date.now() + SETTLE_TIMEOUT_MS;
  for (;;) {
    const horizon = (await db.get<{ tx_order: number }>('SELECT tx_order FROM catch_up_horizon'))!.tx_order;
    if (newest?.tx_order == null || newest.tx_order < horizon || Date.now() >= deadline) return horizon;
    await new Promise((resolve) => setTimeout(resolve, SETTLE_POLL_MS));
  }
}
