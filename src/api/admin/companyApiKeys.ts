import type { FastifyInstance } from 'fastify';
import { actorOf } from '../../audit/recordAudit.js';
import type { Runtime } from '../../runtime.js';
import { apiKeyJson, apiKeyListSchema, listApiKeys, revokeApiKey } from '../partner/apiKeyRows.js';
import { problems } from '../schemas.js';
import { requireCompany } from './companies.js';

const security = [{ adminToken: [] }];
const tags = ['Operator'];
const companyId = { type: 'string' };

/** `GET /v1/admin/companies/{companyId}/api-keys` and `DELETE …/api-keys/{keyId}`: the operator's view of a company's keys. */
export function companyApiKeyRoutes(app: FastifyInstance, rt: Runtime): void {
  app.get<{ Params: { companyId: string } }>(
    '/companies/:companyId/api-keys',
    {
      schema: {
        tags,
        security,
        operationId: 'listCompanyApiKeys',
        summary: "A company's unexpired API keys",
        description: 'As the partner sees them in GET /v1/api-keys: id, prefix, who minted it, created, expires, last used.',
        params: { type: 'object', properties: { companyId }, required: ['companyId'] },
        response: { 200: apiKeyListSchema, ...problems(404) },
      },
    },
    async (request) => {
      await requireCompany(rt, request.params.companyId, '/params/companyId');
      return { data: (await listApiKeys(rt.store, request.params.companyId, rt.clock.now())).map(apiKeyJson) };
    },
  );

  app.delete<{ Params: { companyId: string; keyId: string } }>(
    '/companies/:companyId/api-keys/:keyId',
    {
      schema: {
        tags,
        security,
        operationId: 'revokeCompanyApiKey',
        summary: "Revoke one of a company's API keys",
        description: 'The key is refused (401) from the next request on, on every node: the way to shut out a leaked key.',
        params: { type: 'object', properties: { companyId, keyId: { type: 'string' } }, required: ['companyId', 'keyId'] },
        response: { 204: { type: 'null', description: 'revoked' }, ...problems(404) },
      },
    },
    async (request, reply) => {
      await requireCompany(rt, request.params.companyId, '/params/companyId');
      await revokeApiKey(rt, request.params.companyId, request.params.keyId, actorOf(request));
      return reply.code(204).send();
    },
  );
}
