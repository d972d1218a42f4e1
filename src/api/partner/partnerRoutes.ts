import type { FastifyPluginAsync } from 'fastify';
import { partnerAuditRoutes } from '../../audit/auditRoutes.js';
import { limitPartnerRequests } from '../../limits/partnerRateLimit.js';
import type { Runtime } from '../../runtime.js';
import { requirePartner } from '../auth.js';
import { apiKeyRoutes } from './apiKeys.js';
import { contractRoutes } from './contracts.js';
import { deliveryRoutes } from './deliveries.js';
import { deliveryActionRoutes } from './deliveryActions.js';
import { eventStreamRoutes } from './eventStream.js';
import { eventRoutes } from './events.js';
import { hvacStatusRoutes } from './hvacStatus.js';
import { webhookSecretRoutes } from './webhookSecrets.js';
import { webhookRoutes } from './webhooks.js';
import { webhookTestRoutes } from './webhookTest.js';
import { webhookUpgradeRoutes } from './webhookUpgrade.js';

/** Partner routes under `/v1` (x-api-key): API keys, contracts, webhooks, deliveries, events, HVAC status. */
export function partnerRoutes(rt: Runtime): FastifyPluginAsync {
  return async (app) => {
    app.addHook('onRequest', requirePartner(rt));
    app.addHook('onRequest', limitPartnerRequests(rt));
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
    partnerAuditRoutes(app, rt);
  };
}
