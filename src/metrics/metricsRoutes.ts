import type { FastifyPluginAsync, FastifyRequest } from 'fastify';
import { HttpError } from '../api/httpError.js';
import { problemSchema } from '../api/schemas.js';
import type { Runtime } from '../runtime.js';
import { secretsEqual, sha256 } from '../util/secrets.js';
import { createHearthookMetrics } from './hearthookMetrics.js';
import { checkReadiness, shippedMigrations } from './readiness.js';

const problem = (description: string) => ({ description, content: { 'application/problem+json': { schema: problemSchema } } });

/**
 * `GET /metrics` (Prometheus text format; `Authorization: Bearer <admin token>` or
 * `<HEARTHOOK_METRICS_TOKEN>`) and `GET /ready` (no credentials: 200 when the database answers,
 * migrations are applied and every role runs; 503 with the reasons otherwise).
 *
 * @example
 * curl -H "Authorization: Bearer $HEARTHOOK_METRICS_TOKEN" localhost:8080/metrics
 * curl -i localhost:8080/ready
 */
export function metricsRoutes(rt: Runtime): FastifyPluginAsync {
  return async (app) => {
    const metrics = createHearthookMetrics(rt);
    app.addHook('onClose', async () => metrics.stop());
    const metricsTokenHash = rt.config.metricsToken ? sha256(rt.config.metricsToken) : undefined;
    const migrations = shippedMigrations(rt);
    let lastReady = true;

    const requireMetricsToken = async (request: FastifyRequest) => {
      const header = request.headers.authorization;
      const token = header?.startsWith('Bearer ') ? header.slice(7).trim() : undefined;
      const hash = token ? sha256(token) : '';
      const allowed = token && (secretsEqual(hash, rt.adminTokenHash) || (metricsTokenHash !== undefined && secretsEqual(hash, metricsTokenHash)));
      if (!allowed) throw new HttpError(401, 'a valid metrics or operator token is required (Authorization: Bearer <token>)');
    };

    app.get(
      '/metrics',
      {
        onRequest: requireMetricsToken,
        schema: {
          operationId: 'getMetrics',
          summary: 'Prometheus metrics',
          description:
            'Deliveries by outcome and company, attempt durations, ingest messages and events by type, queue depth and oldest due age, open circuits, dispatcher in-flight, store transaction durations and the Node.js process metrics, in the Prometheus text format. README, "Metrics", lists every name.',
          tags: ['operations'],
          security: [{ adminToken: [] }, { metricsToken: [] }],
          response: {
            200: { description: 'Prometheus text format 0.0.4', content: { 'text/plain': { schema: { type: 'string' } } } },
            401: problem('missing or invalid metrics or operator token'),
          },
        },
      },
      async (_request, reply) => reply.type(metrics.contentType).send(await metrics.text()),
    );

    app.get(
      '/ready',
      {
        schema: {
          operationId: 'getReadiness',
          summary: 'Readiness',
          description:
            'Ready to serve: the database answers, every migration of this build is applied, and every role started in this process (api, worker, scheduler) runs. 503 names what is not. `GET /health` only says the process is alive.',
          tags: ['operations'],
          security: [],
          response: {
            200: { type: 'object', required: ['status'], properties: { status: { type: 'string', enum: ['ready'] } } },
            503: problem('not ready; the title says why'),
          },
        },
      },
      async () => {
        const { reasons, detail } = await checkReadiness(rt, migrations);
        const ready = reasons.length === 0;
        // Load balancers ask every few seconds: a line when the answer changes, not per probe.
        if (ready !== lastReady) {
          if (ready) rt.log.info('ready again');
          else rt.log.warn({ reasons, err: detail }, 'not ready');
          lastReady = ready;
        }
        if (!ready) throw new HttpError(503, `not ready: ${reasons.join('; ')}`);
        return { status: 'ready' };
      },
    );
  };
}
