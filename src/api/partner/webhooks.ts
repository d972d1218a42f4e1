import { randomBytes } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import { actorOf, recordAudit } from '../../audit/recordAudit.js';
import { AddressPolicy } from '../../delivery/addressPolicy.js';
import type { EventType } from '../../domain/eventTypes.js';
import { capReached, checkEventTypeCap } from '../../limits/caps.js';
import type { Runtime } from '../../runtime.js';
import type { Db } from '../../store/db.js';
import { retryDeadlocked } from '../../store/retryDeadlocked.js';
import { newId } from '../../util/ids.js';
import { currentMajor, unsupportedReason } from '../../versions/registry.js';
import { badRequest, notFound } from '../httpError.js';
import { createdWebhookSchema, iso, problems, type WebhookOrdering, webhookSchema } from '../schemas.js';
import {
  type CreateWebhookBody,
  checkApiKeyName,
  checkWebhookUrl,
  createWebhookBodySchema,
  type PatchWebhookBody,
  patchWebhookBodySchema,
} from './webhookInput.js';

/** A row of `webhooks`, the one type for it: readers of a few columns `Pick` theirs. */
export interface WebhookRow {
  id: string;
  company_id: string;
  url: string;
  api_key_name: string;
  api_key_location: 'HEADER' | 'QUERY';
  api_key_enc: string;
  secret_enc: string;
  /** During a rotation: the previous secret, which keeps signing until `previous_secret_expires_at`. */
  previous_secret_enc: string | null;
  previous_secret_expires_at: number | null;
  event_types: string;
  description: string | null;
  enabled: number;
  api_version: number;
  /** 'GATEWAY': one gateway's deliveries go in sequence order (claimDeliveries.ts). */
  ordering: WebhookOrdering;
  /** Set when the dispatcher moved the webhook off a major past its end of support. */
  auto_upgraded_at: number | null;
  auto_upgraded_from: number | null;
  /** Since when every attempt failed (none succeeded since); cleared by a success. */
  failing_since: number | null;
  disabled_at: number | null;
  disabled_reason: string | null;
  /** Set when its deliveries cannot be built (secrets that do not decrypt, …); cleared by a success. */
  broken_at: number | null;
  broken_reason: string | null;
  /** Until when a dispatcher holds its endpoint's circuit open (written when it opens, migration 023). */
  circuit_open_until: number | null;
  created_at: number;
  updated_at: number;
}

/** A webhook as the API shows it: the API key and the secret stay out. */
export function webhookJson(row: WebhookRow) {
  return {
    id: row.id,
    url: row.url,
    apiKeyName: row.api_key_name,
    apiKeyLocation: row.api_key_location,
    eventTypes: JSON.parse(row.event_types) as EventType[],
    description: row.description,
    enabled: row.enabled === 1,
    apiVersion: row.api_version,
    ordering: row.ordering,
    autoUpgradedAt: iso(row.auto_upgraded_at),
    autoUpgradedFrom: row.auto_upgraded_from,
    createdAt: iso(row.created_at),
    updatedAt: iso(row.updated_at),
  };
}

/**
 * The webhook `id` if `companyId` owns it, else a 404: another company's webhook is answered
 * exactly like one that does not exist, so ids leak nothing.
 */
export async function findOwnWebhook(db: Db, id: string, companyId: string): Promise<WebhookRow> {
  const row = await db.get<WebhookRow>('SELECT * FROM webhooks WHERE id = ? AND company_id = ?', [id, companyId]);
  if (!row) throw notFound('webhook');
  return row;
}

/** A company's webhooks, oldest first. */
export function listWebhooks(db: Db, companyId: string): Promise<WebhookRow[]> {
  return db.all<WebhookRow>('SELECT * FROM webhooks WHERE company_id = ? ORDER BY created_at, id', [companyId]);
}

/** PATCH field → column, and how the value is stored. */
const COLUMNS: Record<keyof PatchWebhookBody, [string, (value: unknown, rt: Runtime) => unknown]> = {
  url: ['url', (v, rt) => checkWebhookUrl(v as string, rt.config.allowHttp, new AddressPolicy(rt.config.allowPrivateNetworks))],
  apiKeyName: ['api_key_name', (v) => checkApiKeyName(v as string)],
  apiKeyLocation: ['api_key_location', (v) => v],
  apiKey: ['api_key_enc', (v, rt) => rt.encrypter.encrypt(v as string)],
  eventTypes: ['event_types', (v) => JSON.stringify(v)],
  description: ['description', (v) => v],
  enabled: ['enabled', (v) => (v ? 1 : 0)],
  ordering: ['ordering', (v) => v],
};

/**
 * Changes the fields in `body` of `companyId`'s webhook `id` in one transaction (404 when it is
 * not theirs; a bad field throws before anything is written) and returns the changed row.
 *
 * @example await patchWebhook(rt, 'wh_…', companyId, { enabled: false });
 */
export async function patchWebhook(rt: Runtime, id: string, companyId: string, body: PatchWebhookBody, actor: string): Promise<WebhookRow> {
  checkEventTypeCap(body.eventTypes, rt.config.maxEventTypesPerWebhook);
  // Check and convert every field before writing any, so a bad one changes nothing.
  const changes = Object.entries(body).map(([field, value]) => {
    const [column, store] = COLUMNS[field as keyof PatchWebhookBody];
    return [column, store(value, rt)] as const;
  });
  const now = rt.clock.now();
  // A switch to GATEWAY lines up the webhook's queue (migration 022's trigger) while holding its
  // row; a dispatcher recording a health change of the same webhook locks them the other way round.
  return retryDeadlocked(() =>
    rt.store.transaction(async (tx) => {
      const before = await findOwnWebhook(tx, id, companyId);
      // Endpoint health (issue 4): re-enabling a disabled webhook starts its health afresh, or the
      // disable job would strike again at once; disabling it records when and why.
      if (body.enabled !== undefined) {
        await tx.run(
          body.enabled
            ? 'UPDATE webhooks SET failing_since = NULL, disabled_at = NULL, disabled_reason = NULL WHERE id = ? AND enabled = 0'
            : "UPDATE webhooks SET disabled_at = ?, disabled_reason = 'disabled by the partner' WHERE id = ? AND enabled = 1",
          body.enabled ? [id] : [now, id],
        );
      }
      await tx.run(`UPDATE webhooks SET ${changes.map(([column]) => `${column} = ?`).join(', ')}, updated_at = ? WHERE id = ?`, [
        ...changes.map(([, value]) => value),
        now,
        id,
      ]);
      const after = await findOwnWebhook(tx, id, companyId);
      await recordAudit(tx, actor, now, { companyId, action: 'webhook.update', target: id, before: webhookJson(before), after: webhookJson(after) });
      return after;
    }),
  );
}

const security = [{ partnerKey: [] }];
const tags = ['Webhooks'];
const params = { type: 'object', properties: { id: { type: 'string' } }, required: ['id'] };

/** The caller's webhooks under `/v1/webhooks`. */
export function webhookRoutes(app: FastifyInstance, rt: Runtime): void {
  app.post<{ Body: CreateWebhookBody }>(
    '/webhooks',
    {
      schema: {
        tags,
        security,
        operationId: 'createWebhook',
        description: 'Registers an endpoint for the chosen event types, pinned to an API major (the current one by default). The answer holds its whsec_ signing secret: the only time it is shown.',
        summary: 'Register a webhook endpoint (answers its signing secret, once)',
        body: createWebhookBodySchema,
        response: { 201: createdWebhookSchema, ...problems(409) },
      },
    },
    async (request, reply) => {
      const body = request.body;
      checkEventTypeCap(body.eventTypes, rt.config.maxEventTypesPerWebhook);
      const url = checkWebhookUrl(body.url, rt.config.allowHttp, new AddressPolicy(rt.config.allowPrivateNetworks));
      checkApiKeyName(body.apiKeyName);
      const now = rt.clock.now();
      // The schema knows every major; whether it may be pinned to depends on the date.
      const notPinnable = body.apiVersion === undefined ? undefined : unsupportedReason(body.apiVersion, now, rt.config.apiVersions);
      if (notPinnable) throw badRequest('/body/apiVersion', notPinnable);
      // Standard Webhooks secrets: `whsec_` + base64 of the key; 24 bytes as Svix makes them.
      const secret = 'whsec_' + randomBytes(24).toString('base64');
      const row: WebhookRow = {
        id: newId('wh'),
        company_id: request.companyId,
        url,
        api_key_name: body.apiKeyName,
        api_key_location: body.apiKeyLocation,
        api_key_enc: rt.encrypter.encrypt(body.apiKey),
        secret_enc: rt.encrypter.encrypt(secret),
        previous_secret_enc: null,
        previous_secret_expires_at: null,
        event_types: JSON.stringify(body.eventTypes),
        description: body.description ?? null,
        enabled: body.enabled === false ? 0 : 1,
        api_version: body.apiVersion ?? currentMajor(now, rt.config.apiVersions),
        ordering: body.ordering ?? 'NONE',
        auto_upgraded_at: null,
        auto_upgraded_from: null,
        failing_since: null,
        disabled_at: null,
        disabled_reason: null,
        broken_at: null,
        broken_reason: null,
        circuit_open_until: null,
        created_at: now,
        updated_at: now,
      };
      const columns = Object.keys(row);
      await rt.store.transaction(async (tx) => {
        // The no-op write locks the company row on PostgreSQL, so two concurrent registrations
        // cannot both count 19 webhooks and make 21.
        await tx.run('UPDATE companies SET name = name WHERE id = ?', [request.companyId]);
        const count = await tx.get<{ n: number }>('SELECT COUNT(*) AS n FROM webhooks WHERE company_id = ?', [request.companyId]);
        if (Number(count?.n ?? 0) >= rt.config.maxWebhooks) {
          throw capReached('webhooks per company', 'HEARTHOOK_MAX_WEBHOOKS', rt.config.maxWebhooks, '/body');
        }
        await tx.run(`INSERT INTO webhooks (${columns.join(', ')}) VALUES (${columns.map(() => '?').join(', ')})`, Object.values(row));
        const after = webhookJson(row);
        await recordAudit(tx, actorOf(request), now, { companyId: request.companyId, action: 'webhook.create', target: row.id, after });
      });
      reply.code(201);
      return { ...webhookJson(row), secret };
    },
  );

  app.get(
    '/webhooks',
    {
      schema: {
        tags,
        security,
        operationId: 'listWebhooks',
        description: 'The calling company\'s webhooks, oldest first (never their API keys or secrets).',
        summary: "The calling company's webhooks",
        response: { 200: { type: 'object', properties: { data: { type: 'array', items: webhookSchema } } }, ...problems() },
      },
    },
    async (request) => {
      const rows = await listWebhooks(rt.store, request.companyId);
      return { data: rows.map(webhookJson) };
    },
  );

  app.get<{ Params: { id: string } }>(
    '/webhooks/:id',
    {
      schema: {
        tags,
        security,
        operationId: 'getWebhook',
        description: "One of the calling company's webhooks; 404 for any other id.",
        summary: 'One webhook',
        params,
        response: { 200: webhookSchema, ...problems(404) },
      },
    },
    async (request) => webhookJson(await findOwnWebhook(rt.store, request.params.id, request.companyId)),
  );

  app.patch<{ Params: { id: string }; Body: PatchWebhookBody }>(
    '/webhooks/:id',
    {
      schema: {
        tags,
        security,
        operationId: 'updateWebhook',
        description: 'Changes any of the fields given; `enabled: false` pauses deliveries, `enabled: true` resumes them and starts its health afresh. A bad field changes nothing.',
        summary: 'Change a webhook (any of its fields but the API version)',
        params,
        body: patchWebhookBodySchema,
        response: { 200: webhookSchema, ...problems(404, 409) },
      },
    },
    async (request) => webhookJson(await patchWebhook(rt, request.params.id, request.companyId, request.body, actorOf(request))),
  );

  app.delete<{ Params: { id: string } }>(
    '/webhooks/:id',
    {
      schema: {
        tags,
        security,
        operationId: 'deleteWebhook',
        description: 'Deletes the webhook. Its queued deliveries become dead; its delivery history stays listed.',
        summary: 'Delete a webhook; its queued deliveries become dead, its delivery history stays',
        params,
        response: { 204: { type: 'null', description: 'deleted' }, ...problems(404) },
      },
    },
    async (request, reply) => {
      const now = rt.clock.now();
      await rt.store.transaction(async (tx) => {
        const before = await findOwnWebhook(tx, request.params.id, request.companyId);
        // Queued = next_attempt_at set. A delivery in flight keeps its lease; the dispatcher
        // finds the webhook gone when it records the outcome.
        await tx.run(
          `UPDATE deliveries SET status = 'dead', next_attempt_at = NULL, last_error = 'webhook deleted', updated_at = ?
            WHERE webhook_id = ? AND next_attempt_at IS NOT NULL`,
          [now, request.params.id],
        );
        await tx.run('DELETE FROM webhooks WHERE id = ?', [request.params.id]);
        await recordAudit(tx, actorOf(request), now, { companyId: request.companyId, action: 'webhook.delete', target: before.id, before: webhookJson(before) });
      });
      return reply.code(204).send();
    },
  );
}
