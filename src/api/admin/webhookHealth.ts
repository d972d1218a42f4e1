import type { FastifyInstance } from 'fastify';
import type { Runtime } from '../../runtime.js';
import type { Db } from '../../store/db.js';
import { iso, problems } from '../schemas.js';

interface HealthRow {
  id: string;
  company_id: string;
  url: string;
  enabled: number;
  failing_since: number | null;
  disabled_at: number | null;
  disabled_reason: string | null;
  api_version: number;
  auto_upgraded_at: number | null;
  auto_upgraded_from: number | null;
  queued: number | string;
  dead: number | string;
}

export interface HealthQuery {
  status: 'failing' | 'disabled' | 'autoUpgraded';
  limit: number;
}

const FILTERS: Record<HealthQuery['status'], string> = {
  failing: 'w.enabled = 1 AND w.failing_since IS NOT NULL',
  disabled: 'w.enabled = 0',
  // API versions (issue 5): moved off a major past its end of support; the partner may need a word.
  autoUpgraded: 'w.auto_upgraded_at IS NOT NULL',
};

const webhookHealthSchema = {
  type: 'object',
  properties: {
    id: { type: 'string' },
    companyId: { type: 'string' },
    url: { type: 'string' },
    enabled: { type: 'boolean' },
    failingSince: { type: ['string', 'null'], format: 'date-time', description: 'start of the current run of failures' },
    disabledAt: { type: ['string', 'null'], format: 'date-time' },
    disabledReason: { type: ['string', 'null'] },
    // In the autoUpgraded list only, so the failing and disabled lists keep their shape.
    apiVersion: { type: 'integer', description: 'autoUpgraded list: the API major its events are rendered in' },
    autoUpgradedAt: { type: 'string', format: 'date-time', description: 'autoUpgraded list: when it was moved off a major past its end of support' },
    autoUpgradedFrom: { type: 'integer', description: 'autoUpgraded list: the major it was moved off then' },
    queued: { type: 'integer', description: 'deliveries waiting to be sent' },
    dead: { type: 'integer', description: 'dead deliveries (retryable, recoverable)' },
  },
  required: ['id', 'companyId', 'url', 'enabled', 'failingSince', 'disabledAt', 'disabledReason', 'queued', 'dead'],
} as const;

/**
 * Webhooks in one kind of trouble across companies, longest-troubled first, as the operators'
 * API and console list them.
 *
 * @example const failing = await listTroubledWebhooks(db, 'failing', 100);
 */
export async function listTroubledWebhooks(db: Db, status: HealthQuery['status'], limit: number) {
  // Counted per listed webhook through the queue and dead-letter indexes, never a table scan.
  const rows = await db.all<HealthRow>(
    `SELECT w.id, w.company_id, w.url, w.enabled, w.failing_since, w.disabled_at, w.disabled_reason,
            w.api_version, w.auto_upgraded_at, w.auto_upgraded_from,
            (SELECT COUNT(*) FROM deliveries d WHERE d.webhook_id = w.id AND d.next_attempt_at IS NOT NULL) AS queued,
            (SELECT COUNT(*) FROM deliveries d WHERE d.webhook_id = w.id AND d.status = 'dead') AS dead
       FROM webhooks w
      WHERE ${FILTERS[status]}
      ORDER BY COALESCE(w.failing_since, w.disabled_at, w.auto_upgraded_at, w.updated_at), w.id
      LIMIT ?`,
    [limit],
  );
  return rows.map((r) => ({
    id: r.id,
    companyId: r.company_id,
    url: r.url,
    enabled: r.enabled === 1,
    failingSince: iso(r.failing_since),
    disabledAt: iso(r.disabled_at),
    disabledReason: r.disabled_reason,
    ...(status === 'autoUpgraded'
      ? { apiVersion: r.api_version, autoUpgradedAt: iso(r.auto_upgraded_at), autoUpgradedFrom: r.auto_upgraded_from }
      : {}),
    // PostgreSQL's COUNT is a bigint, which its driver hands over as a string.
    queued: Number(r.queued),
    dead: Number(r.dead),
  }));
}

/**
 * `GET /v1/admin/webhooks?status=failing|disabled`: the endpoints operators should look at,
 * longest-troubled first, with how much is waiting for each. `status` is required: this is a
 * list of trouble, and an absent filter would read as "every webhook".
 *
 * @example
 * curl -H 'Authorization: Bearer hha_…' 'https://hearthook.example/v1/admin/webhooks?status=disabled'
 */
export function webhookHealthRoutes(app: FastifyInstance, rt: Runtime): void {
  app.get<{ Querystring: HealthQuery }>(
    '/webhooks',
    {
      schema: {
        tags: ['Operator'],
        security: [{ adminToken: [] }],
        operationId: 'listWebhookHealth',
        description: 'Operators: webhooks whose deliveries keep failing, that were disabled (410 Gone, days of failures, or by the partner), or that were moved to the current major automatically, with their queued and dead deliveries.',
        summary: 'Webhooks whose endpoint is failing, or that are disabled',
        querystring: {
          type: 'object',
          additionalProperties: false,
          required: ['status'],
          properties: {
            status: {
              type: 'string',
              enum: ['failing', 'disabled', 'autoUpgraded'],
              description:
                'failing: enabled, and no success since failingSince; disabled: not enabled; autoUpgraded: moved off a major past its end of support',
            },
            limit: { type: 'integer', minimum: 1, maximum: 1000, default: 500 },
          },
        },
        response: {
          200: { type: 'object', properties: { data: { type: 'array', items: webhookHealthSchema } }, required: ['data'] },
          ...problems(),
        },
      },
    },
    async (request) => ({ data: await listTroubledWebhooks(rt.store, request.query.status, request.query.limit) }),
  );
}
