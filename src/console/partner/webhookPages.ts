import { createHash } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import { findOwnWebhook, listWebhooks } from '../../api/partner/webhooks.js';
import { EVENT_TYPES } from '../../domain/eventTypes.js';
import type { Runtime } from '../../runtime.js';
import { packageVersion } from '../../util/packageVersion.js';
import { effectiveMajor, listVersions } from '../../versions/registry.js';
import { companyOf } from '../guard.js';
import { type Range, webhookSeries } from '../queries/timeSeries.js';
import { type PageData, sendPage } from '../render.js';
import { consoleSchema } from '../routeSchema.js';
import { type WebhookHealthRow, webhookStatus } from './webhookStatus.js';

const idParams = { params: { type: 'object', properties: { id: { type: 'string', maxLength: 100 } }, required: ['id'] } };

/**
 * What the rotate form names as the secret it replaces: a hash of the stored ciphertext (which
 * changes with every rotation), never the secret.
 */
export const secretFingerprint = (secretEnc: string): string => createHash('sha256').update(secretEnc).digest('base64url').slice(0, 22);

/** What the webhook page shows, for the page itself and for the answers of its actions. */
export async function webhookPageData(rt: Runtime, request: import('fastify').FastifyRequest, id: string): Promise<PageData> {
  const now = rt.clock.now();
  const row = (await findOwnWebhook(rt.store, id, companyOf(request))) as WebhookHealthRow;
  const versions = listVersions(now, rt.config.apiVersions);
  const receiving = effectiveMajor(row.api_version, now, rt.config.apiVersions);
  return {
    title: row.description || row.url,
    nav: 'webhooks',
    session: request.consoleSession,
    version: packageVersion,
    webhook: row,
    secretFingerprint: secretFingerprint(row.secret_enc),
    eventTypes: JSON.parse(row.event_types) as string[],
    allEventTypes: EVENT_TYPES,
    status: webhookStatus(row, now),
    receiving,
    majors: versions.filter((v) => v.status === 'current' || v.status === 'deprecated').map((v) => v.major),
    newerMajors: versions.filter((v) => (v.status === 'current' || v.status === 'deprecated') && v.major > receiving).map((v) => v.major),
    now,
  };
}

/** The partner's webhooks and one webhook's page with its charts. */
export function webhookPages(app: FastifyInstance, rt: Runtime): void {
  app.get('/webhooks', consoleSchema('showConsoleWebhooks', "The partner's webhooks with status, success rate and latency"), async (request, reply) => {
    const now = rt.clock.now();
    const rows = (await listWebhooks(rt.store, companyOf(request))) as WebhookHealthRow[];
    const webhooks = await Promise.all(
      rows.map(async (row) => ({
        row,
        eventTypes: JSON.parse(row.event_types) as string[],
        status: webhookStatus(row, now),
        hour: (await webhookSeries(rt.store, row.id, 'hour', now)).total,
        day: (await webhookSeries(rt.store, row.id, 'day', now)).total,
      })),
    );
    return sendPage(reply, 'partner/webhooks', { title: 'Webhooks', nav: 'webhooks', session: request.consoleSession, version: packageVersion, webhooks });
  });

  app.get<{ Params: { id: string } }>(
    '/webhooks/:id',
    consoleSchema('showConsoleWebhook', 'One webhook: its settings, charts of the last hour and day, and its actions', idParams),
    async (request, reply) => sendPage(reply, 'partner/webhook', await webhookPageData(rt, request, request.params.id)),
  );

  app.get<{ Params: { id: string }; Querystring: { range: Range } }>(
    '/webhooks/:id/series',
    consoleSchema('getConsoleWebhookSeries', "A webhook's success rate and latency per minute (hour) or quarter hour (day), for its charts", {
      ...idParams,
      querystring: { type: 'object', properties: { range: { type: 'string', enum: ['hour', 'day'], default: 'hour' } } },
    }),
    async (request) => {
      const webhook = await findOwnWebhook(rt.store, request.params.id, companyOf(request));
      return webhookSeries(rt.store, webhook.id, request.query.range, rt.clock.now());
    },
  );
}
