import type { FastifyPluginAsync } from 'fastify';
import type { Runtime } from '../runtime.js';
import { requireIngest } from '../api/auth.js';

/** `POST /v1/ingest`: gateway messages in (placeholder until the ingest module lands). */
export function ingestRoutes(rt: Runtime): FastifyPluginAsync {
  return async (app) => {
    app.addHook('onRequest', requireIngest(rt));
  };
}
