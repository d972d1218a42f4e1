import type { FastifyReply, FastifyRequest } from 'fastify';
import { HttpError } from '../api/httpError.js';
import type { Runtime } from '../runtime.js';

/**
 * The manufacturer's REST rate limits, as an `onRequest` hook after the partner's key is known:
 * a path with a `{gatewayId}` has a bucket per company + gateway + endpoint + path, any other
 * path one per company + endpoint + path (the endpoint is the method and route, the path the
 * concrete one without its query). Every answer carries `RateLimit` and `RateLimit-Policy`; one
 * too many is a 429 with `Retry-After`.
 *
 * @example app.addHook('onRequest', requirePartner(rt)); app.addHook('onRequest', limitPartnerRequests(rt));
 */
export function limitPartnerRequests(rt: Runtime) {
  return async (request: FastifyRequest, reply: FastifyReply) => {
    if (!rt.limits.enabled) return;
    const route = request.routeOptions.url ?? '';
    const path = request.url.split('?')[0];
    const gatewayId = (request.params as Record<string, string> | undefined)?.gatewayId;
    const policy = gatewayId === undefined ? rt.limits.policies.otherPath : rt.limits.policies.gatewayPath;
    const bucket =
      gatewayId === undefined
        ? `rest:${request.companyId}:${request.method} ${route}:${path}`
        : `rest:${request.companyId}:${gatewayId}:${request.method} ${route}:${path}`;
    const decision = await rt.limits.take(bucket, policy);
    if (!decision.allowed) {
      throw new HttpError(
        429,
        `rate limit of ${request.method} ${route} reached (${policy.burst} at once, then one every ${policy.intervalMs / 1000} s); retry after ${decision.headers['retry-after']} s`,
        undefined,
        decision.headers,
      );
    }
    reply.headers(decision.headers);
  };
}

/**
 * Test sends are limited per webhook as well (`POST /v1/webhooks/{id}/test` makes an outbound
 * request each time). Throws 429 when the webhook's bucket is empty.
 */
export async function limitTestSend(rt: Runtime, webhookId: string): Promise<void> {
  const policy = rt.limits.policies.testSend;
  const decision = await rt.limits.take(`test:${webhookId}`, policy);
  if (!decision.allowed) {
    throw new HttpError(
      429,
      `test sends of this webhook are limited to ${policy.burst} at once, then one every ${policy.intervalMs / 1000} s; retry after ${decision.headers['retry-after']} s`,
      undefined,
      decision.headers,
    );
  }
}
