import { randomBytes } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import { actorOf, recordAudit } from '../../audit/recordAudit.js';
import type { Runtime } from '../../runtime.js';
import { HttpError, notFound } from '../httpError.js';
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

/** Why a rotation that names the secret it replaces is refused once that secret is gone. */
export const ALREADY_ROTATED =
  'The secret was already rotated since this page was loaded (a form sent twice, or a reload): nothing changed. The secret shown after that rotation is the current one.';

/**
 * Gives `companyId`'s webhook `id` a new signing secret (404 when it is not theirs) and answers
 * it: the only time it is shown.
 */
export async function rotateSecret(
  rt: Runtime,
  id: string,
  companyId: string,
  actor: string,
  /** Rotate only while this is still the stored (encrypted) secret: a resent form must not rotate twice. */
  replacing?: string,
): Promise<{ secret: string; previousSecretExpiresAt: string }> {
  const now = rt.clock.now();
  const expiresAt = now + rt.config.secretRotationGraceMs;
  // Standard Webhooks secrets: `whsec_` + base64 of 24 random bytes, as at registration.
  const secret = 'whsec_' + randomBytes(24).toString('base64');
  // updated_at must move even within the same millisecond: dispatchers cache decrypted
  // secrets by it, and an unchanged value would keep them signing with the old secret alone.
  await rt.store.transaction(async (tx) => {
    const changed = await tx.run(
      `UPDATE webhooks
          SET previous_secret_enc = secret_enc, previous_secret_expires_at = ?, secret_enc = ?,
              updated_at = CASE WHEN updated_at >= ? THEN updated_at + 1 ELSE ? END
        WHERE id = ? AND company_id = ?${replacing === undefined ? '' : ' AND secret_enc = ?'}`,
      [expiresAt, rt.encrypter.encrypt(secret), now, now, id, companyId, ...(replacing === undefined ? [] : [replacing])],
    );
    if (changed === 0 && replacing !== undefined) throw new HttpError(409, ALREADY_ROTATED);
    if (changed === 0) throw notFound('webhook');
    // Neither secret goes into the log: only that it was rotated and until when the old one signs.
    const after = { previousSecretExpiresAt: new Date(expiresAt).toISOString() };
    await recordAudit(tx, actor, now, { companyId, action: 'webhook.rotate_secret', target: id, after });
  });
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
    async (request) => rotateSecret(rt, request.params.id, request.companyId, actorOf(request)),
  );
}
