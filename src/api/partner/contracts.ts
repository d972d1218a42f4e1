import type { FastifyInstance } from 'fastify';
import { actorOf } from '../../audit/recordAudit.js';
import type { PartnerAction } from '../../domain/contracts.js';
import type { Runtime } from '../../runtime.js';
import { HttpError, notFound } from '../httpError.js';
import { contractSchema, gatewayIdSchema, partnerActionSchema, problems } from '../schemas.js';
import { applyContractAction, auditContract, contractJson, findContract, listContracts } from './contractRows.js';

const security = [{ partnerKey: [] }];
const tags = ['Contracts'];
const params = { type: 'object', properties: { gatewayId: gatewayIdSchema }, required: ['gatewayId'] };

/**
 * The caller's contracts under `/v1/contracts`. A partner sees only its own: the company is part
 * of every lookup, so another company's contract is simply not found.
 */
export function contractRoutes(app: FastifyInstance, rt: Runtime): void {
  app.get(
    '/contracts',
    {
      schema: {
        tags,
        security,
        operationId: 'listContracts',
        description: 'The calling company\'s contracts with gateways, in every status.',
        summary: "The calling company's contracts",
        response: {
          200: { type: 'object', properties: { data: { type: 'array', items: contractSchema } } },
          ...problems(),
        },
      },
    },
    async (request) => {
      const rows = await listContracts(rt.store, request.companyId);
      return { data: rows.map(contractJson) };
    },
  );

  app.get<{ Params: { gatewayId: string } }>(
    '/contracts/:gatewayId',
    {
      schema: {
        tags,
        security,
        operationId: 'getContract',
        description: "The calling company's contract with one gateway; 404 if it has none.",
        summary: 'One contract of the calling company',
        params,
        response: { 200: contractSchema, ...problems(404) },
      },
    },
    async (request) => {
      const row = await findContract(rt.store, request.params.gatewayId, request.companyId);
      if (!row) throw notFound('contract');
      return contractJson(row);
    },
  );

  app.patch<{ Params: { gatewayId: string }; Body: { action: PartnerAction } }>(
    '/contracts/:gatewayId',
    {
      schema: {
        tags,
        security,
        operationId: 'decideContract',
        description: 'ACCEPT or REJECT a PENDING contract, or REVOKE an ACTIVE one. 409 when the action does not fit the contract\'s status.',
        summary: 'Accept or reject a PENDING contract, or revoke an ACTIVE one',
        params,
        body: { type: 'object', additionalProperties: false, required: ['action'], properties: { action: partnerActionSchema } },
        response: { 200: contractSchema, ...problems(404, 409) },
      },
    },
    async (request) =>
      contractJson(await applyContractAction(rt, request.params.gatewayId, request.companyId, request.body.action, actorOf(request))),
  );

  app.delete<{ Params: { gatewayId: string } }>(
    '/contracts/:gatewayId',
    {
      schema: {
        tags,
        security,
        operationId: 'deleteContract',
        description: 'Removes a contract the owner CLOSED from the list, once the company has taken note. 409 if the contract is not CLOSED.',
        summary: 'Acknowledge a contract the owner CLOSED, removing it',
        params,
        response: { 204: { type: 'null', description: 'removed' }, ...problems(404, 409) },
      },
    },
    async (request, reply) => {
      await rt.store.transaction(async (tx) => {
        const row = await findContract(tx, request.params.gatewayId, request.companyId);
        if (!row) throw notFound('contract');
        if (row.status !== 'CLOSED') {
          throw new HttpError(409, `the contract is ${row.status}; only a CLOSED contract can be acknowledged and removed`);
        }
        await tx.run('DELETE FROM contracts WHERE gateway_id = ? AND company_id = ?', [row.gateway_id, row.company_id]);
        await auditContract(tx, actorOf(request), rt.clock.now(), 'contract.acknowledge', row, undefined);
      });
      return reply.code(204).send();
    },
  );
}
