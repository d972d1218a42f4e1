import type { FastifyInstance } from 'fastify';
import type { Runtime } from '../../runtime.js';
import { effectiveMajor, unsupportedReason } from '../../versions/registry.js';
import { badRequest } from '../httpError.js';
import { problems, webhookSchema } from '../schemas.js';
import { findOwnWebhook, type WebhookRow, webhookJson } from './webhooks.js';

interface UpgradeBody {
  apiVersion: number;
}

const bodySchema = {
  type: 'object',
  additionalProperties: false,
  required: ['apiVersion'],
  properties: { apiVersion: { type: 'integer', minimum: 1, description: 'a released, supported major newer than the current one' } },
} as const;

/**
 * Pins `companyId`'s webhook `id` to the newer major `wanted` (400 naming `/body/apiVersion` when
 * it is unsupported or older than what the webhook receives; 404 when the webhook is not theirs).
 */
export async function upgradeWebhook(rt: Runtime, id: string, companyId: string, wanted: number): Promise<WebhookRow> {
  const now = rt.clock.now();
  const versions = rt.config.apiVersions;
  const reason = unsupportedReason(wanted, now, versions);
  if (reason) throw badRequest('/body/apiVersion', reason);
  return rt.store.transaction(async (tx) => {
    const webhook = await findOwnWebhook(tx, id, companyId);
    // Compared with what it receives now: a pin past its support end already gets the current major.
    const receiving = effectiveMajor(webhook.api_version, now, versions);
    if (wanted < receiving) {
      throw badRequest('/body/apiVersion', `the webhook receives API version ${receiving}; an upgrade cannot go back to ${wanted}`);
    }
    if (wanted === webhook.api_version) return webhook;
    await tx.run('UPDATE webhooks SET api_version = ?, updated_at = ? WHERE id = ?', [wanted, now, webhook.id]);
    return findOwnWebhook(tx, webhook.id, companyId);
  });
}

/**
 * `POST /v1/webhooks/{id}/upgrade` `{apiVersion}`: the partner opts in to a newer major (after
 * trying it with `POST /v1/webhooks/{id}/test?apiVersion=`). The next attempt of every delivery,
 * retries of older events included, renders in it. Moving back is refused: the old major is
 * deprecated, and a partner that upgraded told the receiver to expect the new shape. Asking for
 * the major the webhook is already on changes nothing and answers 200, so a retried call is safe.
 *
 * @example
 * curl -X POST -H 'x-api-key: xHCSAPI…' -d '{"apiVersion":2}' https://hearthook.example/v1/webhooks/wh_…/upgrade
 */
export function webhookUpgradeRoutes(app: FastifyInstance, rt: Runtime): void {
  app.post<{ Params: { id: string }; Body: UpgradeBody }>(
    '/webhooks/:id/upgrade',
    {
      schema: {
        tags: ['Webhooks'],
        security: [{ partnerKey: [] }],
        operationId: 'upgradeWebhook',
        description: 'Opts the webhook in to a newer API major: its deliveries, retries included, are rendered in it from now on. Try the new shape first with POST /v1/webhooks/{id}/test?apiVersion=. 400 for a major it cannot move to.',
        summary: 'Move a webhook to a newer API major (opt in before the old one’s support ends)',
        params: { type: 'object', properties: { id: { type: 'string' } }, required: ['id'] },
        body: bodySchema,
        response: { 200: webhookSchema, ...problems(404) },
      },
    },
    async (request) => webhookJson(await upgradeWebhook(rt, request.params.id, request.companyId, request.body.apiVersion)),
  );
}
