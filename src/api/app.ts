import swagger from '@fastify/swagger';
import Fastify, { type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import { consoleRoutes } from '../console/consoleRoutes.js';
import { ingestRoutes } from '../ingest/ingestRoutes.js';
import { messageComponents } from '../ingest/messageSchema.js';
import { metricsRoutes } from '../metrics/metricsRoutes.js';
import type { Runtime } from '../runtime.js';
import { packageVersion } from '../util/packageVersion.js';
import { openapiWebhooks } from '../versions/schemas/openapiWebhooks.js';
import { adminRoutes } from './admin/adminRoutes.js';
import { useApiVersionHeader } from './apiVersionHeader.js';
import { badUrlHandler, errorHandler, notFoundHandler } from './errorHandler.js';
import { addCommonProblems } from './openapi/commonProblems.js';
import { registerDocsPage } from './openapi/docsPage.js';
import { partnerRoutes } from './partner/partnerRoutes.js';
import { RequestLog, requestId } from './requestLog.js';
import { serverLimits } from './serverLimits.js';
import { compileValidator } from './validators.js';
import { versionRoutes } from './versionRoutes.js';
import { refuseMalformedInput } from './wellFormedInput.js';

/**
 * The HTTP API: management (operators, partners), ingest (gateways) and the OpenAPI document,
 * all validated by the JSON Schemas the routes declare.
 */
export async function buildApp(rt: Runtime): Promise<FastifyInstance> {
  const app = Fastify({
    loggerInstance: rt.log as FastifyBaseLogger,
    logController: new RequestLog(),
    genReqId: requestId,
    bodyLimit: 8 * 1024 * 1024,
    ...serverLimits(rt.config),
    // request.ip from X-Forwarded-For only when the peer is a proxy we were told to trust.
    trustProxy: rt.config.trustProxy.length > 0 ? rt.config.trustProxy : false,
    frameworkErrors: badUrlHandler,
  });
  app.server.maxConnections = rt.config.maxConnections;
  app.setValidatorCompiler(compileValidator);
  await app.register(swagger, {
    openapi: {
      openapi: '3.1.0',
      info: {
        title: 'Hearthook',
        version: packageVersion,
        description: 'Event notifications from connected HVAC systems to partner webhooks.',
        license: { name: 'MIT', identifier: 'MIT' },
      },
      // Relative: the document describes the Hearthook that serves it, wherever it runs.
      servers: [{ url: '/', description: 'the Hearthook serving this document' }],
      components: {
        schemas: messageComponents,
        securitySchemes: {
          partnerKey: { type: 'apiKey', in: 'header', name: 'x-api-key' },
          adminToken: { type: 'http', scheme: 'bearer' },
          ingestToken: { type: 'http', scheme: 'bearer' },
          metricsToken: { type: 'http', scheme: 'bearer', description: 'HEARTHOOK_METRICS_TOKEN (or the admin token)' },
        },
      },
      // Event bodies per type and major (OpenAPI 3.1 `webhooks`), next to the REST paths.
      webhooks: openapiWebhooks(rt.config.apiVersions),
    },
  });
  app.setErrorHandler(errorHandler);
  app.setNotFoundHandler(notFoundHandler);
  // Lone surrogates, NUL, unsafe integers and deep nesting, anywhere in a request: 400 first.
  app.addHook('preValidation', refuseMalformedInput);
  useApiVersionHeader(app, rt);
  app.addHook('onRequest', async (request, reply) => {
    reply.header('x-request-id', request.id);
  });
  app.addHook('onRoute', addCommonProblems);
  await registerDocsPage(app);

  app.get('/openapi.json', { schema: { hide: true } }, async () => app.swagger());
  app.get('/health', { schema: { hide: true } }, async () => ({ status: 'ok' }));
  // A person opening the server's address lands on the console (a 404 was the first thing a new user met: issue 14).
  app.get('/', { schema: { hide: true } }, async (_request, reply) => reply.redirect('/console', 302));

  await app.register(adminRoutes(rt), { prefix: '/v1/admin' });
  await app.register(versionRoutes(rt), { prefix: '/v1' });
  await app.register(partnerRoutes(rt), { prefix: '/v1' });
  await app.register(ingestRoutes(rt), { prefix: '/v1' });
  await app.register(consoleRoutes(rt), { prefix: '/console' });
  await app.register(metricsRoutes(rt));
  return app;
}
