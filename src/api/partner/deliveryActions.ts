import type { FastifyInstance } from 'fastify';
import { recoverDeliveries } from '../../delivery/queue/recoverDeliveries.js';
import { advanceHeldDeliveries } from '../../delivery/queue/advanceHeldDeliveries.js';
import { retryDelivery } from '../../delivery/queue/retryDelivery.js';
import { actorOf, recordAudit } from '../../audit/recordAudit.js';
import type { Runtime } from '../../runtime.js';
import { parseTimestamp } from '../../util/timestamps.js';
import { deliveryIdSchema, deliveryIds } from '../deliveryIds.js';
import { HttpError, notFound } from '../httpError.js';
import { deliverySchema, problems } from '../schemas.js';
import { deliveryJson } from './deliveries.js';
import { findOwnDelivery } from './deliveryQueries.js';
import { findOwnWebhook } from './webhooks.js';

const security = [{ partnerKey: [] }];
const tags = ['Deliveries'];

/**
 * Dead letters back into the queue: `POST /v1/deliveries/{id}/retry` (one) and
 * `POST /v1/webhooks/{id}/recover` (every dead delivery since a time). Neither starts a new
 * retry schedule: a re-queued delivery keeps its attempts, so one that fails again after its
 * schedule is used up is dead again at once instead of retrying for days. A disabled webhook's
 * re-queued deliveries wait in the queue and go out when it is enabled again (recover, then
 * re-enable, is the way back after an outage).
 *
 * @example
 * curl -X POST -H 'x-api-key: xHCSAPI…' https://hearthook.example/v1/deliveries/dlv_Qm9vT3R0aGVyV2lzZUtleQ/retry
 * curl -X POST -H 'x-api-key: xHCSAPI…' -H 'content-type: application/json' \
 *   -d '{"since":"2026-06-01T00:00:00Z"}' https://hearthook.example/v1/webhooks/wh_…/recover   // {"recovered":17}
 */
export function deliveryActionRoutes(app: FastifyInstance, rt: Runtime): void {
  app.post<{ Params: { id: string } }>(
    '/deliveries/:id/retry',
    {
      schema: {
        tags,
        security,
        operationId: 'retryDelivery',
        description: 'Queues a failed or dead delivery for one attempt now; its attempts count on and no new schedule starts (a dead one that fails again is dead again). 409 when the delivery is pending, in flight or delivered.',
        summary: 'Send a failed or dead delivery again now (its attempts count on; no new schedule)',
        params: { type: 'object', properties: { id: deliveryIdSchema }, required: ['id'] },
        response: { 202: deliverySchema, ...problems(404, 409) },
      },
    },
    async (request, reply) => {
      const ids = await deliveryIds(rt.store);
      const id = ids.decode(request.params.id);
      if (id === undefined) throw notFound('delivery');
      if (!(await retryOwnDelivery(rt, id, request.companyId, actorOf(request)))) {
        const row = await findOwnDelivery(rt.store, id, request.companyId);
        if (!row) throw notFound('delivery');
        throw new HttpError(409, `delivery ${request.params.id} is ${row.status}; only failed or dead deliveries can be retried`, [
          { field: '/params/id', message: `is ${row.status}, not failed or dead` },
        ]);
      }
      const row = await findOwnDelivery(rt.store, id, request.companyId);
      if (!row) throw notFound('delivery'); // its webhook was deleted in between
      reply.code(202);
      return deliveryJson(row, ids);
    },
  );

  app.post<{ Params: { id: string }; Body: { since: string } }>(
    '/webhooks/:id/recover',
    {
      schema: {
        tags,
        security,
        operationId: 'recoverDeliveries',
        description: 'Re-queues every dead delivery of the webhook created at or after `since`, for one attempt each, e.g. after an outage longer than the retry schedule.',
        summary: 'Re-queue every dead delivery of a webhook created at or after a time',
        params: { type: 'object', properties: { id: { type: 'string' } }, required: ['id'] },
        body: {
          type: 'object',
          additionalProperties: false,
          required: ['since'],
          properties: { since: { type: 'string', format: 'date-time', description: 'ISO 8601, e.g. 2026-06-01T00:00:00Z' } },
        },
        response: {
          200: {
            type: 'object',
            properties: { recovered: { type: 'integer', description: 'how many dead deliveries were re-queued' } },
            required: ['recovered'],
          },
          ...problems(404),
        },
      },
    },
    async (request) => {
      const since = parseTimestamp(request.body.since)!; // the schema's date-time format is parseTimestamp
      const webhook = await findOwnWebhook(rt.store, request.params.id, request.companyId);
      return { recovered: await recoverOwnDeliveries(rt, webhook.id, request.companyId, since, actorOf(request)) };
    },
  );
}

/**
 * Queues a failed or dead delivery of `companyId` for one attempt now, with its `delivery.retry`
 * audit entry (target: the public `dlv_` id) in the same transaction; the API and the console
 * both retry through here. False, changing nothing, when the delivery is not the company's or
 * not failed or dead.
 *
 * @example await retryOwnDelivery(rt, 42, 'cmp_…', `console:${companyId}`) // true
 */
export async function retryOwnDelivery(rt: Runtime, id: number, companyId: string, actor: string): Promise<boolean> {
  const ids = await deliveryIds(rt.store);
  const now = rt.clock.now();
  const retried = await rt.store.transaction(async (tx) => {
    if (!(await retryDelivery(tx, id, companyId, now))) return false;
    await advanceHeldDeliveries(tx, id, now);
    await recordAudit(tx, actor, now, { companyId, action: 'delivery.retry', target: ids.encode(id) });
    return true;
  });
  if (retried) rt.store.notifyWork();
  return retried;
}

/**
 * Re-queues every dead delivery of the webhook (which must be `companyId`'s) created at or after
 * `since`, with its `webhook.recover` audit entry in the same transaction; the API and the
 * console both recover through here. Returns how many it re-queued.
 *
 * @example await recoverOwnDeliveries(rt, 'wh_…', 'cmp_…', Date.parse('2026-06-01T00:00:00Z'), keyId) // 17
 */
export async function recoverOwnDeliveries(rt: Runtime, webhookId: string, companyId: string, since: number, actor: string): Promise<number> {
  const now = rt.clock.now();
  const recovered = await rt.store.transaction(async (tx) => {
    const n = await recoverDeliveries(tx, webhookId, since, now);
    await recordAudit(tx, actor, now, { companyId, action: 'webhook.recover', target: webhookId, after: { since: new Date(since).toISOString(), recovered: n } });
    return n;
  });
  if (recovered > 0) rt.store.notifyWork();
  return recovered;
}
