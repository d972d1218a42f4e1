import type { FastifyInstance } from 'fastify';
import { applyContractAction, listContracts } from '../../api/partner/contractRows.js';
import { TYPES_FOR_CONSENT } from '../../domain/eventTypes.js';
import type { Runtime } from '../../runtime.js';
import { packageVersion } from '../../util/packageVersion.js';
import { companyOf } from '../guard.js';
import { type PageData, sendPage } from '../render.js';
import { consoleSchema } from '../routeSchema.js';

/** Pending pairings to accept or reject; active ones with their consent. */
export function contractPages(app: FastifyInstance, rt: Runtime): void {
  const page = async (request: import('fastify').FastifyRequest, notice?: PageData['notice']): Promise<PageData> => {
    const rows = await listContracts(rt.store, companyOf(request));
    return {
      title: 'Contracts',
      nav: 'contracts',
      session: request.consoleSession,
      version: packageVersion,
      notice,
      pending: rows.filter((c) => c.status === 'PENDING'),
      active: rows.filter((c) => c.status === 'ACTIVE'),
      ended: rows.filter((c) => c.status !== 'PENDING' && c.status !== 'ACTIVE'),
      typesForConsent: TYPES_FOR_CONSENT,
    };
  };

  app.get('/contracts', consoleSchema('showConsoleContracts', "The partner's contracts: pending, active (with consent) and ended"), async (request, reply) =>
    sendPage(reply, 'partner/contracts', await page(request)),
  );

  app.post<{ Params: { gatewayId: string; action: 'accept' | 'reject' } }>(
    '/contracts/:gatewayId/:action',
    consoleSchema('decideConsoleContract', 'Accepts or rejects a pending contract', {
      params: {
        type: 'object',
        properties: { gatewayId: { type: 'string', pattern: '^[0-9]{1,20}$' }, action: { type: 'string', enum: ['accept', 'reject'] } },
        required: ['gatewayId', 'action'],
      },
    }, [404, 409]),
    async (request, reply) => {
      const { gatewayId, action } = request.params;
      await applyContractAction(rt, gatewayId, companyOf(request), action === 'accept' ? 'ACCEPT' : 'REJECT', `console:${companyOf(request)}`);
      const text = `Contract with gateway ${gatewayId} ${action === 'accept' ? 'accepted' : 'rejected'}.`;
      return sendPage(reply, 'partner/contracts', { ...(await page(request, { kind: 'ok', text })), pageUrl: '/console/contracts' });
    },
  );
}
