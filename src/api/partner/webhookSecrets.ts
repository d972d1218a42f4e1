import { randomBytes } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import type { Runtime } from '../../runtime.js';
import { notFound } from '../httpError.js';
import { problems } from '../schemas.js';

const rotatedSecretSchema = {
  type: 'object',
  properties: {
    secret: { type: 'string', description: 'the new whsec_ signing secret; shown only now' },
    previousSecretExpiresAt: {
      type: 'string',
      format: 'date-time',
      description: 'until then deliveries carry a signature with the previous secret as well',
    },
  },
  required: ['secret', 'previousSecretExpiresAt'],
} as const;

/**
 * Gives `companyId`'s webhook `id` a new signing secret (404 when it is not theirs) and answers
 * it: the only time it is shown.
 */
export async function rotateSecret(rt: Runtime, id: string, companyId: string): Promise<{ secret: string; previousSecretExpiresAt: string }> {
  const now = rt.clock.now();
  const expiresAt = now + rt.config.secretRotationGraceMs;
  // Standard Webhooks secrets: `whsec_` + base64 of 24 random bytes, as at registration.
  const secret = 'whsec_' + randomBytes(24).toString('base64');
  // updated_at must move even within the same millisecond: dispatchers cache decrypted
  // secrets by it, and an unchanged value would keep them signing with the old secret alone.
  const changed = await rt.store.run(
    `UPDATE webhooks
        SET previous_secret_enc = secret_enc, previous_secret_expires_at = ?, secret_enc = ?,
            updated_at = CASE WHEN updated_at >= ? THEN updated_at + 1 ELSE ? END
      WHERE id = ? AND company_id = ?`,
    [expiresAt, rt.encrypter.encrypt(secret), now, now, id, companyId],
  );
  if (changed === 0) throw notFound('webhook');
  return { secret, previousSecretExpiresAt: new Date(expiresAt).toISOString() };
}

/**
 * `POST /v1/webhooks/{id}/rotate-secret`: a new signing secret, while the one it replaces keeps
 * signing for `secretRotationGraceMs` (both signatures in `webhook-signature`, as Standard
 * Webhooks allows), so a receiver can deploy the new secret without rejecting a single event.
 * Rotating again within the grace period drops the oldest secret at once: only two ever sign.
 *
 * @example
 * curl -X POST -H 'x-api-key: xHCSAPI…' https://hearthook.example/v1/webhooks/wh_…/rotate-secret
 * // {"secret":"whsec_…","previousSecretExpiresAt":"2026-06-02T12:00:00.000Z"}
 */
export function webhookSecretRoutes(app: FastifyInstance, rt: Runtime): void {
  app.post<{ Params: { id: string } }>(
    '/webhooks/:id/rotate-secret',
    {
      schema: {
        tags: ['Webhooks'],
        security: [{ partnerKey: [] }],
        operationId: 'rotateWebhookSecret',
        description: 'Makes a new whsec_ signing secret, shown only in this answer. Deliveries carry signatures with both secrets until `previousSecretExpiresAt`, so a receiver can switch without failing one.',
        summary: 'Replace the signing secret; the previous one keeps signing for a grace period',
        params: { type: 'object', properties: { id: { type: 'string' } }, required: ['id'] },
        response: { 200: rotatedSecretSchema, ...problems(404) },
      },
    },
    async (request) => rotateSecret(rt, request.params.id, request.companyId),
  );
}
