import type { FastifyInstance } from 'fastify';
import { actorOf, recordAudit } from '../../audit/recordAudit.js';
import { canonicalTimeZone } from '../../rules/localDay.js';
import type { Runtime } from '../../runtime.js';
import { badRequest, HttpError } from '../httpError.js';
import { gatewayIdSchema, iso, problems } from '../schemas.js';

interface CreateGatewayBody {
  gatewayId: string;
  type: string;
  timezone: string;
}

const gatewaySchema = {
  type: 'object',
  properties: {
    gatewayId: { type: 'string' },
    type: { type: 'string' },
    timezone: { type: 'string' },
    createdAt: { type: 'string', format: 'date-time' },
  },
  required: ['gatewayId', 'type', 'timezone', 'createdAt'],
};

/** Throws a 404 naming `field` unless the gateway exists. */
export async function requireGateway(rt: Runtime, gatewayId: string, field: string): Promise<void> {
  const row = await rt.store.get('SELECT 1 AS found FROM gateways WHERE id = ?', [gatewayId]);
  if (!row) throw new HttpError(404, 'gateway not found', [{ field, message: `no gateway has the id ${gatewayId}` }]);
}

/** `POST /v1/admin/gateways`. */
export function gatewayRoutes(app: FastifyInstance, rt: Runtime): void {
  app.post<{ Body: CreateGatewayBody }>(
    '/gateways',
    {
      schema: {
        tags: ['Operator'],
        security: [{ adminToken: [] }],
        operationId: 'createGateway',
        description: 'Registers a gateway with its type and IANA time zone (the time zone decides its local day for DAILY_AGGREGATE). 409 if the id is taken.',
        summary: 'Register a gateway',
        body: {
          type: 'object',
          additionalProperties: false,
          required: ['gatewayId', 'type', 'timezone'],
          properties: {
            gatewayId: gatewayIdSchema,
            type: { type: 'string', pattern: '^[A-Za-z0-9_.-]{1,32}$', description: 'e.g. ICOM, K30, K40, RRC2' },
            // Letters first: offsets such as "+01:00" are not IANA names, though newer ICUs accept them.
            timezone: { type: 'string', pattern: '^[A-Za-z][A-Za-z0-9_+/-]{0,63}$', description: 'IANA name, e.g. Europe/Berlin' },
          },
        },
        response: { 201: gatewaySchema, ...problems(409) },
      },
    },
    async (request, reply) => {
      const { gatewayId, type } = request.body;
      const timezone = canonicalTimeZone(request.body.timezone);
      if (!timezone) throw badRequest('/body/timezone', `"${request.body.timezone}" is not a known IANA time zone`);
      const now = rt.clock.now();
      const gateway = { gatewayId, type, timezone, createdAt: iso(now) };
      await rt.store.transaction(async (tx) => {
        if (await tx.get('SELECT 1 AS found FROM gateways WHERE id = ?', [gatewayId])) {
          throw new HttpError(409, `gateway ${gatewayId} is already registered`, [
            { field: '/body/gatewayId', message: 'is already registered' },
          ]);
        }
        await tx.run('INSERT INTO gateways (id, type, timezone, created_at) VALUES (?, ?, ?, ?)', [gatewayId, type, timezone, now]);
        await recordAudit(tx, actorOf(request), now, { companyId: null, action: 'gateway.create', target: gatewayId, after: gateway });
      });
      reply.code(201);
      return gateway;
    },
  );
}
