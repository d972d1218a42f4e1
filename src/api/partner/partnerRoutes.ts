import type { FastifyPluginAsync } from 'fastify';
import type { Runtime } from '../../runtime.js';
import { requirePartner } from '../auth.js';
import { apiKeyRoutes } from './apiKeys.js';
import { contractRoutes } from './contracts.js';
import { deliveryRoutes } from './deliveries.js';
import { webhookRoutes } from './webhooks.js';

/** Partner routes under `/v1` (x-api-key): API keys, contracts, webhooks, deliveries. */
export function partnerRoutes(rt: Runtime): FastifyPluginAsync {
  return async (app) => {
    app.addHook('onRequest', requirePartner(rt));
    apiKeyRoutes(app, rt);
    contractRoutes(app, rt);
    webhookRoutes(app, rt);
    deliveryRoutes(app, rt);
  };
}
