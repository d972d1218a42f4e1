import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { HttpError } from '../../api/httpError.js';
import { recoverOwnDeliveries } from '../../api/partner/deliveryActions.js';
import { sampleEvent, TestSender } from '../../api/partner/webhookTest.js';
import { ALREADY_ROTATED, rotateSecret } from '../../api/partner/webhookSecrets.js';
import { findOwnWebhook, patchWebhook, type WebhookRow } from '../../api/partner/webhooks.js';
import { listDeliveries } from '../../api/partner/deliveryQueries.js';
import { DeliveryTargets } from '../../delivery/loadDeliveryTargets.js';
import { upgradeWebhook } from '../../api/partner/webhookUpgrade.js';
import { EVENT_TYPES, type EventType } from '../../domain/eventTypes.js';
import type { Runtime } from '../../runtime.js';
import { packageVersion } from '../../util/packageVersion.js';
import { RENDERERS, type StoredEvent } from '../../versions/renderEvent.js';
import { effectiveMajor } from '../../versions/registry.js';
import { companyOf } from '../guard.js';
import { sendPage } from '../render.js';
import { consoleSchema } from '../routeSchema.js';
import { secretFingerprint, webhookPageData } from './webhookPages.js';

type Form = Record<string, string | string[] | undefined>;
const idParams = { params: { type: 'object', properties: { id: { type: 'string', maxLength: 100 } }, required: ['id'] } };
const field = (form: Form | undefined, name: string): string => {
  const value = form?.[name];
  return typeof value === 'string' ? value.trim() : '';
};
/** A form's bad field: the page says which and why, nothing changes. */
const badField = (name: string, message: string) => new HttpError(400, `${name} ${message}`, [{ field: `/body/${name}`, message }]);

/** Pretty-printed JSON for a <pre>. */
const pretty = (json: string) => JSON.stringify(JSON.parse(json), null, 2);

/**
 * The event the upgrade preview shows in both majors: the webhook's latest delivery as it was
 * sent (its event and sequence), or, before its first (or once retention removed its event), the
 * example a test send delivers (gateway 000000000, sequence 0, `"test": true`).
 */
async function previewEvent(rt: Runtime, webhook: WebhookRow, companyId: string, now: number): Promise<{ event: StoredEvent; sequence: number }> {
  const [latest] = await listDeliveries(rt.store, { companyId, webhookId: webhook.id, limit: 1 });
  const event = latest && (await new DeliveryTargets(rt.encrypter, rt.clock).events(rt.store, [latest.event_id])).get(latest.event_id);
  if (latest && event) return { event, sequence: Number(latest.sequence) };
  return { event: sampleEvent((JSON.parse(webhook.event_types) as EventType[])[0], now), sequence: 0 };
}

/** Webhook actions: enable/disable, ordering, rotate the secret, test send, recover since, upgrade. */
export function webhookActions(app: FastifyInstance, rt: Runtime): void {
  const sender = new TestSender(rt);
  app.addHook('onClose', () => sender.close());
  const answer = async (request: FastifyRequest<{ Params: { id: string } }>, reply: FastifyReply, extra: Record<string, unknown>, status = 200) =>
    sendPage(
      reply,
      'partner/webhook',
      { ...(await webhookPageData(rt, request, request.params.id)), pageUrl: `/console/webhooks/${encodeURIComponent(request.params.id)}`, ...extra },
      status,
    );

  for (const [action, enabled] of [['enable', true], ['disable', false]] as const) {
    app.post<{ Params: { id: string } }>(
      `/webhooks/:id/${action}`,
      consoleSchema(`${action}ConsoleWebhook`, `${action === 'enable' ? 'Enables' : 'Disables'} a webhook`, idParams),
      async (request, reply) => {
        await patchWebhook(rt, request.params.id, companyOf(request), { enabled }, `console:${companyOf(request)}`);
        return answer(request, reply, { notice: { kind: 'ok', text: `Webhook ${enabled ? 'enabled' : 'disabled'}.` } });
      },
    );
  }

  app.post<{ Params: { id: string }; Body: Form }>(
    '/webhooks/:id/ordering',
    consoleSchema('setConsoleWebhookOrdering', 'Sets whether each gateway\'s deliveries go in sequence order (GATEWAY) or concurrently (NONE)', idParams),
    async (request, reply) => {
      const ordering = field(request.body, 'ordering');
      if (ordering !== 'NONE' && ordering !== 'GATEWAY') throw badField('ordering', 'must be NONE or GATEWAY');
      await patchWebhook(rt, request.params.id, companyOf(request), { ordering }, `console:${companyOf(request)}`);
      const text = ordering === 'GATEWAY' ? "Each gateway's events now go in sequence order, from the next deliveries sent." : 'Events now go out concurrently, from the next deliveries sent.';
      return answer(request, reply, { notice: { kind: 'ok', text } });
    },
  );

  app.post<{ Params: { id: string }; Body: Form }>(
    '/webhooks/:id/rotate-secret',
    consoleSchema('rotateConsoleWebhookSecret', 'Rotates the signing secret and shows the new one, once; refused (409) when the form was made for a secret already replaced', idParams, [404, 409]),
    async (request, reply) => {
      const webhook = await findOwnWebhook(rt.store, request.params.id, companyOf(request));
      try {
        // The form names the secret it replaces (secretFingerprint), so sending it again, or
        // reloading the page it answered, cannot rotate a second time and drop the receiver's secret.
        if (field(request.body, 'replacing') !== secretFingerprint(webhook.secret_enc)) throw new HttpError(409, ALREADY_ROTATED);
        const rotated = await rotateSecret(rt, webhook.id, companyOf(request), `console:${companyOf(request)}`, webhook.secret_enc);
        return answer(request, reply, { rotated });
      } catch (err) {
        if (!(err instanceof HttpError) || err.status !== 409) throw err;
        return answer(request, reply, { notice: { kind: 'error', text: err.message } }, 409);
      }
    },
  );

  app.post<{ Params: { id: string }; Body: Form }>(
    '/webhooks/:id/test',
    consoleSchema('sendConsoleTestEvent', 'Sends a test event of a chosen type and major and shows the payload and the answer', idParams),
    async (request, reply) => {
      const eventType = field(request.body, 'eventType');
      const apiVersion = Number(field(request.body, 'apiVersion'));
      if (!EVENT_TYPES.includes(eventType as EventType)) throw badField('eventType', `must be one of ${EVENT_TYPES.join(', ')}`);
      if (!Number.isInteger(apiVersion) || apiVersion < 1) throw badField('apiVersion', 'must be a major version number');
      const result = await sender.send(request.params.id, companyOf(request), { eventType: eventType as EventType, apiVersion });
      return answer(request, reply, { tested: { ...result, body: pretty(result.body) } });
    },
  );

  app.post<{ Params: { id: string }; Body: Form }>(
    '/webhooks/:id/recover',
    consoleSchema('recoverConsoleDeliveries', 'Re-queues every dead delivery of the webhook created since a time', idParams),
    async (request, reply) => {
      const text = field(request.body, 'since');
      // datetime-local sends no zone; the console speaks UTC.
      const since = Date.parse(/Z|[+-]\d\d:\d\d$/.test(text) ? text : `${text}Z`);
      if (!text || Number.isNaN(since)) throw badField('since', 'must be a date and time, e.g. 2026-06-01T00:00');
      const webhook = await findOwnWebhook(rt.store, request.params.id, companyOf(request));
      const recovered = await recoverOwnDeliveries(rt, webhook.id, companyOf(request), since, `console:${companyOf(request)}`);
      return answer(request, reply, { notice: { kind: 'ok', text: `${recovered} dead ${recovered === 1 ? 'delivery' : 'deliveries'} re-queued.` } });
    },
  );

  app.get<{ Params: { id: string }; Querystring: { to: number } }>(
    '/webhooks/:id/upgrade',
    consoleSchema('previewConsoleUpgrade', 'The same event in the current and the newer major, side by side, before upgrading', {
      ...idParams,
      querystring: { type: 'object', properties: { to: { type: 'integer', minimum: 1 } }, required: ['to'] },
    }),
    async (request, reply) => {
      const companyId = companyOf(request);
      const webhook = await findOwnWebhook(rt.store, request.params.id, companyId);
      const now = rt.clock.now();
      const from = effectiveMajor(webhook.api_version, now, rt.config.apiVersions);
      const to = request.query.to;
      if (!RENDERERS[to] || to <= from) throw badField('to', `must be a major newer than ${from}`);
      const company = await rt.store.get<{ languages: string }>('SELECT languages FROM companies WHERE id = ?', [companyId]);
      const languages = JSON.parse(company?.languages ?? '["en"]') as string[];
      const { event, sequence } = await previewEvent(rt, webhook, companyId, now);
      const render = (major: number) => pretty(RENDERERS[major](event, { sequence, languages }));
      return sendPage(reply, 'partner/upgrade', {
        title: 'Upgrade the API version',
        nav: 'webhooks',
        session: request.consoleSession,
        version: packageVersion,
        webhook,
        from,
        to,
        eventType: event.type,
        example: sequence === 0,
        sequence,
        before: render(from),
        after: render(to),
      });
    },
  );

  app.post<{ Params: { id: string }; Body: Form }>(
    '/webhooks/:id/upgrade',
    consoleSchema('upgradeConsoleWebhook', 'Moves the webhook to a newer API major', idParams),
    async (request, reply) => {
      const to = Number(field(request.body, 'apiVersion'));
      if (!Number.isInteger(to)) throw badField('apiVersion', 'must be a major version number');
      await upgradeWebhook(rt, request.params.id, companyOf(request), to, `console:${companyOf(request)}`);
      return answer(request, reply, { notice: { kind: 'ok', text: `The webhook now receives API version ${to}.` } });
    },
  );
}
