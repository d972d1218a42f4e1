import type { FastifyPluginAsync } from 'fastify';
import type { Runtime } from '../../runtime.js';
import { requirePartner } from '../auth.js';

/** Partner routes under `/v1` (x-api-key): API keys, contracts, webhooks, deliveries. */
export function partnerRoutes(rt: Runtime): FastifyPluginAsync {
  return async (app) => {
    app.addHook('onRequest', requirePartner(rt));
  };
}
