import { randomUUID } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import { type FastifyReply, type FastifyRequest, LogController } from 'fastify';

/** An incoming `x-request-id` is kept when it is this short and made of these characters. */
const REQUEST_ID = /^[\w.:@/+=-]{1,128}$/;

/** Probes and scrapes: logged at `debug`, or a load balancer's checks would fill the log. */
const QUIET_PATHS = new Set(['/health', '/ready', '/metrics']);

/**
 * The request's id: the caller's `x-request-id` when it is a plausible id (up to 128 letters,
 * digits and `_.:@/+=-`), so one id follows a request through proxies and services; otherwise a
 * new UUID. Fastify puts it on every log line of the request as `reqId`.
 */
export function requestId(req: IncomingMessage): string {
  const incoming = req.headers['x-request-id'];
  return typeof incoming === 'string' && REQUEST_ID.test(incoming) ? incoming : randomUUID();
}

/**
 * One log line per request, when it completes: method, path, status and time (Fastify's
 * default is two, and the first says little). A log line costs about what an ingest batch's
 * rules cost, so this is the one line, not more.
 */
export class RequestLog extends LogController {
  override incomingRequest(): void {}

  override requestCompleted(error: Error | null | undefined, request: FastifyRequest, reply: FastifyReply): void {
    const path = request.url.split('?', 1)[0];
    const line = { method: request.method, path, statusCode: reply.statusCode, responseTime: reply.elapsedTime };
    if (error) reply.log.error({ ...line, err: error }, 'request errored');
    else if (QUIET_PATHS.has(path)) reply.log.debug(line, 'request completed');
    else reply.log.info(line, 'request completed');
  }
}
