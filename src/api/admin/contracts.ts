import type { FastifyInstance } from 'fastify';
import { actorOf } from '../../audit/recordAudit.js';
import { nextContractStatus } from '../../domain/contracts.js';
import type { Consent } from '../../domain/eventTypes.js';
import type { Runtime } from '../../runtime.js';
import { HttpError, notFound } from '../httpError.js';
import {
  applyContractAction,
  auditContract,
  type ContractRow,
  contractJson,
  findContract,
  saveContract,
  transitionConflict,
} from '../partner/contractRows.js';
import { consentSchema, contractSchema, gatewayIdSchema, problems } from '../schemas.js';
import { requireGateway } from './gateways.js';

const security = [{ adminToken: [] }];
// The operator acts for the gateway's owner here: pairing, consent and closing are owner acts.
const tags = ['Operator'];
const gatewayParams = {
  type: 'object',
  properties: { gatewayId: gatewayIdSchema },
  required: ['gatewayId'],
};
const contractParams = {
  type: 'object',
  properties: { gatewayId: gatewayIdSchema, companyId: { type: 'string' } },
  required: ['gatewayId', 'companyId'],
};
const consentBody = {
  type: 'object',
  additionalProperties: false,
  required: ['consent'],
  properties: { consent: consentSchema },
};

interface PairBody {
  companyId: string;
  consent: Consent;
}

/**
 * Pairs a gateway with a company as its owner would: a new contract, or a reopened one when an
 * earlier contract ended. It starts PENDING, or ACTIVE when the company auto-accepts (and then
 * the company is told with a CONTRACT_STATUS event).
 */
async function pair(rt: Runtime, gatewayId: string, body: PairBody, actor: string): Promise<ContractRow> {
  const now = rt.clock.now();
  const { row, saved } = await rt.store.transaction(async (tx) => {
    const company = await tx.get<{ auto_accept: number }>('SELECT auto_accept FROM companies WHERE id = ?', [body.companyId]);
    if (!company) {
      throw new HttpError(404, 'company not found', [{ field: '/body/companyId', message: `no company has the id ${body.companyId}` }]);
    }
    const action = company.auto_accept ? 'PAIR_ACCEPTED' : 'PAIR';
    const current = await findContract(tx, gatewayId, body.companyId);
    const status = nextContractStatus(action, current?.status ?? 'NONE');
    if (!status) throw transitionConflict(action, current!.status);
    const next: ContractRow = {
      gateway_id: gatewayId,
      company_id: body.companyId,
      status,
      consent: body.consent,
      created_at: current?.created_at ?? now,
      updated_at: now,
    };
    const saved = await saveContract(tx, now, current?.status ?? null, next);
    await auditContract(tx, actor, now, 'contract.pair', current, next);
    return { row: next, saved };
  });
  if (saved.queued > 0) rt.store.notifyWork();
  rt.observer.eventsMade(saved.events);
  return row;
}

/** Owner acts on contracts under `/v1/admin/gateways/{gatewayId}/contracts`. */
export function contractAdminRoutes(app: FastifyInstance, rt: Runtime): void {
  app.post<{ Params: { gatewayId: string }; Body: PairBody }>(
    '/gateways/:gatewayId/contracts',
    {
      schema: {
        tags,
        security,
        operationId: 'createContract',
        description: 'The gateway owner pairs the gateway with a company, granting a consent. The contract starts PENDING, or ACTIVE if the company auto-accepts (then the company gets a CONTRACT_STATUS event). 409 if an open contract exists.',
        summary: 'Pair a gateway with a company (PENDING, or ACTIVE if the company auto-accepts)',
        params: gatewayParams,
        body: {
          type: 'object',
          additionalProperties: false,
          required: ['companyId', 'consent'],
          properties: { companyId: { type: 'string', minLength: 1, maxLength: 64 }, consent: consentSchema },
        },
        response: { 201: contractSchema, ...problems(404, 409) },
      },
    },
    async (request, reply) => {
      await requireGateway(rt, request.params.gatewayId, '/params/gatewayId');
      const row = await pair(rt, request.params.gatewayId, request.body, actorOf(request));
      reply.code(201);
      return contractJson(row);
    },
  );

  app.put<{ Params: { gatewayId: string; companyId: string }; Body: { consent: Consent } }>(
    '/gateways/:gatewayId/contracts/:companyId/consent',
    {
      schema: {
        tags,
        security,
        operationId: 'updateContractConsent',
        description: 'The gateway owner changes the consent granted to the company; it decides which event types the company receives from now on. 409 if the contract is not open.',
        summary: 'Change the consent the owner grants the company',
        params: contractParams,
        body: consentBody,
        response: { 200: contractSchema, ...problems(404, 409) },
      },
    },
    async (request) => {
      const { gatewayId, companyId } = request.params;
      const now = rt.clock.now();
      const row = await rt.store.transaction(async (tx) => {
        const current = await findContract(tx, gatewayId, companyId);
        if (!current) throw notFound('contract');
        if (current.status !== 'PENDING' && current.status !== 'ACTIVE') {
          throw new HttpError(409, `the contract is ${current.status}; consent can change only while it is PENDING or ACTIVE`);
        }
        await tx.run('UPDATE contracts SET consent = ?, updated_at = ? WHERE gateway_id = ? AND company_id = ?', [
          request.body.consent,
          now,
          gatewayId,
          companyId,
        ]);
        const next = { ...current, consent: request.body.consent, updated_at: now };
        await auditContract(tx, actorOf(request), now, 'contract.consent', current, next);
        return next;
      });
      return contractJson(row);
    },
  );

  app.delete<{ Params: { gatewayId: string; companyId: string } }>(
    '/gateways/:gatewayId/contracts/:companyId',
    {
      schema: {
        tags,
        security,
        operationId: 'closeContract',
        description: 'The gateway owner ends the contract: it becomes CLOSED and the company stops receiving the gateway\'s events (an ACTIVE one sends a CONTRACT_STATUS event first).',
        summary: 'The owner ends the contract (CLOSED); the company acknowledges it with DELETE /v1/contracts/{gatewayId}',
        params: contractParams,
        response: { 200: contractSchema, ...problems(404, 409) },
      },
    },
    async (request) => contractJson(await applyContractAction(rt, request.params.gatewayId, request.params.companyId, 'CLOSE', actorOf(request))),
  );
}
