import type { FastifyPluginAsync } from 'fastify';
import type { Runtime } from '../../runtime.js';
import { requireAdmin } from '../auth.js';
import { companyRoutes } from './companies.js';
import { contractAdminRoutes } from './contracts.js';
import { gatewayRoutes } from './gateways.js';
import { rejectedMessageRoutes } from './rejectedMessages.js';
import { webhookHealthRoutes } from './webhookHealth.js';

/** Operator routes under `/v1/admin`: companies, their API keys, gateways and contracts. */
export function adminRoutes(rt: Runtime): FastifyPluginAsync {
  return async (app) => {
    app.addHook('onRequest', requireAdmin(rt));
    companyRoutes(app, rt);
    gatewayRoutes(app, rt);
    contractAdminRoutes(app, rt);
    webhookHealthRoutes(app, rt);
    rejectedMessageRoutes(app, rt);
  };
}
