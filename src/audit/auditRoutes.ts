import type { FastifyInstance } from 'fastify';
import { cursorPage, integerCursor } from '../api/cursorPages.js';
import { iso, problems } from '../api/schemas.js';
import type { Runtime } from '../runtime.js';

interface AuditRow {
  seq: number;
  at: number;
  actor: string;
  company_id: string | null;
  action: string;
  target: string;
  before_state: string | null;
  after_state: string | null;
}

interface AuditQuery {
  after?: string;
  limit?: number;
  companyId?: string;
}

const entrySchema = {
  type: 'object',
  properties: {
    seq: { type: 'integer', description: 'position in the log; entries are listed in this order' },
    at: { type: 'string', format: 'date-time' },
    actor: { type: 'string', description: '"operator", or the id of the partner API key that made the write' },
    companyId: { type: ['string', 'null'] },
    action: { type: 'string', description: 'e.g. webhook.create, webhook.update, api_key.revoke, contract.accept' },
    target: { type: 'string', description: 'the id written (gatewayId/companyId for a contract)' },
    before: { description: 'the state before, as the API shows it (never a key, token or secret); null for a creation' },
    after: { description: 'the state after; null for a deletion' },
  },
  required: ['seq', 'at', 'actor', 'companyId', 'action', 'target', 'before', 'after'],
} as const;

const pageSchema = {
  type: 'object',
  properties: {
    data: { type: 'array', items: entrySchema },
    nextCursor: { type: ['string', 'null'], description: 'pass as after for the next page (also when this one is empty: poll with it later)' },
    hasMore: { type: 'boolean' },
  },
  required: ['data', 'nextCursor', 'hasMore'],
} as const;

const query = (withCompany: boolean) => ({
  type: 'object',
  additionalProperties: false,
  properties: {
    after: { type: 'string', maxLength: 32, description: 'a nextCursor from an earlier page; omit to start at the oldest entry' },
    limit: { type: 'integer', minimum: 1, maximum: 1000, default: 100 },
    ...(withCompany ? { companyId: { type: 'string', maxLength: 100, description: "only this company's entries" } } : {}),
  },
});

const cursors = integerCursor('a');

/** One page of the audit log, oldest first, after `cursor`; only `companyId`'s entries when given. */
async function auditPage(rt: Runtime, q: AuditQuery, companyId: string | undefined) {
  const after = cursors.read(q.after, 0);
  const limit = q.limit ?? 100;
  const rows = await rt.store.all<AuditRow>(
    `SELECT * FROM audit_log WHERE seq > ? ${companyId === undefined ? '' : 'AND company_id = ?'} ORDER BY seq LIMIT ?`,
    companyId === undefined ? [after, limit + 1] : [after, companyId, limit + 1],
  );
  return cursorPage(
    rows,
    limit,
    (r) => cursors.encode(Number(r.seq)),
    (r) => ({
      seq: Number(r.seq),
      at: iso(Number(r.at)),
      actor: r.actor,
      companyId: r.company_id,
      action: r.action,
      target: r.target,
      before: r.before_state === null ? null : JSON.parse(r.before_state),
      after: r.after_state === null ? null : JSON.parse(r.after_state),
    }),
    // An empty page keeps the cursor it was asked with: poll with it later.
    after > 0 ? cursors.encode(after) : null,
  );
}

/**
 * `GET /v1/admin/audit`: every management write, oldest first, cursor-paged.
 *
 * @example curl -s "$H/v1/admin/audit?limit=50" -H "Authorization: Bearer $ADMIN"
 */
export function adminAuditRoutes(app: FastifyInstance, rt: Runtime): void {
  app.get<{ Querystring: AuditQuery }>(
    '/audit',
    {
      schema: {
        tags: ['Operator'],
        security: [{ adminToken: [] }],
        operationId: 'listAuditEntries',
        summary: 'The audit log: every management write, oldest first',
        description:
          'Who (operator or partner key id) did what (action) to what (target), when, with the state before and after (never a key, token or secret). Page with nextCursor; filter with companyId.',
        querystring: query(true),
        response: { 200: pageSchema, ...problems() },
      },
    },
    async (request) => auditPage(rt, request.query, request.query.companyId),
  );
}

/**
 * `GET /v1/audit`: the calling company's own entries of the audit log, oldest first, cursor-paged.
 *
 * @example curl -s "$H/v1/audit" -H "x-api-key: $KEY"
 */
export function partnerAuditRoutes(app: FastifyInstance, rt: Runtime): void {
  app.get<{ Querystring: AuditQuery }>(
    '/audit',
    {
      schema: {
        tags: ['Audit'],
        security: [{ partnerKey: [] }],
        operationId: 'listOwnAuditEntries',
        summary: "The calling company's audit log, oldest first",
        description:
          'Every write to its keys, webhooks and contracts, by the operator or any of its keys, with the state before and after (never a key or secret). Page with nextCursor.',
        querystring: query(false),
        response: { 200: pageSchema, ...problems() },
      },
    },
    async (request) => auditPage(rt, request.query, request.companyId),
  );
}
