import type { FastifyPluginAsync } from 'fastify';
import type { Runtime } from '../../runtime.js';
import { requirePartner } from '../auth.js';
import { apiKeyRoutes } from './apiKeys.js';
import { contractRoutes } from './contracts.js';
import { deliveryRoutes } from './deliveries.js';
import { deliveryActionRoutes } from './deliveryActions.js';
import { eventRoutes } from './events.js';
import { eventStreamRoutes } from './eventStream.js';
import { hvacStatusRoutes } from './hvacStatus.js';
import { webhookRoutes } from './webhooks.js';
import { webhookUpgradeRoutes } from './webhookUpgrade.js';
import { webhookSecretRoutes } from './webhookSecrets.js';
import { webhookTestRoutes } from './webhookTest.js';

/** Partner routes under `/v1` (x-api-key): API keys, contracts, webhooks, deliveries, events, HVAC status. */
export function partnerRoutes(rt: Runtime): FastifyPluginAsync {
  return async (app) => {
    app.addHook('onRequest', requirePartner(rt));
    apiKeyRoutes(app, rt);
    contractRoutes(app, rt);
    webhookRoutes(app, rt);
    webhookUpgradeRoutes(app, rt);
    deliveryRoutes(app, rt);
    deliveryActionRoutes(app, rt);
    webhookSecretRoutes(app, rt);
    webhookTestRoutes(app, rt);
    eventRoutes(app, rt);
    eventStreamRoutes(app, rt);
    hvacStatusRoutes(app, rt);
  };
}
