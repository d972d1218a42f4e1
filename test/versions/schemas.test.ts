import { Ajv2020 } from 'ajv/dist/2020.js';
import formats from 'ajv-formats';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EVENT_TYPES } from '../../src/domain/eventTypes.js';
import { fanOut, type NewEvent } from '../../src/fanout/fanOut.js';
import { applyRules } from '../../src/rules/applyRules.js';
import { emitDueDays } from '../../src/rules/dailyAggregate.js';
import { reportDueFaults } from '../../src/rules/faults.js';
import { GatewayStateCache } from '../../src/rules/gatewayState.js';
import type { GatewayMessage } from '../../src/rules/messages.js';
import type { RuleContext } from '../../src/rules/ruleContext.js';
import { API_VERSIONS } from '../../src/versions/registry.js';
import { RENDERERS, type StoredEvent } from '../../src/versions/renderEvent.js';
import { eventSchemas, type JsonSchema } from '../../src/versions/schemas/eventSchemas.js';
import { closeContract, createGateway, createPartner, pair, pairActive } from '../api/fixtures.js';
import { startTestHearthook, type TestHearthook } from '../helpers/testRuntime.js';

// Strict: an unknown keyword or a typo in a schema fails here. Union types are standard JSON Schema.
const ajv = new Ajv2020({ allErrors: true, strict: true, allowUnionTypes: true });
// ajv-formats is CommonJS: under NodeNext its plugin is the default export's `default`.
formats.default(ajv);

/**
 * The schema as published, but refusing fields it does not list. Published schemas allow unknown
 * fields (minor versions add some); this variant proves every rendered field is documented.
 */
function undocumentedFieldsRefused(schema: JsonSchema): JsonSchema {
  const copy: JsonSchema = { ...schema };
  if (copy.properties) {
    copy.properties = Object.fromEntries(Object.entries(copy.properties as Record<string, JsonSchema>).map(([k, v]) => [k, undocumentedFieldsRefused(v)]));
    copy.additionalProperties ??= false;
  }
  return copy;
}

/** Events as the real rules and contract transitions write them into the events table. */
async function producedEvents(hh: TestHearthook): Promise<StoredEvent[]> {
  // Contract transitions: a new auto-accepted contract (no previous status), PENDING → ACTIVE, ACTIVE → CLOSED.
  const gw = (await createGateway(hh.app)).gatewayId;
  await pair(hh.app, gw, (await createPartner(hh.app, { autoAccept: true })).companyId);
  const partner = await createPartner(hh.app);
  await pairActive(hh.app, gw, partner);
  await closeContract(hh.app, gw, partner.companyId);

  const gatewayId = (await createGateway(hh.app)).gatewayId;
  const gateway = { id: gatewayId, timezone: 'Europe/Berlin' };
  const t0 = hh.clock.now();
  const messages: GatewayMessage[] = [
    { kind: 'connection', gatewayId, status: 'DISCONNECTED', sentAt: t0 - 1000 },
    { kind: 'heartbeat', gatewayId },
    { kind: 'fault', gatewayId, displayCode: 'EA', causeCode: 227, severity: 'ERROR', active: true, sentAt: t0 - 1000 },
    { kind: 'fault', gatewayId, displayCode: 'A11', causeCode: '3061', severity: 'WARNING', active: true },
    { kind: 'datapoint', gatewayId, key: 'hvac.emon.compressor.powerCurrent', value: 1250, sentAt: t0 - 1000 },
    { kind: 'datapoint', gatewayId, key: 'hvac.emon.compressor.operationStatus', value: 'HEATING' },
    { kind: 'datapoint', gatewayId, key: 'hvac.heatingCircuit.hc1.flowTemperature', value: 45.5, unit: '°C' },
    { kind: 'datapoint', gatewayId, key: 'hvac.emon.compressor.energyConsumption', value: 100.2 },
    { kind: 'datapoint', gatewayId, key: 'hvac.compressor.heating.numberOfStarts', value: 10 },
  ];
  const later: GatewayMessage[] = [
    { kind: 'datapoint', gatewayId, key: 'hvac.emon.compressor.energyConsumption', value: 103.5 },
    { kind: 'datapoint', gatewayId, key: 'hvac.compressor.heating.numberOfStarts', value: 14 },
    { kind: 'fault', gatewayId, displayCode: 'EA', causeCode: 227, severity: 'ERROR', active: false },
  ];
  // One transaction, as ingest and the jobs run the rules: the state cache reads and writes through it.
  await hh.rt.store.transaction(async (tx) => {
    const state = new GatewayStateCache(tx);
    await state.load([gatewayId]);
    const ctx: RuleContext = { rules: hh.rt.rules, now: t0, state, events: [] as NewEvent[] };
    for (const m of messages) applyRules(ctx, gateway, m);
    ctx.now += 10 * 60_000; // past the transient window: the faults are reported
    reportDueFaults(ctx, gatewayId);
    for (const m of later) applyRules(ctx, gateway, m);
    ctx.now += 2 * 86_400_000; // the local day ended and its grace passed
    emitDueDays(ctx, gatewayId);
    await state.flush(ctx.now);
    await fanOut(tx, ctx.now, ctx.events);
  });

  const rows = await hh.rt.store.all<{ id: string; type: string; gateway_id: string; data: string; occurred_at: number | null; created_at: number }>(
    'SELECT * FROM events ORDER BY created_at, id',
  );
  return rows.map((r) => ({ id: r.id, type: r.type, gatewayId: r.gateway_id, dataJson: r.data, occurredAt: r.occurred_at, createdAt: r.created_at }));
}

describe('the published event schemas', () => {
  let hh: TestHearthook;
  let events: StoredEvent[];
  beforeAll(async () => {
    hh = await startTestHearthook();
    events = await producedEvents(hh);
  });
  afterAll(() => hh.close());

  it('exist for every event type in every major of the registry, and every major has a renderer', () => {
    for (const { major } of API_VERSIONS) {
      expect(RENDERERS[major], `renderer of ${major}`).toBeTypeOf('function');
      expect(Object.keys(eventSchemas(major) ?? {}).sort()).toEqual([...EVENT_TYPES].sort());
    }
  });

  it('validate every event the rules and contracts produce, of every type, rendered in every major, and document every rendered field', () => {
    expect(new Set(events.map((e) => e.type))).toEqual(new Set(EVENT_TYPES));
    const checked = new Set<string>();
    for (const { major } of API_VERSIONS) {
      const schemas = eventSchemas(major)!;
      for (const event of events) {
        const schema = schemas[event.type as keyof typeof schemas];
        const published = ajv.compile(schema);
        const strict = ajv.compile(undocumentedFieldsRefused(schema));
        for (const languages of [['en'], ['de', 'en'], ['fr']]) {
          const body = JSON.parse(RENDERERS[major](event, { sequence: 7, languages }));
          expect(published(body), `${event.type} v${major} ${event.dataJson}: ${ajv.errorsText(published.errors)}`).toBe(true);
          expect(strict(body), `${event.type} v${major} undocumented field: ${ajv.errorsText(strict.errors)}`).toBe(true);
        }
        checked.add(`${event.type}.v${major}`);
      }
    }
    expect(checked.size).toBe(EVENT_TYPES.length * API_VERSIONS.length);
  });

  it('refuse a body of the other major, so the schemas tell the shapes apart', () => {
    const event = events.find((e) => e.type === 'DATA_POINT')!;
    const v1Body = JSON.parse(RENDERERS[1](event, { sequence: 1, languages: ['en'] }));
    const v2Body = JSON.parse(RENDERERS[2](event, { sequence: 1, languages: ['en'] }));
    expect(ajv.validate(eventSchemas(2)!.DATA_POINT, v1Body)).toBe(false);
    expect(ajv.validate(eventSchemas(1)!.DATA_POINT, v2Body)).toBe(false);
  });

  it('are served without credentials at GET /v1/versions/{major}/schemas, exactly as validated here', async () => {
    for (const { major } of API_VERSIONS) {
      const res = await hh.app.inject({ method: 'GET', url: `/v1/versions/${major}/schemas` });
      expect(res.statusCode).toBe(200);
      expect(res.json()).toEqual({ major, version: `${major}.0`, schemas: JSON.parse(JSON.stringify(eventSchemas(major))) });
    }
    expect((await hh.app.inject({ method: 'GET', url: '/v1/versions/3/schemas' })).statusCode).toBe(404);
    const bad = await hh.app.inject({ method: 'GET', url: '/v1/versions/x/schemas' });
    expect(bad.statusCode).toBe(400);
    expect(bad.json().errors[0].field).toBe('/params/major');
  });

  it('are in the OpenAPI document as webhooks, one per event type and major', async () => {
    const doc = (await hh.app.inject({ method: 'GET', url: '/openapi.json' })).json();
    expect(Object.keys(doc.webhooks)).toHaveLength(EVENT_TYPES.length * API_VERSIONS.length);
    const op = doc.webhooks['DATA_POINT.v2'].post;
    expect(op.requestBody.content['application/json'].schema).toEqual(JSON.parse(JSON.stringify(eventSchemas(2)!.DATA_POINT)));
    expect(op.parameters.map((p: { name: string }) => p.name)).toContain('x-api-version');
    expect(doc.paths['/v1/versions']?.get).toBeDefined();
    expect(doc.paths['/v1/webhooks/{id}/upgrade']?.post?.security).toEqual([{ partnerKey: [] }]);
  });
});
