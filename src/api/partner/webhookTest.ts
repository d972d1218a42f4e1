import type { FastifyInstance } from 'fastify';
import { AddressPolicy } from '../../delivery/addressPolicy.js';
import { buildRequest } from '../../delivery/buildRequest.js';
import { EndpointClient } from '../../delivery/endpointClient.js';
import { BrokenTarget, DeliveryTargets } from '../../delivery/loadDeliveryTargets.js';
import { EVENT_TYPES, type EventType } from '../../domain/eventTypes.js';
import type { Runtime } from '../../runtime.js';
import { newEventId } from '../../util/ids.js';
import { effectiveMajor, unsupportedReason } from '../../versions/registry.js';
import type { StoredEvent } from '../../versions/renderEvent.js';
import { badRequest, notFound } from '../httpError.js';
import { apiVersionSchema, problems } from '../schemas.js';
import { findOwnWebhook } from './webhooks.js';

/** Not a real gateway id: receivers can tell a test event from the gateway alone. */
const TEST_GATEWAY = '000000000';

/** A plausible body per type, so a receiver's parser sees the shape it will get for real. */
const SAMPLES: Record<EventType, (now: number) => Record<string, unknown>> = {
  CONNECTIVITY_STATUS: () => ({ connectivityStatus: 'ONLINE' }),
  APPLIANCE_STATUS: () => ({
    status: 'ACTIVE',
    severity: 'ERROR',
    displayCode: 'A11',
    causeCode: '3061',
    descriptions: { en: 'Test event: sample fault description' },
  }),
  CONTRACT_STATUS: () => ({ previousStatus: 'PENDING', status: 'ACTIVE', companyId: 'cmp_test' }),
  DATA_POINT: () => ({ key: 'hvac.emon.compressor.powerCurrent', value: 1250, unit: 'W' }),
  DAILY_AGGREGATE: (now) => ({
    date: new Date(now - 86_400_000).toISOString().slice(0, 10),
    energyConsumption: { value: 12.345, unit: 'kWh' },
    numberOfStarts: { heating: 4, domesticHotWater: 2 },
    sampleCount: 96,
  }),
};

/**
 * A test event of `type` at `now`, as the test send delivers it and as the console's catalog and
 * upgrade preview show it: gateway `000000000`, `"test": true` in its data.
 */
export function sampleEvent(type: EventType, now: number): StoredEvent {
  return {
    id: newEventId(now),
    type,
    gatewayId: TEST_GATEWAY,
    dataJson: JSON.stringify({ ...SAMPLES[type](now), test: true }),
    occurredAt: now,
    createdAt: now,
  };
}

export interface TestSendResult {
  statusCode: number | null;
  durationMs: number;
  responseBody: string | null;
  error: string | null;
  apiVersion: number;
  eventId: string;
  eventType: EventType;
  /** The body as sent. */
  body: string;
}

/**
 * Sends signed test events to partner endpoints, with its own client (same address policy and
 * timeout as the dispatcher's: the API may run without a worker).
 *
 * @example const result = await sender.send('wh_…', companyId, { eventType: 'DATA_POINT', apiVersion: 2 });
 */
export class TestSender {
  private readonly client: EndpointClient;
  private readonly targets: DeliveryTargets;

  constructor(private readonly rt: Runtime) {
    this.client = new EndpointClient(new AddressPolicy(rt.config.allowPrivateNetworks), rt.config.deliveryTimeoutMs);
    this.targets = new DeliveryTargets(rt.encrypter, rt.clock);
  }

  /** Sends one test event to `companyId`'s webhook `id` (404 when not theirs, 400 naming the bad query field). */
  async send(id: string, companyId: string, query: TestQuery): Promise<TestSendResult> {
    const rt = this.rt;
    const webhook = await findOwnWebhook(rt.store, id, companyId);
    const subscribed = JSON.parse(webhook.event_types) as EventType[];
    const type = query.eventType ?? subscribed[0];
    if (!subscribed.includes(type)) {
      throw badRequest('/querystring/eventType', `the webhook is not subscribed to ${type}; it receives ${subscribed.join(', ')}`);
    }
    const target = (await this.targets.webhooks(rt.store, [webhook.id])).get(webhook.id);
    if (!target) throw notFound('webhook'); // deleted since the first read
    const now = rt.clock.now();
    const event = sampleEvent(type, now);
    const versions = rt.config.apiVersions;
    if (query.apiVersion !== undefined) {
      const reason = unsupportedReason(query.apiVersion, now, versions);
      if (reason) throw badRequest('/querystring/apiVersion', reason);
    }
    // What a real delivery would get now: the pinned major, or the current one past its support.
    const major = query.apiVersion ?? effectiveMajor(webhook.api_version, now, versions);
    // Sequence 0: real sequences start at 1, so a gap-checking receiver can skip test events.
    // A webhook whose secrets cannot be decrypted is not sent to: the answer says why, as its deliveries' attempts do.
    if (target instanceof BrokenTarget) {
      return { statusCode: null, durationMs: 0, responseBody: null, error: target.reason, apiVersion: major, eventId: event.id, eventType: type, body: '' };
    }
    const { url, headers, body } = buildRequest(event, target, 0, major, now, versions);
    const result = await this.client.post(url, headers, body);
    return {
      statusCode: result.statusCode,
      durationMs: result.durationMs,
      responseBody: result.body,
      error: result.error,
      apiVersion: major,
      eventId: event.id,
      eventType: type,
      body,
    };
  }

  close(): Promise<void> | void {
    return this.client.close();
  }
}

export interface TestQuery {
  apiVersion?: number;
  eventType?: EventType;
}

const testResultSchema = {
  type: 'object',
  properties: {
    statusCode: { type: ['integer', 'null'], description: "the endpoint's HTTP status; null when it could not be reached" },
    durationMs: { type: 'integer' },
    responseBody: { type: ['string', 'null'], description: 'the first KiB of the answer' },
    error: { type: ['string', 'null'], description: 'why the request failed, if it did (refused address, timeout, …)' },
    apiVersion: { type: 'integer', description: 'the API major the event was rendered in' },
    eventId: { type: 'string', description: 'the webhook-id the endpoint received' },
    eventType: { type: 'string' },
  },
  required: ['statusCode', 'durationMs', 'responseBody', 'error', 'apiVersion', 'eventId', 'eventType'],
} as const;

/**
 * `POST /v1/webhooks/{id}/test`: sends a signed sample event to the endpoint now and answers
 * what came back, so a partner can check its receiver (signature, parsing, API key) without
 * waiting for a real event. The event has gateway `000000000`, sequence 0 and `"test": true`
 * in its data, and goes through the same address checks as deliveries. Nothing is stored: it
 * is not in the outbox, the delivery list or any gateway's sequence.
 *
 * @example
 * curl -X POST -H 'x-api-key: xHCSAPI…' 'https://hearthook.example/v1/webhooks/wh_…/test?apiVersion=2'
 * // {"statusCode":200,"durationMs":41,"responseBody":"ok","error":null,"apiVersion":2,…}
 */
export function webhookTestRoutes(app: FastifyInstance, rt: Runtime): void {
  const sender = new TestSender(rt);
  app.addHook('onClose', () => sender.close());

  app.post<{ Params: { id: string }; Querystring: TestQuery }>(
    '/webhooks/:id/test',
    {
      schema: {
        tags: ['Webhooks'],
        security: [{ partnerKey: [] }],
        operationId: 'sendTestEvent',
        description: 'Sends a signed test event (gateway 000000000, sequence 0, `"test": true`) to the endpoint now, in the chosen major and type, and answers what the endpoint said. Nothing is stored or retried.',
        summary: 'Send a signed test event to the endpoint now and show its answer (nothing is stored)',
        params: { type: 'object', properties: { id: { type: 'string' } }, required: ['id'] },
        querystring: {
          type: 'object',
          additionalProperties: false,
          properties: {
            apiVersion: { ...apiVersionSchema, description: "render in this major instead of the webhook's, to preview it" },
            eventType: { type: 'string', enum: [...EVENT_TYPES], description: "one of the webhook's types; its first by default" },
          },
        },
        response: { 200: testResultSchema, ...problems(404) },
      },
    },
    // The answer's schema leaves out the rendered body; the console shows it.
    async (request) => sender.send(request.params.id, request.companyId, request.query),
  );
}
