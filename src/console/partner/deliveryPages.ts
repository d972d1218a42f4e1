import type { FastifyInstance, FastifyRequest } from 'fastify';
import { badRequest, HttpError } from '../../api/httpError.js';
import { type DeliveryIds, deliveryIds } from '../../api/deliveryIds.js';
import { type DeliveryFilter, type DeliveryRow, findOwnDelivery, listAttempts, listDeliveries } from '../../api/partner/deliveryQueries.js';
import { findOwnWebhook, listWebhooks, type WebhookRow } from '../../api/partner/webhooks.js';
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
import { requestAsSent } from './requestAsSent.js';

interface LogQuery {
  status?: string;
  eventType?: string;
  gatewayId?: string;
  webhookId?: string;
  since?: string;
  until?: string;
  after?: string;
}

/** The log's filters, as the form sends them (empty fields are no filter), and its cursor. */
const logQuerySchema = {
  type: 'object',
  additionalProperties: false,
  properties: {
    status: { type: 'string', enum: ['', ...DELIVERY_STATUSES] },
    eventType: { type: 'string', enum: ['', ...EVENT_TYPES] },
    gatewayId: { type: 'string', pattern: '^[0-9]{0,20}$' },
    webhookId: { type: 'string', maxLength: 100 },
    since: { type: 'string', maxLength: 40, description: 'UTC, e.g. 2026-06-01T12:00' },
    until: { type: 'string', maxLength: 40, description: 'UTC, e.g. 2026-06-01T13:00: the deliveries created before it' },
    after: { type: 'string', maxLength: 100, description: "the API's cursor: the deliveries older than this one (the Older link)" },
  },
};

/** Rows on the log page; the live stream keeps these up to date. */
const PAGE_ROWS = 50;
/** How often a live log looks for new and changed deliveries. */
const LIVE_TICK_MS = 1000;

/**
 * The log's filter from its query. A value that cannot be one (a date that does not exist, a
 * cursor this log did not give out, another company's webhook) is a 400 naming the field, never
 * an empty log that looks like "no deliveries".
 */
function filterOf(request: FastifyRequest<{ Querystring: LogQuery }>, ids: DeliveryIds, webhooks: readonly { id: string }[]): DeliveryFilter {
  const q = request.query;
  if (q.webhookId && !webhooks.some((w) => w.id === q.webhookId)) throw badRequest('/querystring/webhookId', `"${q.webhookId}" is not one of your webhooks`);
  const before = q.after ? ids.decode(q.after) : undefined;
  if (q.after && before === undefined) throw badRequest('/querystring/after', 'is not a cursor this log gave out (follow its Older link)');
  const since = q.since ? timeOf(q.since, 'since') : undefined;
  const until = q.until ? timeOf(q.until, 'until') : undefined;
  if (since !== undefined && until !== undefined && since > until) throw badRequest('/querystring/until', `"${q.until}" is before since (${q.since})`);
  return {
    companyId: companyOf(request),
    status: q.status || undefined,
    eventType: q.eventType || undefined,
    gatewayId: q.gatewayId || undefined,
    webhookId: q.webhookId || undefined,
    since,
    until,
    before,
    limit: PAGE_ROWS,
  };
}

/** A `since` or `until` as the form's datetime-local sends it (UTC, minutes or seconds), in ms. */
function timeOf(text: string, field: 'since' | 'until'): number {
  const iso = /^\d{4}-\d\d-\d\dT\d\d:\d\d(:\d\d)?Z?$/.test(text) ? (text.endsWith('Z') ? text : `${text}Z`) : '';
  const ms = Date.parse(iso);
  // Date.parse rolls 2026-02-30 over into March: only a time that prints back as written is one.
  if (Number.isNaN(ms) || new Date(ms).toISOString().slice(0, iso.length - 1) !== iso.slice(0, -1)) {
    throw badRequest(`/querystring/${field}`, `"${text}" is not a date and time (UTC), e.g. 2026-06-01T12:00`);
  }
  return ms;
}

/** The store's key of a public delivery id from a URL (`dlv_…`, as the API shows it). */
async function deliveryId(rt: Runtime, text: string): Promise<number> {
  const id = (await deliveryIds(rt.store)).decode(text);
  if (id === undefined) throw new HttpError(404, 'delivery not found');
  return id;
}

/** A row as the templates show it: its public id, never the store's key, and its webhook's name. */
const rowHtml = (row: DeliveryRow, ids: DeliveryIds, csrf: string, now: number, webhooks: ReadonlyMap<string, string>) =>
  renderPartial('partner/deliveryRow', {
    d: row,
    publicId: ids.encode(row.id),
    waitingFor: waitingFor(row, ids),
    webhook: webhooks.get(row.webhook_id) ?? row.webhook_id,
    csrf,
    now,
  });

/** Webhook id → what the log calls it (its description, else its URL). */
const webhookNames = (webhooks: readonly WebhookRow[]) => new Map(webhooks.map((w) => [w.id, w.description || w.url]));

/** The public id of the delivery a GATEWAY-ordered one waits for (deliveryQueries.ts), if any. */
const waitingFor = (row: DeliveryRow, ids: DeliveryIds): string | undefined =>
  row.waiting_for === null || row.waiting_for === undefined ? undefined : ids.encode(Number(row.waiting_for));
const idParams = { params: { type: 'object', properties: { id: { type: 'string', maxLength: 100 } }, required: ['id'] } };

/** The delivery log (filters, live), one delivery's page, and retry. */
export function deliveryPages(app: FastifyInstance, rt: Runtime, live: LiveStreams): void {
  app.get<{ Querystring: LogQuery }>(
    '/deliveries',
    consoleSchema('showConsoleDeliveries', 'The delivery log, newest first, filtered by status, event type, gateway, webhook and time (since, until), paged with after (the Older link); 400 naming a filter that cannot be one', { querystring: logQuerySchema }, [400, 404]),
    async (request, reply) => {
      const [webhooks, ids] = await Promise.all([listWebhooks(rt.store, companyOf(request)), deliveryIds(rt.store)]);
      const filter = filterOf(request, ids, webhooks);
      const rows = await listDeliveries(rt.store, filter);
      const now = rt.clock.now();
      const csrf = request.consoleSession.csrfToken;
      const query = Object.fromEntries(Object.entries(request.query as Record<string, string>).filter(([, v]) => v !== ''));
      const live = `/console/deliveries/live?${new URLSearchParams(query)}`;
      const { after: _, ...filters } = query;
      // As the API pages: a full page may have older ones (an empty last page is the price of not counting).
      const older = rows.length === PAGE_ROWS ? `/console/deliveries?${new URLSearchParams({ ...filters, after: ids.encode(rows[rows.length - 1].id) })}` : undefined;
      const names = webhookNames(webhooks);
      return sendPage(reply, 'partner/deliveries', {
        title: 'Deliveries',
        nav: 'deliveries',
        session: request.consoleSession,
        version: packageVersion,
        rows: rows.map((d) => rowHtml(d, ids, csrf, now, names)),
        query: request.query,
        webhooks,
        statuses: DELIVERY_STATUSES,
        eventTypes: EVENT_TYPES,
        live,
        older,
        newest: query.after ? `/console/deliveries?${new URLSearchParams(filters)}` : undefined,
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
      const [webhooks, ids] = await Promise.all([listWebhooks(rt.store, companyOf(request)), deliveryIds(rt.store)]);
      const names = webhookNames(webhooks);
      const log = new DeliveryLogStream(rt.store, filterOf(request, ids, webhooks));
      // Before the stream opens (and the page shows it live): a row retried right away is tracked.
      await log.track();
      live.open(rt, request, reply, LIVE_TICK_MS, async () => {
        const now = rt.clock.now();
        const rows = await log.tick(now);
        // Placed by the page (console.js): before its listed neighbour, else by when it was made.
        return rows.map((d) => {
          const below = log.olderNeighbour(d.id);
          const place = { below: below === undefined ? undefined : ids.encode(below), createdAt: Number(d.created_at) };
          return { event: 'row', data: { id: ids.encode(d.id), status: d.status, ...place, html: rowHtml(d, ids, csrf, now, names) } };
        });
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
      const pageUrl = `/console/deliveries/${encodeURIComponent(request.params.id)}`;
      return sendPage(reply, 'partner/delivery', { ...(await deliveryPageData(rt, request, request.params.id)), notice: { kind: 'ok', text }, pageUrl });
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
  const languages: string[] = JSON.parse(company?.languages ?? '["en"]');
  const sent = event ? requestAsSent(event, attempts, webhook, languages, delivery.sequence, major, rt.config.apiVersions) : undefined;
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
