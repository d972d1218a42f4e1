import type { FastifyInstance, FastifyRequest } from 'fastify';
import { HttpError } from '../../api/httpError.js';
import { type DeliveryIds, deliveryIds } from '../../api/deliveryIds.js';
import { type DeliveryFilter, type DeliveryRow, findOwnDelivery, listAttempts, listDeliveries } from '../../api/partner/deliveryQueries.js';
import { findOwnWebhook, listWebhooks } from '../../api/partner/webhooks.js';
import { DELIVERY_STATUSES } from '../../api/schemas.js';
import { DeliveryTargets } from '../../delivery/loadDeliveryTargets.js';
import { retryOwnDelivery } from '../../api/partner/deliveryActions.js';
import { EVENT_TYPES } from '../../domain/eventTypes.js';
import type { Runtime } from '../../runtime.js';
import { packageVersion } from '../../util/packageVersion.js';
import { companyOf, wantsJson } from '../guard.js';
import type { LiveStreams } from '../live.js';
import { formatTime, renderPartial, sendPage } from '../render.js';
import { consoleSchema } from '../routeSchema.js';
import { DeliveryLogStream } from './deliveryLogStream.js';
import { sentRequest } from './sentRequest.js';

interface LogQuery {
  status?: string;
  eventType?: string;
  gatewayId?: string;
  webhookId?: string;
  since?: string;
}

/** The log's filters, as the form sends them (empty fields are no filter). */
const logQuerySchema = {
  type: 'object',
  additionalProperties: false,
  properties: {
    status: { type: 'string', enum: ['', ...DELIVERY_STATUSES] },
    eventType: { type: 'string', enum: ['', ...EVENT_TYPES] },
    gatewayId: { type: 'string', pattern: '^[0-9]{0,20}$' },
    webhookId: { type: 'string', maxLength: 100 },
    since: { type: 'string', pattern: '^(\\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d(:\\d\\d)?Z?)?$', description: 'UTC, e.g. 2026-06-01T12:00' },
  },
};

/** Rows on the log page; the live stream keeps these up to date. */
const PAGE_ROWS = 50;
/** How often a live log looks for new and changed deliveries. */
const LIVE_TICK_MS = 1000;

function filterOf(request: FastifyRequest<{ Querystring: LogQuery }>): DeliveryFilter {
  const q = request.query;
  return {
    companyId: companyOf(request),
    status: q.status || undefined,
    eventType: q.eventType || undefined,
    gatewayId: q.gatewayId || undefined,
    webhookId: q.webhookId || undefined,
    since: q.since ? Date.parse(q.since.endsWith('Z') ? q.since : `${q.since}Z`) : undefined,
    limit: PAGE_ROWS,
  };
}

/** The store's key of a public delivery id from a URL (`dlv_…`, as the API shows it). */
async function deliveryId(rt: Runtime, text: string): Promise<number> {
  const id = (await deliveryIds(rt.store)).decode(text);
  if (id === undefined) throw new HttpError(404, 'delivery not found');
  return id;
}

/** A row as the templates show it: its public id, never the store's key. */
const rowHtml = (row: DeliveryRow, ids: DeliveryIds, csrf: string, now: number) =>
  renderPartial('partner/deliveryRow', { d: row, publicId: ids.encode(row.id), waitingFor: waitingFor(row, ids), csrf, now });

/** The public id of the delivery a GATEWAY-ordered one waits for (deliveryQueries.ts), if any. */
const waitingFor = (row: DeliveryRow, ids: DeliveryIds): string | undefined =>
  row.waiting_for === null || row.waiting_for === undefined ? undefined : ids.encode(Number(row.waiting_for));
const idParams = { params: { type: 'object', properties: { id: { type: 'string', maxLength: 100 } }, required: ['id'] } };

/** The delivery log (filters, live), one delivery's page, and retry. */
export function deliveryPages(app: FastifyInstance, rt: Runtime, live: LiveStreams): void {
  app.get<{ Querystring: LogQuery }>(
    '/deliveries',
    consoleSchema('showConsoleDeliveries', 'The delivery log, newest first, filtered by status, event type, gateway, webhook and time', {
      querystring: logQuerySchema,
    }),
    async (request, reply) => {
      const filter = filterOf(request);
      const [rows, webhooks, ids] = await Promise.all([listDeliveries(rt.store, filter), listWebhooks(rt.store, filter.companyId), deliveryIds(rt.store)]);
      const now = rt.clock.now();
      const csrf = request.consoleSession.csrfToken;
      const live = `/console/deliveries/live?${new URLSearchParams(request.query as Record<string, string>)}`;
      return sendPage(reply, 'partner/deliveries', {
        title: 'Deliveries',
        nav: 'deliveries',
        session: request.consoleSession,
        version: packageVersion,
        rows: rows.map((d) => rowHtml(d, ids, csrf, now)),
        query: request.query,
        webhooks,
        statuses: DELIVERY_STATUSES,
        eventTypes: EVENT_TYPES,
        live,
      });
    },
  );

  app.get<{ Querystring: LogQuery }>(
    '/deliveries/live',
    consoleSchema('streamConsoleDeliveries', 'Server-Sent Events: a `row` event with the HTML of each delivery made or changed under the filters, and of each row shown that changed since', {
      querystring: logQuerySchema,
    }),
    async (request, reply) => {
      const csrf = request.consoleSession.csrfToken;
      const ids = await deliveryIds(rt.store);
      const log = new DeliveryLogStream(rt.store, filterOf(request));
      // Before the stream opens (and the page shows it live): a row retried right away is tracked.
      await log.track();
      live.open(rt, request, reply, LIVE_TICK_MS, async () => {
        const now = rt.clock.now();
        const rows = await log.tick(now);
        return rows.map((d) => ({ event: 'row', data: { id: ids.encode(d.id), status: d.status, html: rowHtml(d, ids, csrf, now) } }));
      });
    },
  );

  app.get<{ Params: { id: string } }>(
    '/deliveries/:id',
    consoleSchema('showConsoleDelivery', 'One delivery: the request as sent (secrets left out) and every attempt', idParams),
    async (request, reply) => sendPage(reply, 'partner/delivery', await deliveryPageData(rt, request, request.params.id)),
  );

  app.post<{ Params: { id: string } }>(
    '/deliveries/:id/retry',
    consoleSchema('retryConsoleDelivery', 'Sends a failed or dead delivery again now', idParams, [404, 409]),
    async (request, reply) => {
      const id = await deliveryId(rt, request.params.id);
      const companyId = companyOf(request);
      if (!(await retryOwnDelivery(rt, id, companyId, `console:${companyId}`))) {
        const row = await findOwnDelivery(rt.store, id, companyId);
        if (!row) throw new HttpError(404, 'delivery not found');
        throw new HttpError(409, `The delivery is ${row.status}; only failed or dead deliveries can be retried.`);
      }
      const text = await retryNotice(rt, id, companyId);
      if (wantsJson(request)) return { notice: text };
      return sendPage(reply, 'partner/delivery', { ...(await deliveryPageData(rt, request, request.params.id)), notice: { kind: 'ok', text } });
    },
  );
}

/**
 * What a retry does next, truthfully: the dispatcher holds a webhook's deliveries while its
 * circuit is open (webhooks.circuit_open_until, migration 023) and while it is disabled.
 */
async function retryNotice(rt: Runtime, id: number, companyId: string): Promise<string> {
  const webhook = await rt.store.get<{ enabled: number; circuit_open_until: number | null }>(
    'SELECT w.enabled, w.circuit_open_until FROM deliveries d JOIN webhooks w ON w.id = d.webhook_id WHERE d.id = ? AND w.company_id = ?',
    [id, companyId],
  );
  if (webhook && Number(webhook.enabled) !== 1) return 'Retry queued; the webhook is disabled: the delivery goes out when it is enabled again.';
  const openUntil = webhook?.circuit_open_until === null || webhook?.circuit_open_until === undefined ? 0 : Number(webhook.circuit_open_until);
  if (openUntil > rt.clock.now()) return `Retry queued; its endpoint's circuit is open: the next try is at ${formatTime(openUntil)}.`;
  return 'Retry queued: the delivery goes out again now.';
}

async function deliveryPageData(rt: Runtime, request: FastifyRequest, idText: string) {
  const companyId = companyOf(request);
  const delivery = await findOwnDelivery(rt.store, await deliveryId(rt, idText), companyId);
  if (!delivery) throw new HttpError(404, 'delivery not found');
  const [attempts, webhook, company, events] = await Promise.all([
    listAttempts(rt.store, delivery.id),
    findOwnWebhook(rt.store, delivery.webhook_id, companyId),
    rt.store.get<{ languages: string }>('SELECT languages FROM companies WHERE id = ?', [companyId]),
    new DeliveryTargets(rt.encrypter, rt.clock).events(rt.store, [delivery.event_id]),
  ]);
  const event = events.get(delivery.event_id);
  const major = delivery.api_version ?? webhook.api_version;
  const sent = event
    ? sentRequest(event, webhook, JSON.parse(company?.languages ?? '["en"]'), delivery.sequence, major, rt.config.apiVersions)
    : undefined;
  return {
    title: `Delivery ${idText}`,
    nav: 'deliveries',
    session: request.consoleSession,
    version: packageVersion,
    d: delivery,
    publicId: idText,
    waitingFor: waitingFor(delivery, await deliveryIds(rt.store)),
    webhook,
    attempts,
    sent,
    now: rt.clock.now(),
  };
}
