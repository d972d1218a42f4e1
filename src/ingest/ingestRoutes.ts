import type { FastifyPluginAsync } from 'fastify';
import { requireIngest } from '../api/auth.js';
import { type FieldError, HttpError } from '../api/httpError.js';
import { problems } from '../api/schemas.js';
import { limitIngest, refuseFloodingGateways } from '../limits/ingestRateLimit.js';
import type { GatewayMessage } from '../rules/messages.js';
import type { Runtime } from '../runtime.js';
import { parseTimestamp } from '../util/timestamps.js';
import { checkValueTypes } from './dataPointTypes.js';
import { ingestBatch, UnknownGatewaysError } from './ingestBatch.js';
import { checkIngestBody, ingestBodySchema, MAX_BATCH, type RawMessage } from './messageSchema.js';
import { reasonOfInvalid } from './rejectReasons.js';

const resultSchema = {
  type: 'object',
  required: ['accepted', 'duplicates', 'events'],
  properties: {
    accepted: { type: 'integer', description: 'Messages taken in.' },
    duplicates: { type: 'integer', description: 'Messages whose id the gateway had sent before: ignored.' },
    events: { type: 'integer', description: 'Events the rules decided to send.' },
  },
};

/**
 * `POST /v1/ingest` (`Authorization: Bearer <ingest token>`): one gateway message or an array of
 * up to 1000. Answers 202 only after the whole batch is committed; a batch with any bad message
 * (or unknown gateway) gets a 400 naming each one (`/body/3/value`) and stores nothing.
 *
 * @example
 * curl -X POST localhost:8080/v1/ingest -H "authorization: Bearer $TOKEN" -H 'content-type: application/json' \
 *   -d '{"kind":"heartbeat","gatewayId":"101506113"}'
 */
export function ingestRoutes(rt: Runtime): FastifyPluginAsync {
  return async (app) => {
    app.addHook('onRequest', requireIngest(rt));

    app.post(
      '/ingest',
      {
        schema: {
          operationId: 'ingestMessages',
          summary: 'Send gateway messages',
          description: `One message or an array of up to ${MAX_BATCH}, taken in all or nothing. The answer comes after the batch is committed. A message whose messageId the gateway sent before changes nothing.`,
          tags: ['ingest'],
          security: [{ ingestToken: [] }],
          body: ingestBodySchema,
          response: { 202: resultSchema, ...problems() },
        },
        // A flooding gateway's batch is refused before the checks below (429 before 400).
        preValidation: async (request) => refuseFloodingGateways(rt, request.body),
        // The body is checked by our own checker, not the app's coercing Ajv (see checkIngestBody).
        validatorCompiler:
          ({ httpPart }) =>
          (data: unknown) => {
            if (httpPart !== 'body') return true;
            const errors = checkIngestBody(data);
            if (errors.length === 0) errors.push(...checkValueTypes(rt.rules, Array.isArray(data) ? data : [data as RawMessage], Array.isArray(data)));
            if (errors.length === 0) return true;
            rt.observer.ingestRejected('http', reasonOfInvalid(errors), Array.isArray(data) ? data.length : 1);
            return { error: invalid(errors) };
          },
      },
      async (request, reply) => {
        const body = request.body as RawMessage | RawMessage[];
        const batch = Array.isArray(body);
        const raw = batch ? body : [body];
        await limitIngest(
          rt,
          raw.map((m) => m.gatewayId),
          batch,
        );
        try {
          const result = await ingestBatch(rt, raw.map(toGatewayMessage), 'http');
          return reply.code(202).send(result);
        } catch (err) {
          if (!(err instanceof UnknownGatewaysError)) throw err;
          rt.observer.ingestRejected('http', 'unknown-gateway', raw.length);
          throw invalid(
            err.indexes.map((i) => ({
              field: batch ? `/body/${i}/gatewayId` : '/body/gatewayId',
              message: `gateway ${raw[i].gatewayId} is not known`,
            })),
          );
        }
      },
    );
  };
}

/** A 400 naming each bad field; the title lists the first few. */
function invalid(errors: FieldError[]): HttpError {
  const shown = errors.slice(0, 5).map((e) => `${e.field} ${e.message}`);
  if (errors.length > 5) shown.push(`and ${errors.length - 5} more`);
  return new HttpError(400, `invalid request: ${shown.join('; ')}`, errors);
}

/**
 * The checked JSON as the rules take it: `sentAt` as milliseconds. Changed in place: the parsed
 * body is ours, and copying 1000 messages per batch showed up in profiles.
 */
function toGatewayMessage(raw: RawMessage): GatewayMessage {
  const message = raw as unknown as GatewayMessage;
  if (raw.sentAt !== undefined) message.sentAt = parseTimestamp(raw.sentAt)!;
  return message;
}
