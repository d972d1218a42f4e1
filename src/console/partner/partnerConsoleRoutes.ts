import type { FastifyPluginAsync } from 'fastify';
import type { Runtime } from '../../runtime.js';
import { guard } from '../guard.js';
import type { LiveStreams } from '../live.js';
import { contractPages } from './contractPages.js';
import { deliveryPages } from './deliveryPages.js';
import { webhookActions } from './webhookActions.js';
import { webhookPages } from './webhookPages.js';

/** The partner's pages under /console: each request needs a partner session (and a CSRF token to POST). */
export function partnerConsoleRoutes(rt: Runtime, live: LiveStreams): FastifyPluginAsync {
  return async (app) => {
    app.addHook('preValidation', guard(rt, 'partner'));
    webhookPages(app, rt);
    webhookActions(app, rt);
    deliveryPages(app, rt, live);
    contractPages(app, rt);
  };
}
