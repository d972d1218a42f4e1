import type { FastifyInstance } from 'fastify';
import type { Runtime } from '../../runtime.js';
import type { Db } from '../../store/db.js';
import type { WebhookRow } from '../partner/webhooks.js';
import { iso, problems } from '../schemas.js';

/** A webhook's health columns and its queued and dead delivery counts. */
type HealthRow = Pick<
  WebhookRow,
  | 'id'
  | 'company_id'
  | 'url'
  | 'enabled'
  | 'failing_since'
  | 'disabled_at'
  | 'disabled_reason'
  | 'api_version'
  | 'auto_upgraded_at'
  | 'auto_upgraded_from'
  | 'broken_at'
  | 'broken_reason'
  | 'circuit_open_until'
> & { queued: number | string; dead: number | string };

export interface HealthQuery {
  status: 'failing' | 'disabled' | 'autoUpgraded' | 'broken';
  limit: number;
}

const FILTERS: Record<HealthQuery['status'], string> = {
  failing: 'w.enabled = 1 AND w.failing_since IS NOT NULL',
  disabled: 'w.enabled = 0',
  // API versions (issue 5): moved off a major past its end of support; the partner may need a word.
  autoUpgraded: 'w.auto_upgraded_at IS NOT NULL',
  // Issue 11: its deliveries cannot be built (secrets that do not decrypt, a URL that does not parse).
  broken: 'w.broken_at IS NOT NULL',
};

/** Every kind of trouble the list can be asked for, in the order the console shows them. */
export const WEBHOOK_TROUBLES = Object.keys(FILTERS) as HealthQuery['status'][];

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
    circuitOpenUntil: {
      type: ['string', 'null'],
      format: 'date-time',
      description: "failing list: while a dispatcher holds the endpoint's circuit open, when it will try again (one probe); null when the circuit is closed",
    },
    brokenAt: { type: 'string', format: 'date-time', description: 'broken list: since when its deliveries cannot be built' },
    brokenReason: { type: 'string', description: "broken list: why, as its deliveries' attempts say (configuration error: …)" },
    queued: { type: 'integer', description: 'deliveries waiting to be sent' },
    dead: { type: 'integer', description: 'dead deliveries (retryable, recoverable)' },
  },
  required: ['id', 'companyId', 'url', 'enabled', 'failingSince', 'disabledAt', 'disabledReason', 'queued', 'dead'],
} as const;

/**
 * Webhooks in one kind of trouble across companies, longest-troubled first, as the operators'
 * API and console list them.
 *
 * @example const failing = await listTroubledWebhooks(db, 'failing', 100, Date.now());
 */
export async function listTroubledWebhooks(db: Db, status: HealthQuery['status'], limit: number, now: number) {
  // Counted per listed webhook through the queue and dead-letter indexes, never a table scan.
  const rows = await db.all<HealthRow>(
    `SELECT w.id, w.company_id, w.url, w.enabled, w.failing_since, w.disabled_at, w.disabled_reason,
            w.api_version, w.auto_upgraded_at, w.auto_upgraded_from, w.broken_at, w.broken_reason, w.circuit_open_until,
            (SELECT COUNT(*) FROM deliveries d WHERE d.webhook_id = w.id AND d.next_attempt_at IS NOT NULL) AS queued,
            (SELECT COUNT(*) FROM deliveries d WHERE d.webhook_id = w.id AND d.status = 'dead') AS dead
       FROM webhooks w
      WHERE ${FILTERS[status]}
      ORDER BY COALESCE(${status === 'broken' ? 'w.broken_at, ' : ''}w.failing_since, w.disabled_at, w.auto_upgraded_at, w.updated_at), w.id
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
    ...(status === 'broken' ? { brokenAt: iso(r.broken_at), brokenReason: r.broken_reason } : {}),
    ...(status === 'failing' ? { circuitOpenUntil: r.circuit_open_until !== null && r.circuit_open_until > now ? iso(r.circuit_open_until) : null } : {}),
    // PostgreSQL's COUNT is a bigint, which its driver hands over as a string.
    queued: Number(r.queued),
    dead: Number(r.dead),
  }));
}

/**
 * `GET /v1/admin/webhooks?status=failing|disabled|autoUpgraded|broken`: the endpoints operators should look at,
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
        summary: 'Webhooks whose endpoint is failing, that are disabled, were upgraded automatically, or are broken',
        description:
          'The webhooks operators should look at, longest-troubled first, with how many deliveries wait for each and how many are dead. ' +
          '`broken` lists webhooks whose deliveries cannot be built (their secrets do not decrypt with the master key, their URL does not parse): ' +
          'each of their attempts fails with `configuration error: …`, other webhooks are not held up, and the flag clears at their next success.',
        querystring: {
          type: 'object',
          additionalProperties: false,
          required: ['status'],
          properties: {
            status: {
              type: 'string',
              enum: ['failing', 'disabled', 'autoUpgraded', 'broken'],
              description:
                'failing: enabled, and no success since failingSince; disabled: not enabled; autoUpgraded: moved off a major past its end of support; broken: its deliveries cannot be built (e.g. secrets that do not decrypt with the master key), flagged until one succeeds',
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
    async (request) => ({ data: await listTroubledWebhooks(rt.store, request.query.status, request.query.limit, rt.clock.now()) }),
  );
}
