import type { FastifyInstance } from 'fastify';
import type { EventType } from '../../domain/eventTypes.js';
import type { Runtime } from '../../runtime.js';
import { EventStreams, sseMessage } from '../eventStreams.js';
import { badRequest, HttpError } from '../httpError.js';
import { eventTypeSchema, gatewayIdSchema, problems } from '../schemas.js';
import { type Cursor, decodeCursor, encodeCursor, latestCursor, readEvents, START } from './events.js';

/**
 * A comment line this often keeps proxies and load balancers from closing an idle stream. Timed
 * by the runtime's clock (the system's in production), so a test can move it.
 */
export const KEEP_ALIVE_MS = 15_000;
/** How often a stream reads the catch-up query when no work notification wakes it sooner. */
const POLL_MS = 1_000;
/** Open streams per process at most: each reads the database about once a second. */
const MAX_STREAMS = 1_000;
const PAGE = 200;

interface StreamQuery {
  after?: string;
  gatewayId?: string;
  type?: EventType;
}

/**
 * `GET /v1/events/stream`: the catch-up API as Server-Sent Events. Each event is one SSE message
 * whose `id:` is the catch-up cursor just past it, so a client that reconnects with
 * `Last-Event-ID` (browsers' EventSource does it by itself) or `?after=` resumes exactly there:
 * nothing skipped, nothing repeated. `?after=now` starts past the newest event (`hearthook
 * listen` does): the stream's first message is then an `id:` alone, so a client that drops
 * before any event resumes from there rather than from a later "now". The same entitlement as `GET /v1/events`, on any node: the
 * stream reads the database, woken early by the store's work notifications (LISTEN/NOTIFY on
 * PostgreSQL) and at the latest every second.
 *
 * @example
 * curl -N "$H/v1/events/stream" -H "x-api-key: $KEY"
 * # id: MTIuMzQ
 * # event: DATA_POINT
 * # data: {"id":"evt_…","type":"DATA_POINT",…}
 */
export function eventStreamRoutes(app: FastifyInstance, rt: Runtime): void {
  const streams = new EventStreams(
    MAX_STREAMS,
    () => new HttpError(503, 'too many event streams are open on this node; retry later', undefined, { 'retry-after': '5' }),
  );
  app.addHook('onClose', async () => streams.closeAll());

  app.get<{ Querystring: StreamQuery }>(
    '/events/stream',
    {
      schema: {
        tags: ['Events'],
        security: [{ partnerKey: [] }],
        operationId: 'streamEvents',
        summary: 'The events the caller is entitled to, live, as Server-Sent Events; resumes from Last-Event-ID',
        description:
          'Sends every event GET /v1/events would list, oldest first, then each new one as it is committed, as `text/event-stream`: `id:` is the catch-up cursor past the event, `event:` its type, `data:` the envelope. Reconnect with the `Last-Event-ID` header (or `after`) to resume exactly where the stream stopped. A comment line every 15 s keeps idle connections open.',
        querystring: {
          type: 'object',
          additionalProperties: false,
          properties: {
            after: {
              type: 'string',
              maxLength: 64,
              description:
                'a cursor (an `id:` of this stream, or nextCursor of GET /v1/events); `now` for only the events committed from now on (the first message is then an `id:` alone to resume from); omit to start at the oldest kept event',
            },
            gatewayId: gatewayIdSchema,
            type: eventTypeSchema,
          },
        },
        headers: {
          type: 'object',
          properties: { 'last-event-id': { type: 'string', maxLength: 64, description: 'the `id:` of the last event received; wins over `after`' } },
        },
        response: {
          200: { description: 'an endless `text/event-stream`', content: { 'text/event-stream': { schema: { type: 'string' } } } },
          ...problems(),
          503: problems(503)[503],
        },
      },
    },
    async (request, reply) => {
      const lastEventId = request.headers['last-event-id'];
      const [field, text] = typeof lastEventId === 'string' ? ['/headers/last-event-id', lastEventId] : ['/querystring/after', request.query.after];
      const companyId = request.companyId;
      const fromNow = text === 'now';
      let cursor: Cursor | undefined = text === undefined ? START : fromNow ? await latestCursor(rt, companyId) : decodeCursor(text);
      if (!cursor) throw badRequest(field, 'is not a cursor this API gave out');
      const { gatewayId, type } = request.query;

      // An `id:` without data moves the client's Last-Event-ID without dispatching an event.
      const stream = streams.start(request, reply, fromNow ? `retry: 2000\n${sseMessage({ id: encodeCursor(cursor) })}` : 'retry: 2000\n\n');
      let wake: (() => void) | undefined;
      const unsubscribe = rt.store.onWork(() => wake?.());
      stream.onEnd(() => {
        unsubscribe();
        wake?.();
      });

      let lastWrite = rt.clock.now();
      try {
        while (!stream.ended) {
          const page = await readEvents(rt, companyId, cursor, { gatewayId, type }, PAGE);
          if (stream.ended) break;
          if (page.events.length > 0) {
            stream.write(page.events.map(({ cursor: id, event }) => sseMessage({ id, event: event.type as string, data: event })).join(''));
            cursor = decodeCursor(page.events.at(-1)!.cursor)!;
            lastWrite = rt.clock.now();
          } else if (rt.clock.now() - lastWrite >= KEEP_ALIVE_MS) {
            stream.write(': keep-alive\n\n');
            lastWrite = rt.clock.now();
          }
          if (page.hasMore) continue;
          await new Promise<void>((resolve) => {
            const timer = setTimeout(done, Math.min(POLL_MS, KEEP_ALIVE_MS - (rt.clock.now() - lastWrite)));
            function done() {
              clearTimeout(timer);
              wake = undefined;
              resolve();
            }
            wake = done;
          });
        }
      } catch (err) {
        request.log.warn({ err }, 'event stream ended by an error');
      } finally {
        stream.end();
      }
    },
  );
}
